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
# # A chain of 100 ensembles (paper Fig. 4)
#
# $M$ ensembles of $N$ two-level emitters sit at equally spaced sites
# $m = 1, \dots, M$ of a waveguide or of a chain of bad-cavity resonators.
# Eliminating the photons gives the paper's Eq. 8: a coherent exchange and
# two collective jumps, emission into the forward and the backward mode,
#
# $$H = \frac{\Gamma}{2} \sum_{m, m'} \sin(\varphi |m - m'|)\, J^+_m J^-_{m'},
# \qquad L_{F,B} = \sum_m e^{\pm i \varphi m} J^-_m ,$$
#
# each jump at rate $\Gamma/2$, with $\varphi$ the propagation phase between
# neighbouring sites, plus local (incoherent) pumping of every emitter at
# rate $\gamma$.  Fig. 4 of the paper takes $M = 100$ sites of $N = 250$
# emitters ($N_\mathrm{tot} = 25\,000$), $\Gamma = 1$, $\varphi = \pi/10$
# and $\gamma = 250\,\Gamma = N \Gamma$, starting from the ground state.
#
# **Conventions.**  QuTiP's dissipator is
# $D[L]\rho = L \rho L^\dagger - \{L^\dagger L, \rho\}/2$.  The paper writes
# a process of rate $g$ as $(g/2) D'[L]$ with $D' = 2D$, which is $g D[L]$:
# its rates are PIQS's rates.  So the two jumps are the `c_ops`
# $\sqrt{\Gamma/2}\, L_F$ and $\sqrt{\Gamma/2}\, L_B$, and the paper's
# $\gamma$ is PIQS's local `pumping` ($\gamma D[\sigma^+]$ on every emitter,
# as in `piqs.Dicke(N, pumping=gamma)`).
# `models.chain(M, N, phi, gamma=Gamma, pumping=gamma, drive=Omega)` builds
# exactly this: `ch.H`, `ch.c_ops`, the local rates `ch.rates` (keywords of
# `twasolve`), and the observables
#
# - $I_F = L_F^\dagger L_F$ and $I_B = L_B^\dagger L_B$ (forward and backward
#   emission): `ch.forward_emission()`, `ch.backward_emission()`;
# - $I_m = J^+_m J^-_m$ (emission of site $m$): `ch.site_emission(m - 1)`;
# - $S(p) = \sum_{m, m'} e^{i p (m - m')} J^+_m J^-_{m'}$ (structure
#   factor): `ch.structure_factor(p)`; note $S(-\varphi) = I_F$ and
#   $S(\varphi) = I_B$.
#
# No exact method reaches $\varphi = \pi/10$ at this size, so we first check
# the TWA against two exact references that the package provides, then
# compute Fig. 4(a)-(c), and finally Fig. 4(d), the response to a drive.
#
# **Step size.**  Each trajectory takes steps of $1/(s\,r)$, with $r$ its
# local rate of change (about $3000$–$5000\,\Gamma$ here, once the chain
# lases: exchange precession about $1700\,\Gamma$, the rest dissipation)
# and $s$ = `options["steps_per_rate"]`.  The default, 100 steps per
# precession rate and 20 per dissipation rate, would take about 460 000
# steps per trajectory to $t = 2/\Gamma$.  The strong local
# pumping damps step errors on the time scale $1/\gamma$, and $s = 10$ is
# converged: finer steps agree within the statistical error (four times
# finer on an 8-site chain in `tests/test_convergence.py`, twice as fine on
# the full chain in `benchmarks/chain_fig4.py`).  We use $s = 10$ for every
# run below, the exact checks included, so that they test the same setting.
#
# Faster still: `options={"steps_per_rate": (10, 2), "tol": 1e-2}` counts
# the exchange precession through how fast the exchange field turns (a
# tolerance on each step's rotation error, docs/theory.md Section 10)
# rather than through its frequency, and takes 2 steps per dissipation
# rate: about 21 000 steps per trajectory, 1000 trajectories of panels
# (a)-(c) in about 3 minutes on two cores, and it agrees with plain Heun at
# 40 steps per rate within the statistical error
# (`benchmarks/chain_fig4.py`).  The figures below were made with $s = 10$.
#
# Set `QUTIP_TWA_TUTORIAL_QUICK=1` to run this notebook at reduced size (in
# seconds).  At full size, panels (a)-(c) take about 16 minutes on two
# cores and panel (d) about 70 minutes, most of it for $M = 500$;
# `QUTIP_TWA_FIG4D_SITES` (e.g. `20,30,50,100`) chooses the chain lengths of
# panel (d).

