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
# # The lasing curve: steady states from N = 10 to 10⁶
#
# The superradiant laser of tutorial 2, `piqs.Dicke(N, collective_emission=Γ,
# pumping=γ)`, lases in a window of pump rates: below γ ≈ Γ the pump cannot
# keep up with the collective decay into dark states, above γ ≈ N Γ it
# destroys the coherence between the emitters.  In the window the
# stationary emission ⟨J+J-⟩ grows as N², peaking near γ = N Γ / 2.
#
# `qutip.steadystate` on the PIQS Liouvillian fails ("matrix is singular")
# beyond a handful of emitters.  Here the exact steady state is the null
# vector of the Dicke-population rate matrix
# (`qutip_twa.exact.population_rate_matrix`), which reaches N = 1000, and
# the TWA's is `qutip_twa.steadystate_expect`: it runs until the trajectory
# averages stop changing and averages each trajectory over the late half of
# the run, with a standard error that holds whatever the correlation time
# (theory, Section 12).  The TWA's cost does not depend on N, so the curve
# continues to N = 10⁶.
#
# Set `QUTIP_TWA_TUTORIAL_QUICK=1` to run this notebook at reduced size.

# %%
import os
import time
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from scipy.sparse.linalg import spsolve

from qutip_twa import Ensembles, TwaValidityWarning, steadystate_expect
from qutip_twa.exact import population_rate_matrix
from qutip_twa.operators.dicke import dicke_labels

