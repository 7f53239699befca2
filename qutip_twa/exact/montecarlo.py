r"""Exact Monte Carlo of the Dicke-basis populations, at any N.

When the dynamics stays diagonal in the Dicke basis (H = 0 or a function of
Jz and J^2, a diagonal initial state), the populations p(j, m) follow the
rate equation dp/dt = W p of :mod:`~qutip_twa.exact.population`.  Its
solution is the law of a jump process on the labels (j, m), which is
sampled here exactly, one trajectory at a time (Gillespie's method): from
(j, m), the eight transitions (j, m) -> (j + dj, m + dm) of W have the rates
of ``population_solve`` (PIQS's); the time to the next one is exponential
with their total, and which one happens is drawn in proportion to its rate.

A trajectory costs one step per transition, about 4 N for the superradiant
laser over its burst (N pumping events and as many emissions, for N Gamma t
of order 8), and memory for two integers per output time: nothing grows
like the N^2 / 4 Dicke states, so N = 10^5 or 10^6 runs where the
population matrix cannot be stored.  Each trajectory's random stream
depends only on the seed and its index (the engine's streams), so seeded
results do not depend on the batching.
"""

import time

import numba as nb
import numpy as np
from qutip import Qobj

from ..checks import check_ntraj, check_tlist
from ..engine.rng import root_key, seed_streams, uniform
from ..operators import ProductState
from ..operators.dicke import dicke_index, dicke_labels
from ..results import TwaResult, e_ops_dict
from .population import _initial_populations, _read_system

__all__ = ["population_montecarlo"]

BATCH = 4096  # trajectories per kernel call

# (dj, dm) of the transitions, in the order of _rates
_STEPS = np.array([(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1),
                   (0, 1), (1, 1)], dtype=np.int64)


@nb.njit(cache=True)
def _rates(N, j, m, rates, out):
    """Rates of the eight transitions from (j, m) (0 where no target).

    ``rates`` = (emission, dephasing, pumping, collective emission,
    collective pumping); the formulas are those of
    ``population._transitions`` (PIQS's ``Pim.tau*``).
    """
    ge, gd, gp, GE, GP = rates[0], rates[1], rates[2], rates[3], rates[4]
    h = N / 2.0
    h1 = h + 1.0
    total = 0.0
    for k in range(8):
        jt = j + _STEPS[k, 0]
        mt = m + _STEPS[k, 1]
        r = 0.0
        if jt >= 0 and jt <= h and abs(mt) <= jt:
            if k == 0:
                r = ge * (h + j + 1) * (j + m) * (j + m - 1) \
                    / (2 * j * (2 * j + 1))
            elif k == 1:
                r = (j + m) * (j - m + 1) * (ge * h1 / (2 * j * (j + 1)) + GE)
            elif k == 2:
                r = ge * (h - j) * (j - m + 1) * (j - m + 2) \
                    / (2 * (j + 1) * (2 * j + 1))
            elif k == 3:
                r = gd * (h + j + 1) * (j - m) * (j + m) \
                    / (2 * j * (2 * j + 1))
            elif k == 4:
                r = gd * (h - j) * (j - m + 1) * (j + m + 1) \
                    / (2 * (j + 1) * (2 * j + 1))
            elif k == 5:
                r = gp * (h + j + 1) * (j - m) * (j - m - 1) \
                    / (2 * j * (2 * j + 1))
            elif k == 6:
                r = (j - m) * (j + m + 1) * (gp * h1 / (2 * j * (j + 1)) + GP)
            else:
                r = gp * (h - j) * (j + m + 1) * (j + m + 2) \
                    / (2 * (j + 1) * (2 * j + 1))
        out[k] = max(r, 0.0)
        total += out[k]
    return total


@nb.njit(parallel=True, cache=True)
def _simulate(rng, cum_prob, j0, m0, times, N, rates, j_out, m_out, jumps):
    """Sample each trajectory (rows of rng) and record (2j, 2m) at times.

    The initial label is drawn from ``cum_prob`` over (j0, m0) (twice the
    labels); ``jumps[i]`` counts the transitions of trajectory i.
    """
    ntraj, nt = j_out.shape
    for i in nb.prange(ntraj):
        st = rng[i]
        idx = np.searchsorted(cum_prob, uniform(st), side="right")
        idx = min(idx, cum_prob.shape[0] - 1)
        J2, M2 = j0[idx], m0[idx]
        out = np.empty(8)
        t = times[0]
        k = 0
        count = 0
        while k < nt:
            total = _rates(N, J2 / 2.0, M2 / 2.0, rates, out)
            t_next = np.inf
            if total > 0.0:
                t_next = t - np.log1p(-uniform(st)) / total
            while k < nt and times[k] < t_next:
                j_out[i, k] = J2
                m_out[i, k] = M2
                k += 1
            if k == nt:
                break
            target = uniform(st) * total
            pick = 7
            acc = 0.0
            for q in range(8):
                acc += out[q]
                if target < acc:
                    pick = q
                    break
            while out[pick] == 0.0:  # rounding at the top end
                pick -= 1
            J2 += 2 * _STEPS[pick, 0]
            M2 += 2 * _STEPS[pick, 1]
            t = t_next
            count += 1
        jumps[i] = count


