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
# # Where the TWA goes wrong, and how the package tells you
#
# The truncated Wigner approximation keeps the leading order of an expansion
# in 1/J, where J is the total spin of an ensemble along a trajectory
# (paper Eq. 5).  Usually J is of order N and the errors fall like 1/N.  It
# fails where the dynamics drives the ensemble into *deep subradiance*:
# dark states |J, -J⟩ with J of order 1, where the emission rate ⟨J⁺J⁻⟩ is
# itself of order 1.  The TWA error of ⟨J⁺J⁻⟩ is then comparable to
# ⟨J⁺J⁻⟩, even though it looks negligible after normalising by N².
#
# The package reports this with
#
# - `result.stats["fraction_J_below_1"]`: per output time, the fraction of
#   trajectories with J < 1 (in any ensemble), and
# - a `TwaValidityWarning` when that fraction exceeds 10 % at some time.
#
# This notebook shows one case inside the validity region, the failure at
# weak pumping (the grey region of the paper's Fig. 2b inset), and a
# failure that the diagnostic does *not* see: two ensembles decaying into a
# state that is dark for the pair, though bright for each ensemble alone.
#
# Rates are in PIQS conventions: collective emission Γ D[J⁻]
# (`collective_emission=1`) and local pumping γ D[σ⁺] on every emitter
# (`pumping=γ`), with D[A]ρ = AρA⁺ - {A⁺A, ρ}/2.  The paper writes
# (γ/2) D'[σ⁺] with D' = 2D, so its γ is the same number.
#
# Set `QUTIP_TWA_TUTORIAL_QUICK=1` to run this notebook at reduced size.

# %%
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from qutip import piqs
from scipy.sparse.linalg import spsolve

import qutip_twa
from qutip_twa import models, twasolve
from qutip_twa.operators.dicke import dicke_labels
from qutip_twa.exact import (pair_solve, population_rate_matrix,
                             population_solve)
from qutip_twa import TwaValidityWarning

