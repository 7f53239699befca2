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
# # Ensembles in a waveguide: two ensembles and long chains
#
# The paper's Fig. 3: M ensembles of N emitters sit at the sites
# m = 1, ..., M of a chain of bad-cavity resonators (or a waveguide).
# Eliminating the photons leaves (paper Eq. 8)
#
# $$H = \frac{\Gamma}{2}\sum_{m, m'} \sin(\varphi |m - m'|)\, J^+_m J^-_{m'},
# \qquad L_{F,B} = \sum_m e^{\pm i \varphi m} J^-_m ,$$
#
# with collective emission into the forward and backward modes at rate Γ/2
# each, i.e. the jumps `sqrt(Γ/2) L_F` and `sqrt(Γ/2) L_B` in QuTiP's
# convention D[A]ρ = AρA⁺ - {A⁺A, ρ}/2.  φ is the propagation phase between
# neighbouring sites.  Every emitter is pumped locally at rate γ, which is
# PIQS's `pumping` (the paper writes (γ/2) D'[σ+] with D' = 2D, the same
# term).  `qutip_twa.models.chain(M, N, phi, gamma=Γ, pumping=γ)` builds H,
# the two jumps and the observables: the forward emission rate
# I_F = L_F⁺ L_F and the site-resolved emission I_m = J⁺_m J⁻_m.
#
# Each ensemble is four phase-space variables in the TWA, so the cost grows
# linearly with M, while an exact solution on the product of M Dicke bases
# grows as N^(3M).  Two checks are possible:
#
# 1. M = 2 ensembles of N = 20 (paper Fig. 3b): the exact solution of the
#    two-ensemble master equation (`qutip_twa.exact.pair_solve`).
# 2. φ = 0 (Fig. 3b inset): H vanishes and L_F = L_B = Σ_m J⁻_m, so the
#    M N emitters form one permutation-invariant ensemble with collective
#    emission Γ; its populations are solved exactly for N_tot = M N up to
#    10⁴ (`qutip_twa.exact.uniform_chain_emission`).
#
# Set `QUTIP_TWA_TUTORIAL_QUICK=1` to run this notebook at reduced size.

# %%
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import Patch
import numpy as np

import qutip_twa
from qutip_twa import models, twasolve
from qutip_twa.exact import pair_solve, uniform_chain_emission
from qutip_twa import TwaValidityWarning

QUICK = os.environ.get("QUTIP_TWA_TUTORIAL_QUICK") == "1"
FIGURES = Path(os.environ.get("QUTIP_TWA_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## Two ensembles: the propagation phase suppresses emission
#
# Parameters of Fig. 3b: M = 2 ensembles of N = 20 emitters
# (N_tot = 40), all in the ground state at t = 0, decay rate Γ = 1 into the
# chain, local pumping γ = 10 Γ on every emitter (`pumping=10`), and
# φ = 0, π/4, π/2, up to t = 2/Γ.  We record the normalised forward emission
# ⟨I_F⟩ / N_tot².
#
# A run of `twasolve` looks exactly like one of `pair_solve`: the same
# Hamiltonian, initial state, jumps and local rates (`**ch.rates` passes
# `pumping=10`).  The exact solver works on the block structure of the
# two Dicke bases (about 10⁷ density-matrix elements at N = 20, tens of
# seconds per φ); the TWA run is M = 2 ensembles of four variables each.
#
# At N = 20 the pump first drives each ensemble towards an incoherent,
# half-inverted state whose total spin J is only a few units, so a fraction
# of the trajectories briefly has J < 1 and `twasolve` issues a
# `TwaValidityWarning` (tutorial 6 explains the diagnostic).  Here we
# collect the warnings and print them with the results; the comparison with
# the exact solution below shows how much they matter in this case.

# %%
N = 6 if QUICK else 20
N_TOT = 2 * N
PUMP = 10.0
PHIS = {"φ = 0": 0.0, "φ = π/4": np.pi / 4, "φ = π/2": np.pi / 2}
tlist = np.linspace(0, 2.0, 41 if QUICK else 101)
ntraj = 256 if QUICK else 4096

exact, twa, caught = {}, {}, {}
t_exact, t_twa = {}, {}
for name, phi in PHIS.items():
    ch = models.chain(2, N, phi, gamma=1.0, pumping=PUMP)
    e_ops = {"I_F": ch.forward_emission()}
    start = time.perf_counter()
    exact[name] = pair_solve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                             e_ops, **ch.rates)
    t_exact[name] = time.perf_counter() - start
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always", TwaValidityWarning)
        twa[name] = twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                             e_ops=e_ops, ntraj=ntraj, seeds=1, **ch.rates)
    caught[name] = [w for w in found
                    if issubclass(w.category, TwaValidityWarning)]
    t_twa[name] = time.perf_counter() - start

