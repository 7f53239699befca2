"""Exact reference solvers (no sampling) for checking truncated-Wigner runs.

The solvers in this subpackage are exact up to the integration tolerance, and
use the conventions of ``qutip.piqs``: the permutation-invariant Dicke basis,
the rates of :class:`qutip.piqs.Dicke` and qutip's result objects.

- :func:`population_solve` integrates the rate equation of the Dicke-basis
  populations p(j, m), valid when the Hamiltonian is zero or diagonal in the
  Dicke basis (a function of Jz and J^2) and the initial state is diagonal.
  It reaches N of a few thousand emitters (about 10^6 Dicke states).
- :func:`population_montecarlo` samples the same population dynamics as a
  jump process, exactly, at any N (10^5 and beyond), with standard errors.
- :func:`population_rate_matrix` builds the (sparse) generator W of that
  rate equation, dp/dt = W p.
- :func:`two_ensemble_solve` integrates the master equation of two coupled
  ensembles (N = 20 in each) on the block structure of their Dicke bases;
  :func:`pair_solve` is its front end for ``Ensembles`` operators.
- :func:`uniform_chain_emission`: the exact site-resolved emission of the
  phi = 0 chain with uniform pumping, mapped onto one ensemble.
"""

from .montecarlo import population_montecarlo
from .population import population_rate_matrix, population_solve
from .references import pair_solve, uniform_chain_emission
from .two_ensembles import two_ensemble_solve

__all__ = ["population_solve", "population_montecarlo",
           "population_rate_matrix",
           "two_ensemble_solve", "pair_solve", "uniform_chain_emission"]