# %%
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import qutip_twa
from qutip_twa import models, twasolve
from qutip_twa.exact import pair_solve, uniform_chain_emission
from qutip_twa import TwaValidityWarning

QUICK = os.environ.get("QUTIP_TWA_TUTORIAL_QUICK") == "1"
FIGURES = Path(os.environ.get("QUTIP_TWA_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

GAMMA = 1.0  # collective decay rate into the chain


def log_times(t_end, n, t_start=1e-4):
    """t = 0 followed by n log-spaced times up to t_end."""
    return np.concatenate([[0.0], np.geomspace(t_start, t_end, n)])


def run_chain(ch, tlist, e_ops, ntraj, seed, **options):
    """twasolve on a chain from the ground state; returns (result, seconds).

    The validity warning (more than 10% of trajectories with J < 1 in some
    ensemble at some time) is recorded instead of printed: we report the
    diagnostic ourselves, with the times where it is large.
    """
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TwaValidityWarning)
        res = twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                       e_ops=e_ops, ntraj=ntraj, seeds=seed,
                       options={"steps_per_rate": 10, **options},
                       **ch.rates)
    return res, time.perf_counter() - start


def validity(res):
    """One line on the J < 1 diagnostic of a result."""
    below = np.asarray(res.stats["fraction_J_below_1"])
    t = np.asarray(res.times)
    line = f"trajectories with J < 1 in some ensemble: at most " \
           f"{100 * below.max():.0f}%"
    if below.max() > 0.1:
        hot = t[below > 0.1]
        line += f" (above 10% for {hot.min():.2g} <= t <= {hot.max():.2g})"
    return line


# %% [markdown]
# ## Exact check 1: the chain at $\varphi = 0$
#
# At $\varphi = 0$ the exchange Hamiltonian vanishes and
# $L_F = L_B = \sum_m J^-_m$: the $M N$ emitters form a single
# permutation-invariant ensemble with collective emission $\Gamma$ (twice
# $\Gamma/2$) and local pumping $\gamma$, so every site emits alike, and
# `qutip_twa.exact.uniform_chain_emission` gives $\langle I_m \rangle$ and
# $\langle I_F \rangle$ exactly.  Its cost grows like
# $N_\mathrm{tot}^2 \times$ (the Dicke basis of $N_\mathrm{tot}$ emitters)
# over a run to $t = 2/\Gamma$, which limits it to a few hundred emitters:
# we take $M = 8$ sites of $N = 50$ ($N_\mathrm{tot} = 400$, about a
# minute), pumped as in Fig. 4 at $\gamma = N \Gamma$ from the ground state
# and followed to $t = 2/\Gamma$ on a log-time axis.  The TWA does not use
# the mapping: it treats the chain as 8 coupled ensembles.
# Quick mode: $M = 4$ sites of $N = 10$.

# %%
M0, N0 = (4, 10) if QUICK else (8, 50)
pump0 = N0 * GAMMA
t0_list = log_times(2.0 / GAMMA, 30 if QUICK else 60)
ch0 = models.chain(M0, N0, 0.0, gamma=GAMMA, pumping=pump0)
ends = {"I_1": 0, f"I_{M0}": M0 - 1}  # all sites are equivalent at phi = 0

start = time.perf_counter()
exact0 = uniform_chain_emission(M0, N0, GAMMA, pump0, t0_list)
t_exact0 = time.perf_counter() - start
exact0 = {"I_F": exact0.e_data["I_F"],
          **{key: exact0.e_data["I_m"] for key in ends}}