# %% [markdown]
# The error table for each φ: the maximum over time of
# |⟨I_F⟩_TWA - ⟨I_F⟩_exact| / N_tot², with the largest standard error of the
# TWA mean (the statistical part of the deviation) and the largest fraction
# of trajectories with J < 1 in either ensemble.

# %%
norms = {"I_F": N_TOT ** 2}
for name in PHIS:
    print(f"--- {name}, M = 2, N = {N} per ensemble, pumping {PUMP:g} Γ")
    print(qutip_twa.compare(exact[name], twa[name], norms=norms))
    below = twa[name].stats["fraction_J_below_1"]
    print(f"fraction of trajectories with J < 1: max {below.max():.3f} "
          f"(at Γt = {tlist[np.argmax(below)]:.2f}), {below[-1]:.3f} at the "
          f"end; {len(caught[name])} TwaValidityWarning(s)")
    for w in caught[name]:
        print("   ", str(w.message).split(":")[0])
    print(f"wall time: pair_solve {t_exact[name]:.1f} s, "
          f"twasolve {t_twa[name]:.1f} s\n")

# %% [markdown]
# How strongly does the phase suppress the emission?  We compare the
# transient peak and the value at t = 2/Γ, where the emission has settled,
# between φ = 0 and φ = π/2, for both solutions.

# %%
def curve(result):
    return np.real(result.e_data["I_F"]) / N_TOT ** 2


end_change = abs(curve(exact["φ = 0"])[-1] / curve(exact["φ = 0"])[-6] - 1)
print(f"exact <I_F>/N_tot^2 at t = 2/Γ changes by {100 * end_change:.2f}% "
      f"over the last {tlist[-1] - tlist[-6]:.2f}/Γ (φ = 0)")
for label, results in (("exact", exact), ("TWA", twa)):
    peak = {k: curve(r).max() for k, r in results.items()}
    late = {k: curve(r)[-1] for k, r in results.items()}
    print(f"{label:>5}: peak  " + "  ".join(f"{k}: {v:.4f}"
                                             for k, v in peak.items()))
    print(f"{'':>5}  t = 2  " + "  ".join(f"{k}: {v:.4f}"
                                          for k, v in late.items()))
    print(f"{'':>5}  φ = π/2 vs φ = 0: peak lower by "
          f"{100 * (1 - peak['φ = π/2'] / peak['φ = 0']):.0f}%, emission at "
          f"t = 2/Γ lower by "
          f"{100 * (1 - late['φ = π/2'] / late['φ = 0']):.0f}%")

# %% [markdown]
# In this exact solution the φ = π/2 emission at t = 2/Γ is about 31 %
# below that at φ = 0 (with N = 20 per ensemble), and the transient peak
# about 43 % lower.  The paper's text quotes a steady-state suppression of
# "nearly 50 %"; what we measure for the steady state is the smaller number
# above, and the TWA reproduces it.

