"""Exact references for ``Ensembles`` problems, as qutip results.

- :func:`pair_solve`: two coupled ensembles given with ``Ensembles``
  operators, solved by :func:`two_ensemble_solve`.
- :func:`uniform_chain_emission`: the chain of the paper at phi = 0 with
  uniform local rates, mapped onto one ensemble of N_tot = M N emitters and
  solved by :func:`population_solve`.
"""

import numpy as np
from qutip import piqs
from qutip.solver import Result

from ..checks import check_rate, check_rates
from ..operators import EnsembleOperator, Ensembles, ProductState
from ..results import e_ops_dict
from .montecarlo import population_montecarlo
from .population import population_solve
from .two_ensembles import two_ensemble_solve

__all__ = ["pair_solve", "uniform_chain_emission"]


def _as_result(keys, values, tlist, solver):
    """A qutip ``Result`` holding precomputed expectation values."""
    e_ops = {k: (lambda t, i, row=row: row[i]) for k, row in zip(keys, values)}
    result = Result(e_ops, {"store_states": False,
                            "store_final_state": False}, solver=solver)
    for i, t in enumerate(tlist):
        result.add(t, i)
    return result


def _terms(op, name):
    """``EnsembleOperator`` of two ensembles -> [(coef, X1, X2)]."""
    if not isinstance(op, EnsembleOperator) or op.ensembles.M != 2:
        got = repr(op) if isinstance(op, EnsembleOperator) \
            else type(op).__name__
        raise TypeError(f"{name} must be an EnsembleOperator of two "
                        f"ensembles, got {got}")
    return [(c, *factors) for c, factors in op.product_factors()]


def pair_solve(H, rho0, tlist, c_ops=None, e_ops=None, *, emission=0.0,
               dephasing=0.0, pumping=0.0, options=None):
    """Exact dynamics of two ensembles, with ``twasolve``'s inputs.

    Parameters
    ----------
    H : EnsembleOperator
        Hamiltonian on ``Ensembles`` with M = 2.
    rho0 : ProductState
        Product initial state (``ens.ground()``, ``ens.css(...)``, ...).
    tlist : array_like
    c_ops : list of EnsembleOperator
        Collective jumps (rates included).
    e_ops : EnsembleOperator, list or dict of them
    emission, dephasing, pumping : float or pair of floats
        Local rates per ensemble (PIQS conventions).
    options : dict
        ``atol``, ``rtol``, ``method`` of :func:`two_ensemble_solve`.

    Returns
    -------
    qutip.solver.Result
    """
    _terms(H, "H")  # checks H first
    if not isinstance(rho0, ProductState) or rho0.ensembles != H.ensembles:
        raise TypeError("rho0 must be a ProductState of the ensembles of H")
    items = e_ops_dict(e_ops)
    keys, ops = list(items), list(items.values())
    rates = np.stack([check_rates(name, r, 2) for name, r in (
        ("emission", emission), ("pumping", pumping),
        ("dephasing", dephasing))], axis=1)
    values = two_ensemble_solve(
        tuple(int(n) for n in H.ensembles.N), _terms(H, "H"),
        [_terms(c, f"c_ops[{k}]") for k, c in enumerate(c_ops or [])],
        rates, [s.to_qobj() for s in rho0.states], tlist,
        [_terms(op, f"e_ops[{k!r}]") for k, op in zip(keys, ops)], options)
    return _as_result(keys, values, tlist, "pair_solve")


def uniform_chain_emission(M, N, gamma, pumping, tlist, options=None, *,
                           ntraj=None, seeds=None):
    """Exact site-resolved emission of the phi = 0 chain from the ground state.

    At phi = 0 the chain Hamiltonian vanishes and L_F = L_B = sum_m J-_m,
    so the M N emitters, pumped uniformly, form one permutation-invariant
    ensemble with collective emission ``gamma`` (Gamma/2 for each of the two
    channels).  By permutation symmetry, with the excited fraction
    p = <Jz>/N_tot + 1/2 and the pair correlation
    C = (<J+J-> - N_tot p) / (N_tot (N_tot - 1)) of the whole ensemble,

        <I_m> = <J+_m J-_m> = N p + N (N - 1) C    for every site m,
        <I_F> = <I_B> = <J+ J->.

    With ``ntraj`` the populations are sampled by
    :func:`population_montecarlo` instead of integrated (for M N beyond a
    few thousand emitters); I_m, linear in the labels (j, m), is then
    averaged over the trajectories with its standard error.

    Returns
    -------
    qutip.solver.Result or TwaResult
        ``e_data`` with keys "I_m" (any site), "I_F" and "Jz" (total); a
        ``TwaResult`` with standard errors when ``ntraj`` is given.
    """
    for name, value in (("M", M), ("N", N)):
        if not isinstance(value, (int, np.integer)) or isinstance(
                value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got "
                             f"{value!r}")
    n_tot = int(M) * int(N)
    system = piqs.Dicke(n_tot, collective_emission=check_rate("gamma", gamma),
                        pumping=check_rate("pumping", pumping))
    if ntraj is not None:
        def site(j, m):
            p = m / n_tot + 0.5
            jpjm = (j + m) * (j - m + 1)
            pair = (jpjm - n_tot * p) / (n_tot * (n_tot - 1)) \
                if n_tot > 1 else 0 * p
            return N * p + N * (N - 1) * pair
        return population_montecarlo(
            system, Ensembles([n_tot]).ground(), tlist,
            {"I_m": site, "I_F": lambda j, m: (j + m) * (j - m + 1),
             "Jz": lambda j, m: m}, ntraj=ntraj, seeds=seeds)
    exact = population_solve(system, Ensembles([n_tot]).ground(), tlist,
                             e_ops={"jz": lambda j, m: m,
                                    "jpjm": lambda j, m: (j + m) * (j - m + 1)},
                             options=options)
    jz, jpjm = np.asarray(exact.e_data["jz"]), np.asarray(exact.e_data["jpjm"])
    p = jz / n_tot + 0.5
    pair = (jpjm - n_tot * p) / (n_tot * (n_tot - 1)) if n_tot > 1 else 0 * p
    site = N * p + N * (N - 1) * pair
    return _as_result(["I_m", "I_F", "Jz"], [site, jpjm, jz], tlist,
                      "uniform_chain_emission")

