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
# # The linewidth of a superradiant laser
#
# The steady-state superradiant laser of tutorials 2 and 7 emits light
# whose linewidth is set by the rate at which a single emitter transfers
# energy to the collective mode, Γ here (Meiser et al., PRL 102, 163601
# (2009)), not by the number of emitters.  The spectrum is the Fourier
# transform of the first-order correlation ⟨J+(τ) J-⟩ in the steady state.
# QuTiP computes it from the PIQS Liouvillian with `correlation_2op_1t`
# and `spectrum`; `qutip_twa` takes the same calls and returns the TWA's
# answer with standard errors (theory, Section 14): each trajectory gives
# the product of the Weyl symbols of J+ at τ and J- at 0, plus half the
# commutator from copies of the trajectory rotated by J- and run with the
# same noise.
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

import qutip_twa
from qutip_twa import Ensembles, TwaValidityWarning

QUICK = os.environ.get("QUTIP_TWA_TUTORIAL_QUICK") == "1"
FIGURES = Path(os.environ.get("QUTIP_TWA_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

N_EXACT = [10] if QUICK else [10, 30]
N_TWA_ONLY = [100, 10 ** 4] if QUICK else [100, 1000, 10 ** 4, 10 ** 5,
                                             10 ** 6]
NTRAJ = 400 if QUICK else 2000
LINEWIDTH_NTRAJ = 100 if QUICK else 200
TAU = np.linspace(0, 4, 41 if QUICK else 81)
OPTIONS = {"atol": 1e-10, "rtol": 1e-8, "nsteps": 10 ** 6}


def laser(N, pump=0.25):
    """Collective emission Γ = 1, local pumping pump x N Γ."""
    return piqs.Dicke(N, collective_emission=1.0, pumping=pump * N)


def plot_pair(ax, x, exact, twa, stderr, N, every=1):
    """The exact curve and the TWA points with two-standard-error bars."""
    line, = ax.plot(x, exact, "-", label=f"exact, N = {N}")
    ax.errorbar(x[::every], twa[::every], yerr=2 * stderr[::every], fmt="o",
                ms=3, capsize=2, color=line.get_color(),
                label=f"TWA, N = {N}")


def finish(fig, ax, xlabel, ylabel, name):
    """Label, save as FIGURES / name and show."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(FIGURES / name, dpi=120)
    plt.show()


# %% [markdown]
# ## Exact and TWA correlations side by side
#
# `qutip.steadystate` fails on this Liouvillian ("matrix is singular"), so
# the exact steady state comes from a long `mesolve` run; `qutip_twa`'s
# `correlation_2op_1t(..., None, ...)` finds the steady state itself.

# %%
start = time.perf_counter()
exact, twa = {}, {}
for N in N_EXACT:
    system = laser(N)
    L = system.liouvillian()
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    rho_ss = qutip.mesolve(L, piqs.excited(N), [0, 30], options=OPTIONS
                           ).final_state
    exact[N] = qutip.correlation_2op_1t(L, rho_ss, TAU, [], jp, jm,
                                        options=OPTIONS)
    twa[N] = qutip_twa.correlation_2op_1t(L, None, TAU, [], jp, jm,
                                          ntraj=NTRAJ, seeds=N,
                                          full_output=True)
    err = np.abs(twa[N].correlation[0] - exact[N]) / N ** 2
    print(f"N = {N}: max |TWA - exact| of <J+(tau) J->/N^2 = {err.max():.4f}"
          f" (largest standard error {twa[N].stderr[0].max() / N ** 2:.4f})")
print(f"wall time {time.perf_counter() - start:.0f} s")

# %%
fig, ax = plt.subplots(figsize=(5.5, 4))
for N in N_EXACT:
    plot_pair(ax, TAU, exact[N].real / N ** 2,
              twa[N].correlation[0].real / N ** 2, twa[N].stderr[0] / N ** 2,
              N, every=2)
finish(fig, ax, "delay Γτ", "⟨J+(τ) J-⟩ / N²", "08_correlation.png")

# %% [markdown]
# ## Spectra
#
# `qutip_twa.spectrum` integrates the correlation over the delays; with
# `full_output=True` it also gives each frequency's standard error.  The
# exact spectrum here is the same transform of the exact correlation.

# %%
wlist = np.linspace(-8, 8, 41)
weights = np.full(len(TAU), TAU[1])
weights[[0, -1]] /= 2
fig, ax = plt.subplots(figsize=(5.5, 4))
for N in N_EXACT:
    S, se, _ = qutip_twa.spectrum(laser(N), wlist, [], piqs.jspin(N, "+"),
                                  piqs.jspin(N, "-"), taulist=TAU,
                                  ntraj=NTRAJ, seeds=N, full_output=True)
    S_exact = 2 * np.real(np.exp(-1j * np.outer(wlist, TAU))
                          @ (weights * exact[N]))
    plot_pair(ax, wlist, S_exact / N ** 2, S / N ** 2, se / N ** 2, N)
finish(fig, ax, "frequency ω / Γ", "S(ω) / N²", "08_spectrum.png")

# %% [markdown]
# ## The linewidth versus pump and N
#
# For a Lorentzian line, g1(τ) = exp(-Δ τ / 2) and the full width at half
# maximum is Δ = 2 / ∫ g1 dτ.  The TWA gives g1 with
# `coherence_function_g1` (here through `TwaSolver.correlation`, to keep the
# standard errors) beyond the sizes any exact method reaches.
#
# Two settings make N = 10^6 affordable:
#
# - **Steps.** The fast collective relaxation (rate about N Γ) sets the
#   step, so a delay of 1/Γ costs a number of steps proportional to N.
#   The integrator applies each channel's rotation exactly (theory,
#   Section 5.3), and the slow phase diffusion that sets the linewidth is
#   converged at 2 steps per dissipation time, `steps_per_rate=(100, 2)`,
#   10 times fewer than the default.  Measured at pump 0.25 N Γ with 2000
#   trajectories: at N = 1000, Δ = 1.04 ± 0.013 with the default steps
#   (two seeds) and 1.08 ± 0.014 with (100, 2); at N = 10^4, 1.008 ± 0.023
#   with (100, 5) and 1.000 ± 0.023 with (100, 2).  At (100, 1), Δ = 1.084
#   ± 0.029 and ⟨J+J-⟩ is 2% low: no longer converged.  The package's test
#   `test_laser_linewidth_at_large_N` repeats the check at N = 1000.
# - **Ordering.** The commutator term of the correlation is of relative
#   order 1/N.  From N = 1000 on, `ordering="symmetric"` leaves it out and
#   saves the kicked copies of each trajectory (a factor of about 5).

# %%
LINEWIDTH_STEPS = {"steps_per_rate": (100, 2)}


def linewidth(N, pump, seed):
    """Δ = 2 / int g1 dtau and its standard error (from the per-trajectory
    values, delta method) in the steady state."""
    ens = Ensembles([N])
    solver = qutip_twa.TwaSolver(0 * ens.identity(), [ens.jm()],
                                 pumping=pump * N, options=LINEWIDTH_STEPS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TwaValidityWarning)
        res = solver.correlation(
            None, None, TAU, ens.jp(), ens.jm(),
            LINEWIDTH_NTRAJ // 2 if N >= 10 ** 6 else LINEWIDTH_NTRAJ,
            seeds=seed, keep_runs=True,
            ordering="quantum" if N < 1000 else "symmetric")
    runs = res.runs[:, 0, :].real
    area = runs @ weights            # per trajectory: int G1 dtau
    G0 = runs[:, 0]
    width = 2 * G0.mean() / area.mean()
    # delta method for the ratio of two means
    cov = np.cov(np.vstack([G0, area])) / len(G0)
    grad = np.array([2 / area.mean(), -width / area.mean()])
    return width, float(np.sqrt(grad @ cov @ grad))


PUMPS = [0.1, 0.25, 0.5] if QUICK else [0.05, 0.1, 0.25, 0.5, 0.75]
start = time.perf_counter()
widths = {N: [linewidth(N, x, seed=k) for k, x in enumerate(PUMPS)]
          for N in N_EXACT + N_TWA_ONLY}
print("linewidth Δ / Γ (FWHM), TWA ± standard error")
print(f"{'pump/(NΓ)':>10}" + "".join(f"{'N=' + str(N):>16}" for N in widths))
for i, x in enumerate(PUMPS):
    print(f"{x:10.3g}" + "".join(f"{w[i][0]:10.2f} ± {w[i][1]:4.2f}"
                                 for w in widths.values()))
print(f"wall time {time.perf_counter() - start:.0f} s")

# %%
fig, ax = plt.subplots(figsize=(5.5, 4))
for N, w in widths.items():
    w = np.array(w)
    ax.errorbar(PUMPS, w[:, 0], yerr=2 * w[:, 1], fmt="o-", ms=4, capsize=2,
                label=f"TWA, N = {N:,}")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks(PUMPS, [f"{x:g}" for x in PUMPS], minor=False)
ax.xaxis.set_minor_formatter(plt.NullFormatter())
finish(fig, ax, "pump rate γ / (N Γ)", "linewidth Δ / Γ", "08_linewidth.png")

# %% [markdown]
# ## g2(τ): intensity correlations
#
# `coherence_function_g2` needs the three-operator correlation
# ⟨J+(0) J+J-(τ) J-(0)⟩ (theory, Section 14).  At N = 10 the exact light is
# bunched at τ = 0, dips below 1 near Γτ ≈ 0.4 and returns to 1.

# %%
N = 10
L = laser(N).liouvillian()
jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
rho_ss = qutip.mesolve(L, piqs.excited(N), [0, 30], options=OPTIONS
                       ).final_state
tau_g2 = TAU[TAU <= 2]
g2_exact = np.real(qutip.correlation_3op_1t(L, rho_ss, tau_g2, [], jp,
                                            jp * jm, jm, options=OPTIONS)
                   / qutip.expect(jp * jm, rho_ss) ** 2)
g2_twa, _ = qutip_twa.coherence_function_g2(L, None, tau_g2, [], jm,
                                            ntraj=NTRAJ, seeds=1)
print("tau    exact g2   TWA g2")
for t, e, w in list(zip(tau_g2, g2_exact, g2_twa.real))[::4]:
    print(f"{t:4.1f} {e:10.3f} {w:8.3f}")
fig, ax = plt.subplots(figsize=(5.5, 4))
ax.plot(tau_g2, g2_exact, "-", label="exact, N = 10")
ax.plot(tau_g2, g2_twa.real, "o", ms=3, label="TWA, N = 10")
finish(fig, ax, "delay Γτ", "g2(τ)", "08_g2_tau.png")

# %% [markdown]
# ## g2(0) through the lasing window
#
# The intensity correlation at zero delay,
# g2(0) = ⟨J+J+J-J-⟩ / ⟨J+J-⟩², is
# an equal-time quantity: `steadystate_expect` gives it at any N (cost
# independent of N).  Coherent light has g2(0) = 1, thermal light 2.

# %%
G2_PUMPS = np.logspace(-2.5, 0.3, 6 if QUICK else 12)
G2_N = [100, 10 ** 4] if QUICK else [100, 10 ** 4, 10 ** 6]
fig, ax = plt.subplots(figsize=(5.5, 4))
for N in G2_N:
    ens = Ensembles([N])
    n = ens.jp() * ens.jm()
    values = []
    for k, x in enumerate(G2_PUMPS):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TwaValidityWarning)
            res = qutip_twa.steadystate_expect(
                0 * ens.identity(), [ens.jm()],
                e_ops={"n": n, "nn": ens.jp() ** 2 * ens.jm() ** 2},
                pumping=x * N, ntraj=200 if QUICK else 400, seeds=k,
                options={"steps_per_rate": 400} if N >= 10 ** 5 else None)
        values.append(res.e_data["nn"].real / res.e_data["n"].real ** 2)
    ax.plot(G2_PUMPS, values, "o-", ms=4, label=f"TWA, N = {N}")
    print(f"N = {N}: g2(0) = " + ", ".join(f"{v:.3f}" for v in values))
ax.axhline(1, color="gray", lw=0.8)
ax.set_xscale("log")
finish(fig, ax, "pump rate γ / (N Γ)", "g2(0)", "08_g2.png")

# %% [markdown]
# In the lasing window the light is nearly coherent (g2(0) close to 1) and
# the linewidth is of order Γ, independent of N, as the steady-state
# superradiant laser predicts; towards the window's edges g2(0) rises and
# the line broadens.  At full size, from N = 1000 to 10^6 the linewidths
# agree within their standard errors at every pump: about 0.9 Γ at
# 0.05-0.1 N Γ, 1.05 Γ at 0.25 N Γ, 2 Γ at 0.5 N Γ and 4 Γ at 0.75 N Γ.
# Below N = 1000 the line is broader.  The TWA's correlation error falls
# with N (the table of the theory page, Section 14).
