# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Ensembles in a cavity
#
# QuTiP's PIQS tutorial on the open Dicke model puts N = 6 emitters in a
# cavity with 16 photon states, because nothing larger fits in `mesolve`:
#
# $$H = \omega_0 J_z + \omega_c a^\dagger a + g (a + a^\dagger) J_x,
# \qquad g = 2/\sqrt N,$$
#
# with local dephasing and pumping of every emitter (PIQS rates; the
# notebook's first model) and cavity decay $\kappa D[a]$.  In the TWA the cavity is one more
# complex amplitude (docs: theory, Section 15): `Ensembles(N, modes=1)`
# gives the mode's operator `a()`, in the same algebra as the collective
# operators.
#
# 1. The tutorial's model at N = 6 and 10, side by side with `mesolve` on
#    the Fock space times the Dicke basis.
# 2. The same model at N = 10² ... 10⁵ with the TWA alone.
# 3. A superradiant laser with its cavity, from the good- to the
#    bad-cavity regime, against the package's adiabatically eliminated
#    laser (collective emission at $\Gamma = 4 g^2/\kappa$).
#
# Set `QUTIP_TWA_TUTORIAL_QUICK=1` to run this notebook at reduced size.

# %%
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import qutip
from qutip import piqs

from qutip_twa import Ensembles, TwaValidityWarning, twasolve

QUICK = os.environ.get("QUTIP_TWA_TUTORIAL_QUICK") == "1"
NTRAJ = 500 if QUICK else 4000
FIGURES = Path(os.environ.get("QUTIP_TWA_FIGURES", "figures"))
FIGURES.mkdir(exist_ok=True)
# small ensembles spend time at J < 1, where the TWA says it is unreliable
warnings.simplefilter("ignore", TwaValidityWarning)

# %% [markdown]
# ## 1. The PIQS open-Dicke model against mesolve
#
# The model is built exactly as the PIQS tutorial builds it: the Dicke
# object's Liouvillian (local processes) on the Dicke basis,
# `super_tensor`-ed with the cavity's Liouvillian, plus the interaction's
# commutator, with observables and the start on `tensor(Fock, Dicke)`.
# The same objects go to `mesolve` and to `twasolve`.  The Fock cutoff is a
# property of the exact reference only (20 photon states: converged to
# 3e-3 in the photon number per emitter at N = 10).

# %%
NPHOT = 20


def tutorial_model(N):
    """The PIQS open-Dicke tutorial's Liouvillian, observables and start."""
    nds = piqs.num_dicke_states(N)
    jx, jy, jz = piqs.jspin(N)
    a = qutip.destroy(NPHOT)
    system = piqs.Dicke(N=N, hamiltonian=jz, dephasing=0.01, pumping=0.1)
    liouv_phot = qutip.liouvillian(a.dag() * a, [a])
    h_int = 2 / np.sqrt(N) * qutip.tensor(a + a.dag(), jx)
    id_tls, id_phot = (qutip.to_super(qutip.qeye(d)) for d in (nds, NPHOT))
    liouv_tot = qutip.super_tensor(liouv_phot, id_tls) \
        + qutip.super_tensor(id_phot, system.liouvillian()) \
        - 1j * qutip.spre(h_int) + 1j * qutip.spost(h_int)
    e_ops = [qutip.tensor(a.dag() * a, qutip.qeye(nds)) / N,
             qutip.tensor(qutip.qeye(NPHOT), jz) / N]
    rho0 = qutip.tensor(qutip.fock_dm(NPHOT, 0), piqs.excited(N))
    return liouv_tot, rho0, e_ops