# %% [markdown]
# ## Long chains at φ = 0: site-resolved emission
#
# The inset of Fig. 3b: chains of M = 1, 10, 100 and 1000 ensembles at φ = 0,
# each site pumped at γ = 0.25 N_tot Γ (`pumping=0.25 * N_tot`), from the
# ground state.  The paper does not state N for the inset; we take N = 10
# per site.  Time is scaled as N_tot Γ t, as in Fig. 2a, up to
# N_tot Γ t = 30: the pump first builds up inversion, a superradiant burst
# follows at N_tot Γ t ≈ 15, and the emission settles.
#
# The exact populations of the M = 1000 chain (N_tot = 10⁴ emitters,
# 2.5·10⁷ Dicke states) take many minutes to integrate over this window;
# for it the exact reference samples the same population dynamics with
# `population_montecarlo` (`uniform_chain_emission(..., ntraj=...)`), which
# costs about 40,000 transitions per trajectory here and carries a standard
# error of its own.
#
# All sites emit alike (⟨I_m⟩ is the same for every m at φ = 0), so besides
# the middle site, `site_emission(M // 2)`, we record the average over all
# sites, `ens.exchange(eye(M) / M)` = (1/M) Σ_m J⁺_m J⁻_m: its standard
# error is much smaller, which lets the longest chains run with few
# trajectories.  Both are compared with the exact ⟨I_m⟩ / N².
#
# For chains the diagnostic `fraction_J_below_1` counts a trajectory as soon
# as any of its M ensembles has J < 1.  With N = 10 per site and a hundred
# sites that happens in essentially every trajectory during the pumped
# transient, whatever the accuracy of the emission, so the warning says
# little here; we record it and look at the errors instead.

# %%
N_SITE = 5 if QUICK else 10
SIZES = {1: 512, 10: 256} if QUICK else {1: 4096, 10: 1024, 100: 256,
                                          1000: 64}
EXACT_MAX_M = 100  # beyond: the exact Monte Carlo of the populations
NTRAJ_EXACT_MC = 256 if QUICK else 2000
SCALED_END = 20.0 if QUICK else 30.0  # N_tot Γ t