twa0, t_twa0 = run_chain(
    ch0, t0_list,
    {"I_F": ch0.forward_emission(),
     **{key: ch0.site_emission(m) for key, m in ends.items()}},
    ntraj=128 if QUICK else 1000, seed=1)

norms0 = {"I_F": (M0 * N0) ** 2, **{key: N0 ** 2 for key in ends}}
print(f"phi = 0 chain: M = {M0}, N = {N0}, pumping = {pump0:g}, "
      f"Gamma = {GAMMA:g}")
print(qutip_twa.compare(exact0, twa0, norms=norms0))
print(validity(twa0))
print(f"wall time: exact {t_exact0:.1f} s, twasolve {t_twa0:.1f} s "
      f"({twa0.stats['steps']:.0f} steps per trajectory)")

fig, axes = qutip_twa.plot_comparison(
    exact0, twa0, norms=norms0, logx=True, xlabel=r"$\Gamma t$",
    labels=[r"$\langle I_F \rangle / N_\mathrm{tot}^2$",
            r"$\langle I_1 \rangle / N^2$",
            rf"$\langle I_{{{M0}}} \rangle / N^2$"])
fig.suptitle(rf"$\varphi = 0$ chain, $M = {M0}$, $N = {N0}$, "
             rf"$\gamma = {pump0:g}\,\Gamma$: exact "
             "(uniform_chain_emission) vs TWA")
fig.tight_layout()
fig.savefig(FIGURES / "05_chain_check_phi0.png", dpi=120)
plt.show()

# %% [markdown]
# ## Exact check 2: two ensembles at $\varphi = \pi/10$
#
# The $\varphi = 0$ check has no exchange Hamiltonian and no phases in the
# jumps.  For two sites, `qutip_twa.exact.pair_solve` integrates the master
# equation exactly (up to $N = 20$ per site), with the same `models.chain`
# operators, here at Fig. 4's phase $\varphi = \pi/10$ and with the same
# rule $\gamma = N\Gamma$; this is the setting of the paper's Fig. 3b
# ($N = 20$).  Expect a larger TWA error than above: the ensembles are
# small, and the error falls roughly as $1/N$.  Quick mode: $N = 5$.

# %%
N2 = 5 if QUICK else 20
pump2 = N2 * GAMMA
t2_list = log_times(2.0 / GAMMA, 30 if QUICK else 60, t_start=1e-3)
ch2 = models.chain(2, N2, np.pi / 10, gamma=GAMMA, pumping=pump2)
e_ops2 = {"I_F": ch2.forward_emission(), "I_B": ch2.backward_emission(),
          "I_1": ch2.site_emission(0)}

start = time.perf_counter()
exact2 = pair_solve(ch2.H, ch2.ensembles.ground(), t2_list, ch2.c_ops,
                    e_ops2, **ch2.rates)
t_exact2 = time.perf_counter() - start
twa2, t_twa2 = run_chain(ch2, t2_list, e_ops2,
                         ntraj=200 if QUICK else 4000, seed=2)

norms2 = {"I_F": (2 * N2) ** 2, "I_B": (2 * N2) ** 2, "I_1": N2 ** 2}
print(f"two ensembles: N = {N2} each, phi = pi/10, pumping = {pump2:g}")
print(qutip_twa.compare(exact2, twa2, norms=norms2))
print(validity(twa2))
print(f"wall time: pair_solve {t_exact2:.1f} s, twasolve {t_twa2:.1f} s")

fig, axes = qutip_twa.plot_comparison(
    exact2, twa2, norms=norms2, logx=True, xlabel=r"$\Gamma t$",
    labels=[r"$\langle I_F \rangle / N_\mathrm{tot}^2$",
            r"$\langle I_B \rangle / N_\mathrm{tot}^2$",
            r"$\langle I_1 \rangle / N^2$"])
fig.suptitle(rf"$M = 2$, $N = {N2}$, $\varphi = \pi/10$, "
             rf"$\gamma = {pump2:g}\,\Gamma$: exact (pair_solve) vs TWA")
fig.tight_layout()
fig.savefig(FIGURES / "05_chain_check_pair.png", dpi=120)
plt.show()

