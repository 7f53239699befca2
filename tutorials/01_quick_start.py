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
# # Quick start: from `mesolve` to `twasolve`
#
# An existing PIQS workflow, the superradiant laser of the paper's Fig. 2a:
# N emitters, all excited at t = 0, with collective emission at rate
# Γ = 1 and local (incoherent) pumping at rate γ = 0.25 N Γ.  In PIQS
# conventions that is `Dicke(N, collective_emission=1, pumping=0.25 * N)`;
# the paper's γ is PIQS's `pumping` rate (the paper writes the local pump
# as γ D[σ+], which is the PIQS term `pumping * D[s+]`).
#
# The exact solution needs the Dicke-basis density matrix, whose size grows
# as N³; the truncated Wigner approximation (TWA) samples four phase-space
# variables per trajectory, whatever N.
#
# Set `QUTIP_TWA_TUTORIAL_QUICK=1` to run this notebook at reduced size.

# %%
import os
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import qutip
from qutip import piqs

import qutip_twa
from qutip_twa import twasolve

QUICK = os.environ.get("QUTIP_TWA_TUTORIAL_QUICK") == "1"
FIGURES = Path(os.environ.get("QUTIP_TWA_FIGURES", "figures"))
FIGURES.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The exact workflow

# %%
N = 10 if QUICK else 40
system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
rho0 = piqs.excited(N)
tlist = np.linspace(0, 8 / N, 161)
e_ops = {"<J+J->": piqs.jspin(N, "+") * piqs.jspin(N, "-"),
         "<Jz>": piqs.jspin(N, "z")}

start = time.perf_counter()
exact = qutip.mesolve(system.liouvillian(), rho0, tlist, e_ops=e_ops)
t_exact = time.perf_counter() - start

# %% [markdown]
# ## The same with `twasolve`
#
# One line changes: `mesolve(system.liouvillian(), ...)` becomes
# `twasolve(system, ...)` with a number of trajectories and a seed.  The
# Liouvillian itself (`system.liouvillian()`) is accepted too; it is
# decomposed back into the Hamiltonian and the six PIQS rates.

# %%
start = time.perf_counter()
twa = twasolve(system.liouvillian(), rho0, tlist, e_ops=e_ops,
               ntraj=500 if QUICK else 4000, seeds=1)
t_twa = time.perf_counter() - start

# %% [markdown]
# The result is a qutip `MultiTrajResult`: `twa.expect` and `twa.e_data`
# hold the trajectory averages, `twa.stderr_expect` their standard errors.
# `qutip_twa.compare` prints the maximum deviation of each normalised
# observable, and `qutip_twa.plot_comparison` draws both results with a
# band of two standard errors around the TWA.

# %%
norms = {"<J+J->": N ** 2, "<Jz>": N}
print(qutip_twa.compare(exact, twa, norms=norms))
print(f"wall time: mesolve {t_exact:.2f} s, twasolve {t_twa:.2f} s")

fig, axes = qutip_twa.plot_comparison(
    exact, twa, norms=norms, labels=["⟨J+J-⟩ / N²", "⟨Jz⟩ / N"],
    time_scale=N, xlabel="N Γ t")
fig.suptitle(f"Superradiant laser, N = {N}")
fig.tight_layout()
fig.savefig(FIGURES / "01_quick_start.png", dpi=120)
plt.show()

# %% [markdown]
# The TWA error of this model falls roughly as 1/N (tutorial 2), while the
# cost of a trajectory does not depend on N: for N = 100 `mesolve` takes
# minutes, `twasolve` about a second.