def population_montecarlo(system, rho0, tlist, e_ops=None, *, ntraj=1000,
                          seeds=None):
    """Exact Monte Carlo of the Dicke-basis populations (any N).

    Samples the jump process whose law is the population dynamics of
    :func:`population_solve` (same models, rates and initial states):
    exact in distribution, with only statistical error.

    Parameters
    ----------
    system : :class:`qutip.piqs.Dicke`
        N, the rates and ``hamiltonian`` (None, or diagonal in the Dicke
        basis), as for :func:`population_solve`.
    rho0 : :class:`~qutip_twa.ProductState`, :obj:`.Qobj` or array_like
        A diagonal initial state: a one-ensemble ``ProductState``
        (``Ensembles([N]).excited()``, ``ground()``, ``dicke(j, m)``,
        ``product([...])`` of diagonal states), which needs no matrix at any
        N; or, for moderate N, any ``rho0`` that :func:`population_solve`
        takes.
    tlist : array_like
        Strictly increasing output times.
    e_ops : callable, :class:`~qutip_twa.EnsembleOperator`, :obj:`.Qobj`, \
list or dict of these, optional
        Diagonal quantities: a function ``f(j, m)`` of label arrays (any
        shape, evaluated elementwise), an operator of ``Ensembles([N])``
        (its Dicke-basis diagonal, no matrix), or a Dicke-basis ``Qobj``
        (its diagonal; moderate N).
    ntraj : int, default 1000
    seeds : int or numpy.random.SeedSequence, optional
        Trajectory i's stream depends only on the seed and i.

    Returns
    -------
    TwaResult
        Averages, ``std_expect`` and ``stderr_expect`` over trajectories;
        ``stats["jumps"]`` is the mean number of transitions per trajectory.
    """
    start = time.perf_counter()
    N, dim, rates = _read_system(system)
    times = check_tlist(tlist)
    ntraj = check_ntraj(ntraj)
    j0, m0, prob = _initial_labels(rho0, N, dim)
    cum = np.cumsum(prob)
    cum[-1] = 1.0
    items = e_ops_dict(e_ops)
    diagonals = {k: _diagonal(op, N, dim, f"e_ops[{k!r}]")
                 for k, op in items.items()}
    result = TwaResult(e_ops, {}, solver="population_montecarlo",
                       times=times, hermitian=[True] * len(items))
    key, seq = root_key(seeds)
    result.add_seeds([seq])
    rates = np.asarray(rates, dtype=float)
    total_jumps = 0
    for first in range(0, ntraj, BATCH):
        count = min(BATCH, ntraj - first)
        rng = np.empty((count, 4), dtype=np.uint64)
        seed_streams(key, first, count, rng)
        J2 = np.empty((count, len(times)), dtype=np.int64)
        M2 = np.empty_like(J2)
        jumps = np.zeros(count, dtype=np.int64)
        _simulate(rng, cum, np.rint(2 * j0).astype(np.int64),
                  np.rint(2 * m0).astype(np.int64), times, float(N), rates,
                  J2, M2, jumps)
        total_jumps += int(jumps.sum())
        values = np.stack([d(J2 / 2, M2 / 2) for d in diagonals.values()]) \
            if diagonals else np.zeros((0, count, len(times)))
        result.add_block(values.sum(axis=1), (values ** 2).sum(axis=1),
                         count)
    result.stats.update({"N": N, "jumps": total_jumps / ntraj,
                         "run time": time.perf_counter() - start,
                         "end_condition": "ntraj reached"})
    return result


def _initial_labels(rho0, N, dim):
    """(j, m, probabilities) of the populated Dicke states of rho0."""
    if isinstance(rho0, ProductState):
        if len(rho0.states) != 1 or rho0.states[0].N != N:
            raise ValueError(f"rho0 {rho0!r} is not a state of one ensemble "
                             f"of N = {N} emitters")
        state = rho0.states[0]
        if state.kind != "dicke_mixture":
            state.dicke_populations()  # raises: a CSS has coherences
        return state.j, state.m, state.prob
    p = _initial_populations(rho0, N, dim)
    keep = np.flatnonzero(p)
    j, m = dicke_labels(N)
    return j[keep], m[keep], p[keep] / p[keep].sum()


def _diagonal(op, N, dim, name):
    """A function (j, m) -> values of a diagonal e_op, real."""
    if hasattr(op, "dicke_diagonal"):
        def values(j, m):
            return op.dicke_diagonal(N, j, m)
    elif isinstance(op, Qobj):
        if op.shape != (dim, dim):
            raise ValueError(f"{name} has shape {op.shape}, expected the "
                             f"Dicke basis of N = {N} ({dim} x {dim})")
        d = np.asarray(op.diag())

        def values(j, m):
            return d[dicke_index(N, j, m)]
    elif callable(op):
        values = op
    else:
        raise TypeError(f"{name} must be a function f(j, m), an "
                        "EnsembleOperator of Ensembles([N]) or a Dicke-basis "
                        f"Qobj; got {type(op).__name__}")

    def real_values(j, m):
        out = np.asarray(values(j, m))
        if out.shape != j.shape:
            out = np.broadcast_to(out, j.shape)
        if np.iscomplexobj(out):
            if np.any(out.imag):
                raise ValueError(f"{name} has a complex diagonal; give its "
                                 "real and imaginary parts as two e_ops")
            out = out.real
        return out.astype(float)
    return real_values