QUICK = os.environ.get("QUTIP_TWA_TUTORIAL_QUICK") == "1"
FIGURES = Path(os.environ.get("QUTIP_TWA_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

N_EXACT = [10, 100] if QUICK else [10, 100, 1000]
N_TWA_ONLY = [10 ** 4] if QUICK else [10 ** 4, 10 ** 6]
PUMPS = np.logspace(-3, 0.5, 8 if QUICK else 15)   # γ / (N Γ)
NTRAJ = 100 if QUICK else 400

# %% [markdown]
# ## Exact: the null vector of the population rate matrix
#
# Replacing one row of W p = 0 by the normalisation Σ p = 1 gives a sparse
# linear system; ⟨j, m|J+J-|j, m⟩ = (j + m)(j - m + 1).

# %%


def exact_emission(N, pump):
    """Exact stationary <J+J-> of the laser with pump rate ``pump``."""
    W = population_rate_matrix(N, collective_emission=1.0,
                               pumping=pump).tolil()
    W[0, :] = 1.0
    rhs = np.zeros(W.shape[0])
    rhs[0] = 1.0
    j, m = dicke_labels(N)
    return spsolve(W.tocsc(), rhs) @ ((j + m) * (j - m + 1))


def twa_emission(N, pump, seed):
    """TWA stationary <J+J-> and its standard error, without matrices.

    At N = 10^6 and weak pump the default steps once let about 2% of the
    trajectories blow up some time after the burst, where a trajectory's
    J passes through a few; the step rule now counts that (theory
    Section 10) and the default has none, but the 400 steps per rate that
    this tutorial was measured with are kept."""
    ens = Ensembles([N])
    options = {"steps_per_rate": 400} if N >= 10 ** 5 else None
    with warnings.catch_warnings():   # weak pump: deep subradiance, see below
        warnings.simplefilter("ignore", TwaValidityWarning)
        res = steadystate_expect(0 * ens.identity(), [ens.jm(0)],
                                 e_ops=[ens.jp(0) * ens.jm(0)],
                                 pumping=pump, ntraj=NTRAJ, seeds=seed,
                                 options=options)
    return res.expect[0].real, res.stderr_expect[0], res.stats["t_relax"]


# %% [markdown]
# ## The curve, exact and TWA
#
# ⟨J+J-⟩/N = 1 is the emission of N independent emitters; above it the
# ensemble is superradiant.  The table gives ⟨J+J-⟩/N for each pump rate
# γ/(NΓ) and N.

# %%
curves = {}
start = time.perf_counter()
for N in N_EXACT + N_TWA_ONLY:
    rows = []
    for k, x in enumerate(PUMPS):
        exact = exact_emission(N, x * N) / N if N in N_EXACT else np.nan
        twa, se, t_relax = twa_emission(N, x * N, seed=k)
        rows.append((x, exact, twa / N, se / N, t_relax))
    curves[N] = np.array(rows)
wall = time.perf_counter() - start

print(f"stationary <J+J->/N, {NTRAJ} trajectories per point")
print(f"{'γ/(NΓ)':>8}" + "".join(f"{'N=' + str(N):>27}" for N in curves))
print(f"{'':>8}" + "".join(f"{'exact':>9}{'TWA':>9}{'s.e.':>9}"
                           for N in curves))
for i, x in enumerate(PUMPS):
    line = f"{x:8.3g}"
    for N, rows in curves.items():
        _, ex, tw, se, _ = rows[i]
        line += f"{ex:9.3g}{tw:9.3g}{se:9.2g}"
    print(line)
print(f"wall time {wall:.0f} s")

# %% [markdown]
# ## The lasing window
#
# Two edges, read off by linear interpolation in log γ between the computed
# pump rates: the superradiant threshold, where ⟨J+J-⟩/N first exceeds 1
# (the emission of N independent emitters), and the half-maximum points of
# ⟨J+J-⟩/N², the window of strong collective emission.

# %%


def crossings(x, y, level):
    """Pump rates where y crosses ``level`` (log-linear interpolation)."""
    out = []
    for i in range(len(x) - 1):
        if (y[i] - level) * (y[i + 1] - level) < 0:
            f = (level - y[i]) / (y[i + 1] - y[i])
            out.append(np.exp(np.log(x[i]) + f * np.log(x[i + 1] / x[i])))
    return out


def edges(x, emission, N):
    """Threshold and half-maximum pump rates, as text."""
    threshold = crossings(x, emission, 1.0)[:1]
    scaled = emission / N
    half = crossings(x, scaled, np.max(scaled) / 2)
    fmt = lambda values: ", ".join(f"{v:.3g}" for v in values) or "off grid"
    return f"threshold {fmt(threshold)}; half maximum {fmt(half)}"


for N, rows in curves.items():
    print(f"N = {N:>7}, γ/(NΓ):  TWA {edges(rows[:, 0], rows[:, 2], N)}")
    if N in N_EXACT:
        print(f"{'':>20}exact {edges(rows[:, 0], rows[:, 1], N)}")

# %%
fig, ax = plt.subplots(figsize=(5.5, 4))
for N, rows in curves.items():
    line = ax.errorbar(rows[:, 0], rows[:, 2] / N, yerr=2 * rows[:, 3] / N,
                       fmt="o", ms=4, capsize=2, label=f"TWA, N = {N}")
    if N in N_EXACT:
        ax.plot(rows[:, 0], rows[:, 1] / N, "-",
                color=line[0].get_color(), label=f"exact, N = {N}")
ax.set_xscale("log")
ax.set_xlabel("pump rate γ / (N Γ)")
ax.set_ylabel("stationary ⟨J+J-⟩ / N²")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(FIGURES / "07_lasing_curve.png", dpi=120)
plt.show()

# %% [markdown]
# Scaled as ⟨J+J-⟩/N², the curves of all N collapse onto one in the
# lasing window, peaking near γ = NΓ/2, and the TWA follows the exact
# curve there.  Towards weak pump (γ/(NΓ) of order 1/N) the stationary
# state is subradiant, trajectories reach total spin J of order 1, and the
# TWA error grows (tutorial 6 and theory Section 7).  The threshold sits
# near γ ≈ Γ, i.e. γ/(NΓ) ≈ 1/N, while the half-maximum window stays at
# fixed γ/(NΓ).