# %% [markdown]
# ## Fig. 4(a)-(c): $M = 100$ ensembles of $N = 250$ at $\varphi = \pi/10$
#
# Parameters (PIQS conventions):
# `models.chain(100, 250, np.pi / 10, gamma=1.0, pumping=250.0)`, ground
# state, 1000 trajectories, 80 output times log-spaced from
# $10^{-4}/\Gamma$ to $2/\Gamma$.  We record $I_F$, $I_B$, every $I_m$, and
# $S(p)$ at 129 momenta in $[-\pi, \pi]$.  Quick mode: $M = 16$ sites of
# $N = 10$ ($\gamma = N\Gamma$, same $\varphi$), 24 trajectories.

# %%
M, N = (16, 10) if QUICK else (100, 250)
phi = np.pi / 10
pump = N * GAMMA
n_tot = M * N
tlist = log_times(2.0 / GAMMA, 40 if QUICK else 80)
momenta = np.linspace(-np.pi, np.pi, 33 if QUICK else 129)
ch = models.chain(M, N, phi, gamma=GAMMA, pumping=pump)
e_ops = ch.e_ops(sites=True, momenta=momenta)

twa, t_twa = run_chain(ch, tlist, e_ops, ntraj=24 if QUICK else 1000,
                       seed=3)
print(f"chain: M = {M}, N = {N} (N_tot = {n_tot}), phi = pi/10, "
      f"pumping = {pump:g}, {twa.num_trajectories} trajectories")
print(validity(twa))
print(f"wall time: twasolve {t_twa:.1f} s "
      f"({twa.stats['steps']:.0f} steps per trajectory)")

# %% [markdown]
# Panel (a) is the total forward emission normalised by
# $N_\mathrm{tot}^2$, with the backward emission (equal to it by mirror
# symmetry, up to noise); (b) the emission of each site normalised by
# $N^2$; (c) the structure factor, divided here by $N_\mathrm{tot}^2$ so
# that its values at $p = -\varphi$ and $+\varphi$ (dotted lines) are the
# curves of panel (a).

# %%
shown = tlist > 0
t = tlist[shown]
i_f = np.real(twa.e_data["I_F"])[shown] / n_tot ** 2
i_f_err = twa.stderr_e_data["I_F"][shown] / n_tot ** 2
i_b = np.real(twa.e_data["I_B"])[shown] / n_tot ** 2
local = np.array([np.real(twa.e_data[("I", m)])[shown]
                  for m in range(M)]) / N ** 2
structure = np.array([np.real(twa.e_data[("S", float(p))])[shown]
                      for p in momenta]) / n_tot ** 2

fig, axes = plt.subplots(1, 3, figsize=(15, 4))
ax = axes[0]
(line,) = ax.plot(t, i_f, label=r"$\langle I_F \rangle$")
ax.fill_between(t, i_f - 2 * i_f_err, i_f + 2 * i_f_err,
                color=line.get_color(), alpha=0.3, lw=0, label="± 2 s.e.")
ax.plot(t, i_b, ":", color="gray", label=r"$\langle I_B \rangle$")
ax.set_ylabel(r"$\langle I \rangle / N_\mathrm{tot}^2$")
ax.legend()
ax.set_title("(a) total emission")
ax = axes[1]
mesh = ax.pcolormesh(t, np.arange(1, M + 1), local, shading="nearest")
fig.colorbar(mesh, ax=ax, label=r"$\langle I_m \rangle / N^2$")
ax.set_ylabel(r"site $m$")
ax.set_title("(b) local emission")
ax = axes[2]
mesh = ax.pcolormesh(t, momenta, structure, shading="nearest")
fig.colorbar(mesh, ax=ax, label=r"$S(p) / N_\mathrm{tot}^2$")
for sign in (-1, 1):
    ax.axhline(sign * phi, color="w", ls=":", lw=1)
ax.set_ylabel(r"momentum $p$")
ax.set_title("(c) structure factor")
for ax in axes:
    ax.set_xscale("log")
    ax.set_xlabel(r"$\Gamma t$")
