"""Two-time correlations <A(t + tau) B(t)> of a ``TwaSolver`` (the public
functions are in ``correlation.py`` and ``spectrum.py``).

Each trajectory gives the product of the Weyl symbols of A at t + tau and B
at t (the symmetrically ordered correlation) and, with
``ordering="quantum"``, half the commutator from the response of A to a
kick exp(-i eps B) at t (``run/correlation.py``; docs/theory.md Section 14).
"""

from dataclasses import dataclass, field

import numpy as np

from .assembly import Stepping, sampling_tables
from .checks import check_ntraj, check_tlist
from .diagnostics import fault_limit
from .engine.rng import root_key
from .operators import EnsembleOperator
from .results import ExpectOps, TwaResult
from .run import Runner
from .run.correlation import (CorrelationJob, ThreeOperators, TwoOperators,
                               kicks_of)
from .translate import find_ensembles, translate_e_ops, translate_state

__all__ = ["ORDERINGS", "CorrelationResult", "correlate"]

ORDERINGS = ("quantum", "symmetric")


@dataclass
class CorrelationResult:
    """Two-time correlations with their standard errors.

    Attributes
    ----------
    correlation : complex array (len(tlist), len(taulist))
        <A(t + tau) B(t)> (``reverse``: <A(t) B(t + tau)>), the mean over
        trajectories.
    stderr : array (len(tlist), len(taulist))
        Its standard error (of the modulus of the deviation).
    tlist, taulist : arrays
        Start times (after ``t_steady`` where the start is the steady
        state) and delays.
    stats : dict
        ``num_trajectories``, ``ordering``, ``steps`` (per trajectory,
        its kicked copies included), ``run time``, and for a steady start
        ``t_steady`` (the time run to reach it) and ``steady_A``,
        ``steady_B`` (the stationary <A> and <B>).
    runs : complex array (ntraj, len(tlist), len(taulist)) or None
        Per-trajectory values, where asked for.
    """

    correlation: np.ndarray
    stderr: np.ndarray
    tlist: np.ndarray
    taulist: np.ndarray
    stats: dict = field(default_factory=dict)
    runs: np.ndarray = None


def correlate(solver, state0, tlist, taulist, a_op, b_op, ntraj, *,
              c_op=None, reverse=False, ordering="quantum", seeds=None,
              args=None, keep_runs=False, t_relax=None, max_time=None):
    """``TwaSolver.correlation``: see there."""
    if ordering not in ORDERINGS:
        raise ValueError(f"ordering must be one of {ORDERINGS}, got "
                         f"{ordering!r}")
    if c_op is not None and (reverse or ordering != "quantum"):
        raise ValueError("three-operator correlations take neither reverse "
                         "nor ordering='symmetric'")
    taulist, ntraj = check_tlist(taulist, "taulist"), check_ntraj(ntraj)
    if taulist[0] != 0:
        raise ValueError("taulist must start at 0")
    if reverse:  # <A(t) B(t + tau)> = conj(<B^dag(t + tau) A^dag(t)>)
        a_op, b_op = _dag(b_op, "b_op"), _dag(a_op, "a_op")
    model = solver.model.with_args(args)
    if not model.time_independent:
        raise ValueError("correlation functions need a time-independent "
                         "system (H and c_ops without time dependence)")
    ens, spin, ops = _operators(solver, state0, a_op, b_op, c_op)
    if c_op is None:
        late = ops["A"]
        estimator = TwoOperators(
            ExpectOps({"B": ops["B"]}),
            kicks_of(ops["B"]) if ordering == "quantum" else [])
    else:
        late = ops["B"]
        estimator = ThreeOperators(kicks_of(ops["C"], "c_op"),
                                   kicks_of(ops["A"], "a_op"))
    times = check_tlist([0.0] if tlist is None else tlist)
    starts = np.ones(len(times), dtype=bool)
    stats = {"ordering": ordering}
    if state0 is None:
        state0, steady = _steady_start(solver, ops, ntraj, seeds, args,
                                       t_relax, max_time)
        stats.update(t_steady=steady.stats["t_end"],
                     steady_A=steady.e_data["A"], steady_B=steady.e_data["B"])
        times = np.concatenate([[0.0], times - times[0] + stats["t_steady"]])
        starts = np.concatenate([[False], starts])
    opts = solver.options
    stepping = Stepping.from_options(model, times, opts)
    tau_stepping = Stepping.from_options(model, taulist, opts)
    key, seq = root_key(seeds)
    job = CorrelationJob(
        key=key, model=model.engine_model(tau_stepping.grid),
        wait_model=model.engine_model(stepping.grid),
        init=sampling_tables(translate_state(state0, ens, spin),
                             opts["initial_sampling"]),
        stepping=stepping, tau_stepping=tau_stepping, times=times,
        starts=starts, taulist=taulist, late=ExpectOps({"late": late}),
        estimator=estimator,
        J_limit=fault_limit(solver.model.n_emitters),
        exclude_faults=opts["faults"] == "exclude", keep_runs=keep_runs)
    result = TwaResult(list(range(int(starts.sum()))),
                       {"keep_runs_results": keep_runs},
                       solver="correlation", times=taulist,
                       hermitian=[False] * int(starts.sum()))
    result.add_seeds([seq])
    result.add_end_condition(ntraj)
    Runner(job, opts).run(result, ntraj)
    return _correlation_result(result, times[starts], stats, reverse,
                               keep_runs)


def _operators(solver, state0, a_op, b_op, c_op=None):
    """(Ensembles, spin reading, {"A": op, "B": op[, "C": op]})."""
    given = {"A": a_op, "B": b_op}
    if c_op is not None:
        given["C"] = c_op
    ens, spin = find_ensembles(None, None, given, state0, N=solver.ensembles)
    ops = translate_e_ops(given, ens, spin)
    for key, op in ops.items():
        if not isinstance(op, EnsembleOperator):
            raise TypeError(f"{key.lower()}_op must be an operator (Qobj or "
                            "EnsembleOperator) without time dependence")
    return ens, spin, ops


def _correlation_result(result, starts, stats, reverse, keep_runs):
    """The ``CorrelationResult`` of a run's ``TwaResult``."""
    values = np.array(result.average_expect)
    runs = np.stack(result.runs_expect, axis=1) if keep_runs else None
    if reverse:
        values = np.conj(values)
        runs = None if runs is None else np.conj(runs)
    stats.update(num_trajectories=result.num_trajectories,
                 steps=result.stats["steps"],
                 excluded_trajectories=result.stats["excluded_trajectories"],
                 **{"run time": result.stats["run time"]})
    return CorrelationResult(values, np.array(result.stderr_expect), starts,
                             np.asarray(result.times), stats, runs)


def _dag(op, name):
    try:
        return op.dag()
    except AttributeError:
        raise TypeError(f"{name} must be an operator (Qobj or "
                        f"EnsembleOperator), got {type(op).__name__}") \
            from None


def _steady_start(solver, ops, ntraj, seeds, args, t_relax, max_time):
    """(state0, SteadyStateResult) of the run that reaches the steady
    state: ``TwaSolver.steady`` of A, B and A B from all excited."""
    e_ops = dict(ops)
    if "C" not in ops and ops["A"].degree + ops["B"].degree <= 4:
        e_ops["AB"] = ops["A"] * ops["B"]
    state0 = solver.ensembles.excited()
    return state0, solver.steady(state0, ntraj, e_ops=e_ops, seeds=seeds,
                                 args=args, t_relax=t_relax,
                                 max_time=max_time)