QUICK = os.environ.get("QUTIP_TWA_TUTORIAL_QUICK") == "1"
FIGURES = Path(os.environ.get("QUTIP_TWA_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

N = 10 if QUICK else 25
jpjm = piqs.jspin(N, "+") * piqs.jspin(N, "-")
e_ops = {"<J+J->": jpjm, "<Jz>": piqs.jspin(N, "z")}


def run_twa(*args, **kwargs):
    """twasolve, returning the result and the validity warnings it gave."""
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always", TwaValidityWarning)
        result = twasolve(*args, **kwargs)
    return result, [w for w in found
                    if issubclass(w.category, TwaValidityWarning)]


def report(twa, caught, wall):
    below = twa.stats["fraction_J_below_1"]
    print(f"fraction of trajectories with J < 1: max {below.max():.3f}, "
          f"{below[-1]:.3f} at the end")
    print(f"TwaValidityWarnings: {len(caught)}")
    for w in caught:
        print("   ", w.message)
    print(f"wall time: twasolve {wall:.1f} s")


# %% [markdown]
# ## Inside the validity region: the superradiant laser
#
# The laser of Fig. 2a (and tutorial 1) with N = 25: all emitters excited at
# t = 0, collective emission Γ = 1, local pumping γ = 0.25 N Γ.  The pump
# keeps the ensemble near half inversion with a macroscopic collective
# spin, J ~ N/2 along the trajectories.  Since H = 0 and the initial state
# is diagonal in the Dicke basis, `population_solve` gives the exact
# populations, hence ⟨J⁺J⁻⟩ and ⟨Jz⟩.

# %%
laser = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
t_laser = np.linspace(0, 8 / N, 81)
ntraj = 512 if QUICK else 8192

start = time.perf_counter()
exact_laser = population_solve(laser, piqs.excited(N), t_laser, e_ops=e_ops)
t_exact = time.perf_counter() - start
start = time.perf_counter()
twa_laser, caught = run_twa(laser, piqs.excited(N), t_laser, e_ops=e_ops,
                            ntraj=ntraj, seeds=1)
t_twa = time.perf_counter() - start

print(qutip_twa.compare(exact_laser, twa_laser,
                        norms={"<J+J->": N ** 2, "<Jz>": N}))
print("absolute errors (no normalisation):")
print(qutip_twa.compare(exact_laser, twa_laser, keys=["<J+J->"]))
report(twa_laser, caught, t_twa)
print(f"wall time: population_solve {t_exact:.2f} s")

# %% [markdown]
# The deviation is one to a few per cent of the peak emission, hardly any
# trajectory reaches J < 1, and there is no warning.
#
# ## Deep subradiance: weak pumping
#
# Now the same ensemble with a weak pump, γ = 0.1 Γ.  After the
# superradiant burst (t ~ ln N / (N Γ)) the ensemble sits near its ground
# state |N/2, -N/2⟩.  A local pump event excites one emitter, mostly *not*
# symmetrically: it moves the ensemble to |N/2 - 1, -N/2 + 1⟩, which is the
# lowest state of a smaller J and therefore dark to J⁻.  Excitations pile up
# in dark states |J, -J⟩ of ever smaller J, until about half the emitters
# are excited while the emission stays weak: from
# d⟨Jz⟩/dt = -Γ⟨J⁺J⁻⟩ + γ(N/2 - ⟨Jz⟩), the steady state has
# ⟨J⁺J⁻⟩ = (γ/Γ)(N/2 - ⟨Jz⟩) ≈ γN/(2Γ) ≈ 1.3 for N = 25 (0.5 for the
# quick run's N = 10).  The trajectories' J is then of order 1.

# %%
WEAK = 0.1
weak = piqs.Dicke(N, collective_emission=1.0, pumping=WEAK)
t_weak = np.linspace(0, 6.0 if QUICK else 15.0, 76)

start = time.perf_counter()
exact_weak = population_solve(weak, piqs.excited(N), t_weak, e_ops=e_ops)
t_exact = time.perf_counter() - start
start = time.perf_counter()
twa_weak, caught = run_twa(weak, piqs.excited(N), t_weak, e_ops=e_ops,
                           ntraj=ntraj, seeds=2)
t_twa = time.perf_counter() - start

print("normalised as in the paper (N^2, N):")
print(qutip_twa.compare(exact_weak, twa_weak,
                        norms={"<J+J->": N ** 2, "<Jz>": N}))
ex_weak = np.real(exact_weak.e_data["<J+J->"])
tw_weak = np.real(twa_weak.e_data["<J+J->"])
se_weak = twa_weak.stderr_e_data["<J+J->"]
after = t_weak >= 1.0  # after the superradiant burst
print(f"after the burst (Γt >= 1): exact <J+J-> between "
      f"{ex_weak[after].min():.2f} and {ex_weak[after].max():.2f}; "
      f"max |TWA - exact| = {np.abs(tw_weak - ex_weak)[after].max():.2f} "
      f"(max stderr {se_weak[after].max():.2f}); TWA minimum "
      f"{tw_weak[after].min():.2f}")
late = t_weak >= t_weak[-1] / 2
print(f"<J+J-> over the second half of the run: exact "
      f"{ex_weak[late].mean():.3f}, TWA {tw_weak[late].mean():.3f} "
      f"(relative error {abs(tw_weak[late].mean() / ex_weak[late].mean() - 1):.0%})")
report(twa_weak, caught, t_twa)
print(f"wall time: population_solve {t_exact:.2f} s")

# %% [markdown]
# Normalised by N² the error looks as small as in the laser: the largest
# deviation is during the burst, where ⟨J⁺J⁻⟩ is of order N².  After the
# burst ⟨J⁺J⁻⟩ is only about one, and the TWA is off by a sizeable fraction
# of it: about 20 % in the steady state, and worse just after the burst,
# where the exact emission is smallest and the TWA mean even dips below
# zero, impossible for the positive operator J⁺J⁻.
#
# Note *when* the diagnostic fires.  Just after the burst every trajectory
# still has J ≈ N/2: the ensemble sits near its ground state |N/2, -N/2⟩,
# where ⟨J⁺J⁻⟩ is also of order 1, and `fraction_J_below_1` is still zero.
# It rises (and the warning fires) only once the pump has carried the
# trajectories down to small J, in the dark states.  The fraction of
# trajectories with J < 1 is a sign of deep subradiance, not a complete
# test: an emission rate of order 1 is the other one.
#
# A warning can also be made an error, for example in a parameter scan that
# should stop rather than produce unreliable numbers:

# %%
try:
    with warnings.catch_warnings():
        warnings.simplefilter("error", TwaValidityWarning)
        twasolve(weak, piqs.excited(N), t_weak[::5], e_ops=e_ops,
                 ntraj=256, seeds=3)
except TwaValidityWarning as err:
    print("stopped:", err)
else:
    print("finished without a TwaValidityWarning")

# %%
fig, axes = plt.subplots(2, 3, figsize=(13, 6.4))
qutip_twa.plot_comparison(
    exact_laser, twa_laser, norms={"<J+J->": N ** 2, "<Jz>": N},
    labels=["⟨J+J-⟩ / N²", "⟨Jz⟩ / N"], time_scale=N, xlabel="N Γ t",
    axes=axes[0, :2])
axes[0, 2].plot(N * t_laser, twa_laser.stats["fraction_J_below_1"])
axes[0, 2].set(xlabel="N Γ t", ylabel="fraction of trajectories, J < 1",
               ylim=(-0.02, 1))
axes[0, 0].set_title(f"laser, N = {N}, γ = {0.25 * N:g} Γ: valid")
qutip_twa.plot_comparison(
    exact_weak, twa_weak, norms={"<J+J->": 1, "<Jz>": N},
    labels=["⟨J+J-⟩  (not normalised)", "⟨Jz⟩ / N"], xlabel="Γ t",
    axes=axes[1, :2])
axes[1, 0].set_ylim(-0.5, 3)
axes[1, 0].axhline(0, color="0.6", lw=0.8)
axes[1, 2].plot(t_weak, twa_weak.stats["fraction_J_below_1"])
axes[1, 2].axhline(0.1, color="r", ls=":", label="warning threshold")
axes[1, 2].set(xlabel="Γ t", ylabel="fraction of trajectories, J < 1",
               ylim=(-0.02, 1))
axes[1, 2].legend()
axes[1, 0].set_title(f"weak pump, N = {N}, γ = {WEAK:g} Γ: deep subradiance")
fig.tight_layout()
fig.savefig(FIGURES / "06_validity_time.png", dpi=120)
plt.show()

# %% [markdown]
# ## Steady-state emission against the pump rate (Fig. 2b, inset)
#
# Scanning γ shows where the approximation holds.  The exact steady state
# is the null vector of the rate matrix W of the Dicke-basis populations
# (dp/dt = W p, from `qutip_twa.exact.population_rate_matrix`; one
# equation is replaced by the normalisation Σ p = 1).  The TWA runs from
# the excited state until the emission has settled (about 1/γ for weak
# pumping) and averages ⟨J⁺J⁻⟩ over the second half of the run.  With
# `keep_runs_results` each trajectory's time average is available, and
# their spread gives the standard error of the plotted point.
#
# As in the paper's inset we plot ⟨J⁺J⁻⟩ / N, shading red where it is below
# 1 (subradiant: less than N independent emitters would give) and grey
# where ⟨J⁺J⁻⟩ itself is below 1.

# %%
def exact_steady_jpjm(gamma):
    """<J+J-> in the exact steady state, from the population rate matrix."""
    W = population_rate_matrix(N, pumping=gamma, collective_emission=1.0)
    A = W.tolil()
    A[0, :] = 1.0
    rhs = np.zeros(W.shape[0])
    rhs[0] = 1.0
    p = spsolve(A.tocsc(), rhs)
    j, m = dicke_labels(N)
    return np.sum((j + m) * (j - m + 1) * p)


GAMMAS = [0.1, 1.0, 10.0] if QUICK else \
    [0.03, 0.06, 0.1, 0.2, 0.4, 1.0, 2.5, 6.25, 15.0]
scan_ntraj = 256 if QUICK else 1024
scan = []
start_all = time.perf_counter()
for g in GAMMAS:
    system = piqs.Dicke(N, collective_emission=1.0, pumping=g)
    steady = exact_steady_jpjm(g)
    t_end = 2 * max(1.1 / g, 2.0)
    if QUICK:
        t_end = min(t_end, 10.0)
    times = np.linspace(0, t_end, 41)
    start = time.perf_counter()
    twa, caught = run_twa(system, piqs.excited(N), times,
                          e_ops={"<J+J->": jpjm}, ntraj=scan_ntraj, seeds=4,
                          options={"keep_runs_results": True})
    window = times >= t_end / 2
    per_traj = np.real(np.asarray(twa.runs_e_data["<J+J->"]))[:, window]
    per_traj = per_traj.mean(axis=1)
    below = twa.stats["fraction_J_below_1"][window].mean()
    scan.append((g, steady, per_traj.mean(),
                 per_traj.std(ddof=1) / np.sqrt(len(per_traj)), below,
                 len(caught), time.perf_counter() - start))
scan = np.array(scan)
t_scan = time.perf_counter() - start_all

print(f"N = {N}; <J+J-> in the steady state ({scan_ntraj} trajectories "
      "per point)")
print(f"{'γ/Γ':>6} {'exact':>8} {'TWA':>8} {'stderr':>7} {'rel. err':>8} "
      f"{'J<1 frac':>8} {'warned':>6} {'time [s]':>8}")
for g, ex, tw, se, below, warned, wall in scan:
    print(f"{g:6.3g} {ex:8.3f} {tw:8.3f} {se:7.3f} {abs(tw / ex - 1):8.1%} "
          f"{below:8.2f} {'yes' if warned else 'no':>6} {wall:8.1f}")
print(f"wall time of the scan: {t_scan:.1f} s")

# %%
gamma_fine = np.geomspace(min(GAMMAS) / 1.5, max(GAMMAS) * 1.5, 40)
exact_fine = np.array([exact_steady_jpjm(g) for g in gamma_fine])

fig, (ax, ax_err) = plt.subplots(1, 2, figsize=(11, 4.2))
ax.plot(gamma_fine, exact_fine / N, "k-", label="exact")
ax.errorbar(scan[:, 0], scan[:, 2] / N, yerr=2 * scan[:, 3] / N, fmt="o",
            ms=5, label="TWA (± 2 s.e.)")
subradiant = gamma_fine[exact_fine / N < 1]
deep = gamma_fine[exact_fine < 1]
if len(subradiant):
    ax.axvspan(gamma_fine[0], subradiant.max(), color="r", alpha=0.12,
               lw=0, label="⟨J+J-⟩ < N (subradiant)")
if len(deep):
    ax.axvspan(gamma_fine[0], deep.max(), color="0.4", alpha=0.3, lw=0,
               label="⟨J+J-⟩ < 1")
ax.set(xscale="log", yscale="log", xlabel="pump rate γ / Γ",
       ylabel="steady-state ⟨J+J-⟩ / N", title=f"N = {N}")
ax.legend(fontsize=8)
ax_err.plot(scan[:, 0], np.abs(scan[:, 2] / scan[:, 1] - 1), "o-",
            label="|TWA - exact| / exact")
ax_err.plot(scan[:, 0], scan[:, 4], "s--",
            label="fraction of trajectories with J < 1")
ax_err.axhline(0.1, color="r", ls=":", label="warning threshold (10 %)")
ax_err.set(xscale="log", xlabel="pump rate γ / Γ", ylim=(0, 1),
           title="steady state: error and diagnostic")
ax_err.legend(fontsize=8)
fig.tight_layout()
fig.savefig(FIGURES / "06_validity_scan.png", dpi=120)
plt.show()

# %% [markdown]
# The relative error is a few per cent (about 1/N) across the lasing range
# and grows steeply once ⟨J⁺J⁻⟩ approaches 1.  The diagnostic rises in the
# same direction, but it is a warning sign rather than an error bar: it
# passes the 10 % threshold already at pump rates where the emission is
# still within a few per cent, because a trajectory with J < 1 contributes
# little to ⟨J⁺J⁻⟩ as long as most of the emission comes from the others.
#
# ## A failure the diagnostic does not see: a dark state of two ensembles
#
# `fraction_J_below_1` watches the total spin of each ensemble.  Subradiance
# can also be collective *between* ensembles.  Take the chain of tutorial 4
# with M = 2 and φ = π: the sites are half a wavelength apart, H vanishes
# (sin π = 0) and both jumps are ∝ J⁻₁ - J⁻₂, so the pair decays through
# the antisymmetric mode, at total rate Γ.  Start with ensemble 1 excited
# and ensemble 2 in its ground state, with no local processes.  Each
# ensemble keeps J = N/2 throughout, but the staggered spin J₁ - J₂ has
# total spin from 0 to N, and every sector of it ends in its own dark
# state: the emission ⟨I⟩ = ⟨L_F⁺ L_F⟩ decays to zero with excitation left
# trapped.  `pair_solve` gives the exact dynamics.

# %%
N_PAIR = 5 if QUICK else 10
dark = models.chain(2, N_PAIR, np.pi, gamma=1.0)
rho_pair = dark.ensembles.product([piqs.excited(N_PAIR),
                                   piqs.ground(N_PAIR)])
pair_ops = {"<I_F>": dark.forward_emission(),
            "<Jz1 + Jz2>": dark.ensembles.jz(0) + dark.ensembles.jz(1)}
t_pair = np.linspace(0, 1.5, 61)

start = time.perf_counter()
exact_pair = pair_solve(dark.H, rho_pair, t_pair, dark.c_ops, pair_ops)
t_exact = time.perf_counter() - start
start = time.perf_counter()
twa_pair, caught = run_twa(dark.H, rho_pair, t_pair, dark.c_ops,
                           e_ops=pair_ops, ntraj=ntraj, seeds=5)
t_twa = time.perf_counter() - start

print("absolute errors (no normalisation):")
print(qutip_twa.compare(exact_pair, twa_pair))
left = 0.5 + np.real(exact_pair.e_data["<Jz1 + Jz2>"][-1]) / (2 * N_PAIR)
print(f"fraction of emitters still excited at the end (exact): {left:.2f}")
print(f"<I_F> at t = {t_pair[-1]:g}/Γ: exact "
      f"{np.real(exact_pair.e_data['<I_F>'][-1]):.3f}, TWA "
      f"{twa_pair.e_data['<I_F>'][-1].real:.3f} ± "
      f"{twa_pair.stderr_e_data['<I_F>'][-1]:.3f}")
report(twa_pair, caught, t_twa)
print(f"wall time: pair_solve {t_exact:.2f} s")

# %%
fig, axes = qutip_twa.plot_comparison(
    exact_pair, twa_pair, norms={"<I_F>": 1, "<Jz1 + Jz2>": 2 * N_PAIR},
    labels=["⟨I_F⟩  (not normalised)", "⟨Jz1 + Jz2⟩ / N_tot"],
    xlabel="Γ t")
axes[0].axhline(0, color="0.6", lw=0.8)
fig.suptitle(f"two ensembles at φ = π, N = {N_PAIR} each: "
             "ensemble 1 excited, ensemble 2 ground")
fig.tight_layout()
fig.savefig(FIGURES / "06_validity_dark_pair.png", dpi=120)
plt.show()

# %% [markdown]
# The inversion is accurate to about a tenth of an excitation, but the
# TWA emission rate, the mean of a positive operator, goes *negative* while
# the exact one decays to zero; no trajectory has J < 1 and no warning is
# issued.  (A four times finer time step, `options={"steps_per_rate": 400}`,
# gives the same curves: this is the approximation, not the integrator.)
#
# ## Summary: when to distrust a TWA result
#
# - A `TwaValidityWarning`, or a large `stats["fraction_J_below_1"]`: deep
#   subradiance within an ensemble.  For a chain of many small ensembles
#   the fraction counts a trajectory when *any* site has J < 1, so it
#   saturates easily (tutorial 4); judge by the observables you need.
# - An observable that is a positive operator (an emission rate ⟨L⁺L⟩)
#   whose un-normalised value is of order 1 or below, as after the burst of
#   the weakly pumped laser or in the dark state of the pair: the TWA error
#   of such a quantity is of order 1 in absolute terms (here a few tenths),
#   so it dominates there, and a negative mean is a sure sign.  Normalising
#   by N² hides this.  Neither case need show J < 1.
# - Inside the validity region the error falls as the ensembles grow
#   (about 1/N); if increasing N does not shrink the relative error of the
#   quantity you need, the dynamics is in one of the regimes above.