fig.suptitle(rf"Chain of $M = {M}$ ensembles, $N = {N}$, "
             rf"$\varphi = \pi/10$, $\gamma = {pump:g}\,\Gamma$ "
             f"({twa.num_trajectories} trajectories)")
fig.tight_layout()
fig.savefig(FIGURES / "05_chain_fig4abc.png", dpi=120)
plt.show()

# %% [markdown]
# The paper describes a synchronised superradiant burst, after which the
# total forward emission settles within $t \approx 0.01/\Gamma$; then, on
# the time scale $1/\Gamma$, a redistribution of the emission along the
# chain towards a steady, weakly modulated profile; and two sharp peaks of
# $S(p)$ (waves running in both directions) growing at late times.  (In
# quick mode the ensembles are small and the trajectories few, so only the
# rough shape survives.)

# %%
late = t >= 0.5 * t[-1]
print(f"<I_F>/N_tot^2 at t = {t[-1]:.3g}: {i_f[-1]:.4f} +- {i_f_err[-1]:.4f}")
print(f"<I_B>/N_tot^2 at t = {t[-1]:.3g}: {i_b[-1]:.4f}")
profile = local[:, late].mean(axis=1)
print(f"late local emission <I_m>/N^2, averaged over t >= {t[late][0]:.2g}: "
      f"min {profile.min():.4f}, max {profile.max():.4f}, "
      f"chain mean {profile.mean():.4f}")
peak = momenta[np.argmax(structure[:, -1])]
print(f"largest S(p) at t = {t[-1]:.3g}: p = {peak:.3f} "
      f"(phi = {phi:.3f})")

# %% [markdown]
# ## Fig. 4(d): directional emission under a drive
#
# A resonant coherent drive
# $H_\mathrm{drv} = \Omega \sum_m (e^{i\varphi m} J^+_m + \mathrm{h.c.})$
# (`models.chain(..., drive=Omega)`) breaks the mirror symmetry of the
# chain.  The paper evaluates the emission fractions
# $\langle I_F \rangle / \langle I_F + I_B \rangle$ and
# $\langle I_B \rangle / \langle I_F + I_B \rangle$ at $t = 2/\Gamma$ versus
# $\Omega/\gamma$ for $M = 20, 30, 50, 100, 500$, keeping the total phase
# $M\varphi = 10\pi$ and the effective cooperativity
# $\Gamma N_\mathrm{tot}/\gamma = 100$ fixed.  The text says that $\varphi$
# and $\gamma$ are varied with $M$, so we keep $N = 250$ per site, as in
# panels (a)-(c), and $N_\mathrm{tot} = 250 M$ grows with the chain:
#
# - $\varphi = 10\pi/M$ and $\gamma = \Gamma N_\mathrm{tot}/100 = 2.5 M
#   \Gamma$ (`pumping=2.5 * M`);
# - $M = 100$ is then the chain of panels (a)-(c), driven.
#
# **Which mode does the drive feed?**  With the phases of Eq. 8 as written,
# the drive $e^{i\varphi m} J^+_m$ induces dipoles
# $\langle J^-_m \rangle \propto e^{i\varphi m}$, which add up in phase in
# $\langle L_B \rangle = \sum_m e^{-i\varphi m} \langle J^-_m \rangle$, not
# in $L_F$: the emission phase-matched to this drive is $I_B$ in the labels
# of `models.chain`, which follows Eq. 8 literally.  Mirroring the chain,
# $m \to M + 1 - m$, exchanges $L_F$ and $L_B$ and turns the drive into
# $e^{-i\varphi m} J^+_m$ (up to a global phase), so this is a matter of
# labels: the fraction that the paper calls forward, along the drive, is
# $\langle I_B \rangle / \langle I_F + I_B \rangle$ here.  We plot both
# fractions.  At $\Omega = 0$ both are exactly 1/2 by mirror symmetry, so
# we do not run $\Omega = 0$, and use a log axis for $\Omega/\gamma$ from
# 0.01 to 1.
#
# Full mode: 100 trajectories per point, 20 for $M = 500$ (about 11
# minutes per point on two cores); the fractions are ratios of means, and
# their error bars are standard errors from the trajectories (linearised).
# At weak drives a trajectory emits mostly in one direction or the other,
# chosen at random (the fraction has a standard deviation of about 0.4 over
# trajectories for $M = 100$ and 0.5 for $M = 500$ at
# $\Omega/\gamma = 0.01$), so the error bars there are large: $\pm 0.1$
# for $M = 500$.  Quick mode: only $M = 20$, with $N = 10$ per site (same
# $M\varphi$ and $\Gamma N_\mathrm{tot}/\gamma$), two drives and 16
# trajectories: a smoke test, too small to show the effect.