chain_exact, chain_twa = {}, {}
t_chain_exact, t_chain_twa, chain_warned = {}, {}, {}
for M, n_runs in SIZES.items():
    n_tot = M * N_SITE
    times = np.linspace(0, SCALED_END / n_tot, 61 if QUICK else 121)
    start = time.perf_counter()
    mc = {} if M <= EXACT_MAX_M else dict(ntraj=NTRAJ_EXACT_MC, seeds=3)
    site = np.real(uniform_chain_emission(M, N_SITE, 1.0, 0.25 * n_tot,
                                          times, **mc).e_data["I_m"])
    chain_exact[M] = {"I_mid": site, "I_avg": site}
    t_chain_exact[M] = time.perf_counter() - start
    ch = models.chain(M, N_SITE, 0.0, gamma=1.0, pumping=0.25 * n_tot)
    e_ops = {"I_mid": ch.site_emission(M // 2),
             "I_avg": ch.ensembles.exchange(np.eye(M) / M)}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as found:
        warnings.simplefilter("always", TwaValidityWarning)
        chain_twa[M] = twasolve(ch.H, ch.ensembles.ground(), times, ch.c_ops,
                                e_ops=e_ops, ntraj=n_runs, seeds=2,
                                **ch.rates)
    chain_warned[M] = sum(issubclass(w.category, TwaValidityWarning)
                          for w in found)
    t_chain_twa[M] = time.perf_counter() - start

# %%
for M in SIZES:
    print(f"--- M = {M}, N = {N_SITE} per site (N_tot = {M * N_SITE}), "
          f"pumping {0.25 * M * N_SITE:g} Γ; norm N^2")
    avg = chain_twa[M].e_data["I_avg"].real / N_SITE ** 2
    se = chain_twa[M].stderr_e_data["I_avg"] / N_SITE ** 2
    if M in chain_exact:
        print(qutip_twa.compare(chain_exact[M], chain_twa[M],
                                norms=N_SITE ** 2))
        site = chain_exact[M]["I_avg"] / N_SITE ** 2
        print(f"peak: exact {site.max():.4f}, TWA {avg.max():.4f}; "
              f"end: exact {site[-1]:.4f}, TWA {avg[-1]:.4f}")
    else:
        print(f"TWA only ({chain_twa[M].num_trajectories} trajectories): "
              f"peak {avg.max():.4f}, end {avg[-1]:.4f} "
              f"(max stderr {se.max():.2g})")
    below = chain_twa[M].stats["fraction_J_below_1"]
    print(f"trajectories with J < 1 on some site: max {below.max():.2f}; "
          f"{chain_warned[M]} TwaValidityWarning(s)")
    exact_time = (f"exact {t_chain_exact[M]:.1f} s, " if M in t_chain_exact
                  else "")
    print(f"wall time: {exact_time}twasolve {t_chain_twa[M]:.1f} s\n")

# %% [markdown]
# ## The figure
#
# Left: ⟨I_F⟩ / N_tot² for the two ensembles (exact: solid black; TWA:
# dashed, with bands of two standard errors), φ = 0, π/4, π/2 from top to
# bottom.  Right (the paper's inset): the site-averaged ⟨I_m⟩ / N² of the
# φ = 0 chains, M = 1, 10, 100 and 1000 (for M = 1000 the exact curve is
# the Monte Carlo of the populations).


# %%
def tidy_legend(ax, **kwargs):
    """One legend entry per label (plot_comparison adds one per call)."""
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    for label in unique:
        if label.startswith("TWA ±"):  # the bands: one grey entry
            unique[label] = Patch(color="0.5", alpha=0.3, lw=0)
    ax.legend(unique.values(), unique.keys(), **kwargs)


fig, (ax_pair, ax_chain) = plt.subplots(1, 2, figsize=(11, 4.2))
for k, name in enumerate(PHIS):
    qutip_twa.plot_comparison(
        exact[name], twa[name], norms=norms, axes=[ax_pair],
        labels=["⟨I_F⟩ / N_tot²"], xlabel="Γ t",
        exact_label="exact" if k == 0 else "_exact",
        twa_label=f"TWA, {name}")
ax_pair.set_title(f"M = 2 ensembles, N = {N}, pumping {PUMP:g} Γ")
tidy_legend(ax_pair, fontsize=8)

for M in SIZES:
    qutip_twa.plot_comparison(
        chain_exact.get(M), chain_twa[M], keys=["I_avg"], norms=N_SITE ** 2,
        axes=[ax_chain], labels=["⟨I_m⟩ / N²  (site average)"],
        time_scale=M * N_SITE, xlabel="N_tot Γ t",
        exact_label="exact" if M == 1 else "_exact",
        twa_label=f"TWA, M = {M}")
ax_chain.set_title(f"φ = 0 chains, N = {N_SITE} per site, "
                   "pumping 0.25 N_tot Γ")
tidy_legend(ax_chain, fontsize=8)
fig.tight_layout()
fig.savefig(FIGURES / "04_two_ensembles.png", dpi=120)
plt.show()

# %% [markdown]
# The TWA follows the transient superradiant peak, its suppression with
# growing φ and the settled emission of the two ensembles, with deviations
# below 0.01 N_tot² at N = 20 (a slightly low peak and steady state),
# comparable to a single ensemble of the same size.  The warning fired
# because about 15 % of the trajectories pass through J < 1 early in the
# pumped transient (Γ t ≈ 0.06); the emission is still large then and
# the comparison shows no damage.
#
# In the φ = 0 chains every site emits like one site of an ensemble of
# N_tot emitters: the pump first builds up inversion, then a superradiant
# burst, delayed as N_tot grows, and a settled emission.  With N = 10 per
# site the TWA reproduces this from one ensemble to a hundred, with
# deviations of about 0.01 - 0.02 N² that come mostly from a slightly low
# and shifted burst: the qualitative accuracy the paper reports for N ≈ 10
# emitters per site (it finds the agreement improving with N).  The
# M = 1000 chain, compared with the exact Monte Carlo (whose standard
# error the table's floor does not include), costs the TWA about as much
# per trajectory and site as M = 100.