tlist = np.linspace(0, 10, 41)
sizes = [6] if QUICK else [6, 10]
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
print("N   max |TWA - exact|: <a+a>/N   <Jz>/N    (TWA s, exact s)")
for N, color in zip(sizes, ["C0", "C1"]):
    liouv_tot, rho0, e_ops = tutorial_model(N)
    start = time.perf_counter()
    twa = twasolve(liouv_tot, rho0, tlist, e_ops=e_ops, ntraj=NTRAJ,
                   seeds=N)
    t_twa = time.perf_counter() - start
    ref = qutip.mesolve(liouv_tot, rho0, tlist, e_ops=e_ops)
    t_exact = time.perf_counter() - start - t_twa
    errors = [np.max(np.abs(twa.expect[k] - ref.expect[k])) for k in (0, 1)]
    print(f"{N:<4}{errors[0]:>26.4f}{errors[1]:>10.4f}    "
          f"({t_twa:.1f}, {t_exact:.1f})")
    for k, ax in enumerate(axes):
        ax.plot(tlist, ref.expect[k], color=color, label=f"exact, N = {N}")
        ax.fill_between(tlist, twa.expect[k] - 2 * twa.stderr_expect[k],
                        twa.expect[k] + 2 * twa.stderr_expect[k],
                        color=color, alpha=0.3)
        ax.plot(tlist, twa.expect[k], "--", color=color,
                label=f"TWA, N = {N}")
axes[0].set(xlabel=r"$\omega_0 t$", ylabel=r"$\langle a^\dagger a\rangle/N$")
axes[1].set(xlabel=r"$\omega_0 t$", ylabel=r"$\langle J_z\rangle/N$")
axes[0].legend(fontsize=8)
fig.tight_layout()
fig.savefig(FIGURES / "cavity_open_dicke.png", dpi=120)

# %% [markdown]
# ## 2. Beyond mesolve: N = 10² ... 10⁵
#
# The same model, written with the package's operators: `Ensembles(N,
# modes=1)` gives the cavity's `a()`, and the local rates are keyword
# arguments.  The coupling $g = 2/\sqrt N$ keeps the collective coupling
# $g\sqrt N$ fixed.  The emission is seeded by vacuum fluctuations, so the
# burst comes later as N grows (its delay grows as ln N) with the same shape
# per emitter; the steps per trajectory, and the cost, do not grow with N.

# %%
RATES = dict(dephasing=0.01, pumping=0.1)


def open_dicke(N):
    ens = Ensembles(N, modes=1)
    a = ens.a()
    H = ens.jz() + a.dag() * a + 2 / np.sqrt(N) * (a + a.dag()) * ens.jx()
    e_ops = [a.dag() * a / N, ens.jz() / N]
    return ens, H, [a], e_ops