# %%
M_values = (20,) if QUICK else (20, 30, 50, 100, 500)
if os.environ.get("QUTIP_TWA_FIG4D_SITES"):
    M_values = tuple(int(m) for m in
                     os.environ["QUTIP_TWA_FIG4D_SITES"].split(","))
N_d = 10 if QUICK else 250
drives = np.array([0.1, 1.0] if QUICK else [0.01, 0.03, 0.1, 0.3, 1.0])
t_d = np.linspace(0, 2.0 / GAMMA, 5)


def ntraj_d(sites):
    """Trajectories per point of panel (d)."""
    return 16 if QUICK else (20 if sites >= 500 else 100)


def fractions(res):
    """Fractions of I_F and I_B at the last time, with standard errors."""
    f = np.real(res.runs_e_data["I_F"])[:, -1]
    b = np.real(res.runs_e_data["I_B"])[:, -1]
    total = f.mean() + b.mean()
    frac_b = b.mean() / total
    # linearised error of a ratio of means
    err = np.std(b - frac_b * (f + b), ddof=1) / total / np.sqrt(len(f))
    return 1 - frac_b, frac_b, err


frac = {}
start_all = time.perf_counter()
for Md in M_values:
    pump_d = GAMMA * Md * N_d / 100  # Gamma N_tot / gamma = 100
    for x in drives:
        chd = models.chain(Md, N_d, 10 * np.pi / Md, gamma=GAMMA,
                           pumping=pump_d, drive=x * pump_d)
        res, seconds = run_chain(
            chd, t_d, {"I_F": chd.forward_emission(),
                       "I_B": chd.backward_emission()},
            ntraj=ntraj_d(Md), seed=4, keep_runs_results=True)
        frac[Md, x] = fractions(res)
        print(f"M = {Md:3d}, gamma = {pump_d:6.1f}, Omega/gamma = {x:5.2f}: "
              f"I_F fraction {frac[Md, x][0]:.3f}, I_B fraction "
              f"{frac[Md, x][1]:.3f} +- {frac[Md, x][2]:.3f}  "
              f"({seconds:.1f} s)")
print(f"wall time, panel (d): {time.perf_counter() - start_all:.1f} s")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
colors = plt.cm.viridis(np.linspace(0, 0.85, len(M_values)))
for Md, color in zip(M_values, colors):
    f_f, f_b, err = np.array([frac[Md, x] for x in drives]).T
    ax.errorbar(drives, f_b, yerr=err, color=color, marker="o",
                label=f"$M = {Md}$")
    ax.errorbar(drives, f_f, yerr=err, color=color, marker="s", ls="--",
                mfc="none")
ax.axhline(0.5, color="gray", lw=0.8)
ax.set_xscale("log")
ax.set_ylim(0, 1)
ax.set_xlabel(r"$\Omega / \gamma$")
ax.set_ylabel(r"emission fraction at $t = 2/\Gamma$")
ax.set_title(r"along the drive $\langle I_B \rangle / \langle I_F + I_B "
             r"\rangle$ (solid), against it $\langle I_F \rangle / "
             r"\langle I_F + I_B \rangle$ (dashed)", fontsize=9)
ax.legend()
fig.tight_layout()
fig.savefig(FIGURES / "05_chain_fig4d.png", dpi=120)
plt.show()

# %% [markdown]
# The paper reports a fraction along the drive that grows with
# $\Omega/\gamma$ and responds more steeply the longer the chain, with
# $M = 500$ saturating towards unidirectional emission.