large = [100, 1000] if QUICK else [100, 1000, 10_000, 100_000]
t_large = np.linspace(0, 20, 81)
fig, ax = plt.subplots(figsize=(5, 3.4))
print("N        largest photons/N   steps per trajectory   TWA s")
for N in large:
    ens, H, c_ops, e_ops = open_dicke(N)
    start = time.perf_counter()
    twa = twasolve(H, ens.excited(), t_large, c_ops=c_ops, e_ops=e_ops,
                   ntraj=NTRAJ // 2, seeds=1, **RATES)
    print(f"{N:<9}{np.max(twa.expect[0].real):>18.4f}"
          f"{np.mean(twa.stats['steps']):>23.0f}"
          f"{time.perf_counter() - start:>8.1f}")
    ax.plot(t_large, twa.expect[0].real, label=f"N = {N}")
ax.set(xlabel=r"$\omega_0 t$", ylabel=r"$\langle a^\dagger a\rangle/N$")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(FIGURES / "cavity_large_n.png", dpi=120)

# %% [markdown]
# ## 3. A superradiant laser with its cavity
#
# N emitters, each pumped at rate w, couple resonantly to a cavity,
# $H = g(a^\dagger J^- + a J^+)$ with decay $\kappa$.  In the bad-cavity
# limit $\kappa \gg g\sqrt N, w$ the cavity follows the emitters,
# $a \approx -2i g J^-/\kappa$, and the model becomes the package's
# superradiant laser: collective emission at $\Gamma = 4 g^2/\kappa$, whose
# output $\Gamma\langle J^+J^-\rangle$ is the cavity's $\kappa\langle
# a^\dagger a\rangle$.  We fix $\Gamma = 1$ and $w = N/4$ and let $\kappa$
# grow from the good-cavity side.

# %%
N, w = 20, 5.0
t_laser = np.linspace(0, 1.5, 16)
ens0 = Ensembles(N)
eliminated = twasolve(piqs.Dicke(N, collective_emission=1.0, pumping=w),
                      ens0.ground(), t_laser,
                      e_ops=[ens0.jp() * ens0.jm()], ntraj=NTRAJ, seeds=3)
kappas = [1.0, 4.0, 25.0] if QUICK else [1.0, 4.0, 25.0, 100.0]
fig, ax = plt.subplots(figsize=(5, 3.4))
ax.plot(t_laser, eliminated.expect[0].real, "k", lw=2,
        label=r"eliminated: $\Gamma\langle J^+J^-\rangle$")
print("kappa   kappa <a+a> at the end   eliminated   (se)")
for kappa in kappas:
    ens = Ensembles(N, modes=1)
    a = ens.a()
    g = np.sqrt(kappa) / 2
    H = g * (a.dag() * ens.jm() + a * ens.jp())
    laser = twasolve(H, ens.ground(), t_laser, c_ops=[np.sqrt(kappa) * a],
                     pumping=w, e_ops=[kappa * a.dag() * a], ntraj=NTRAJ,
                     seeds=3)
    print(f"{kappa:<8g}{laser.expect[0][-1].real:>24.2f}"
          f"{eliminated.expect[0][-1].real:>13.2f}"
          f"   ({laser.stderr_expect[0][-1]:.2f})")
    ax.plot(t_laser, laser.expect[0].real, "--",
            label=rf"cavity, $\kappa = {kappa:g}$")
ax.set(xlabel=r"$\Gamma t$", ylabel="photon output rate")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(FIGURES / "cavity_laser.png", dpi=120)

# %% [markdown]
# ## 4. The open Dicke model's superradiant transition, with dephasing
#
# Without local processes, the open Dicke model ($\omega_0 = \omega_c =
# \kappa = 1$, coupling $2\lambda/\sqrt N$) has a superradiant transition
# at $\lambda_c = \frac12\sqrt{(\omega_0/\omega_c)(\omega_c^2 +
# \kappa^2/4)}$: above it the cavity holds a photon number proportional to
# N.  Local dephasing of every emitter (PIQS rate 0.1) changes that.  We
# start from the ground state with a weak coherent field and average the
# photon number per emitter over the second half of a run of 60/κ; the
# standard error is over trajectories of that average.

# %%
lam_c = 0.5 * np.sqrt(1.25)
ratios = [0.5, 1.0, 1.5, 2.0] if QUICK else [0.25, 0.5, 0.75, 1.0, 1.25,
                                              1.5, 1.75, 2.0]
sizes = [10, 100] if QUICK else [10, 100, 1000]
t_long = np.linspace(0, 30 if QUICK else 60, 61)
late = t_long >= t_long[-1] / 2
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
print("dephasing  N      photons/N at lambda/lambda_c =", ratios)
for ax, dephasing in zip(axes, [0.0, 0.1]):
    for N in sizes:
        ens = Ensembles(N, modes=1)
        a = ens.a()
        row = []
        for r in ratios:
            H = ens.jz() + a.dag() * a \
                + 2 * r * lam_c / np.sqrt(N) * (a + a.dag()) * ens.jx()
            run = twasolve(H, ens.ground().with_modes([0.5]), t_long, [a],
                           e_ops=[a.dag() * a / N], dephasing=dephasing,
                           ntraj=NTRAJ // 8, seeds=5)
            row.append(np.mean(run.expect[0][late].real))
        print(f"{dephasing:<11g}{N:<7}" + "".join(f"{x:9.4f}" for x in row))
        ax.plot(ratios, row, "o-", label=f"N = {N}")
    ax.set(xlabel=r"$\lambda/\lambda_c$", title=f"local dephasing {dephasing}")
axes[0].set(ylabel=r"$\langle a^\dagger a\rangle/N$, late average")
axes[0].legend(fontsize=8)
fig.tight_layout()
fig.savefig(FIGURES / "cavity_transition.png", dpi=120)

# %% [markdown]
# Without dephasing the photon number per emitter rises from zero at
# $\lambda_c$ and converges as N grows: the superradiant phase.  With local
# dephasing it falls as N grows at every coupling on this window:
# dephasing heats the emitters towards $\langle J_z\rangle = 0$, where the
# collective coupling builds a weaker field.  This panel has no exact
# reference beyond N = 10 (section 1 bounds the TWA's error there); the
# late window is a time average, not a converged steady state
# (`steadystate_expect` tests stationarity, at a higher cost near
# $\lambda_c$).
