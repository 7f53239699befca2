"""QuTiP's correlation functions by the TWA: ``correlation_2op_1t``,
``correlation_2op_2t``, ``correlation_3op_1t``, ``correlation_3op_2t``,
``coherence_function_g1`` and ``coherence_function_g2``, thin functions
over :meth:`TwaSolver.correlation` (docs/theory.md Section 14).
"""

import numpy as np

from .checks import check_ntraj, check_solver_name
from .solver import solver_for, twasolve

__all__ = ["correlation_2op_1t", "correlation_2op_2t", "correlation_3op_1t",
           "correlation_3op_2t", "coherence_function_g1",
           "coherence_function_g2"]

_PARAMETERS = """
    H : :class:`qutip.piqs.Dicke`, :obj:`.Qobj` or :class:`EnsembleOperator`
        The system, as for :func:`twasolve` (a Liouvillian, a Dicke object,
        or a Hamiltonian with ``c_ops`` and local rates), time-independent.
    state0 : :obj:`.Qobj`, :class:`ProductState` or None
        Initial state (as ``rho0`` of :func:`twasolve`); None: the steady
        state, reached as :func:`steadystate_expect` does.
    c_ops : list
        Collective jump operators (may be empty), as for :func:`twasolve`.
    solver : {"me", "es"}
        QuTiP's choice of solver, accepted so that QuTiP's calls run
        unchanged; the TWA is used either way.
    args, options : dict, optional
        As for :func:`twasolve`.
    ntraj : int
        Number of trajectories.
    seeds : int or sequence, optional
        As for :func:`twasolve`; seeded runs repeat bit for bit.
    full_output : bool
        True: return the :class:`CorrelationResult` (standard errors,
        stats) instead of the array.
    emission, dephasing, pumping : float or array_like
        Local rates, as for :func:`twasolve`.
    N : int or :class:`Ensembles`, optional
        As for :func:`twasolve`."""

_TWO_OPERATORS = """
    reverse : bool
        False: <A(t + tau) B(t)>; True: <A(t) B(t + tau)>.
    ordering : {"quantum", "symmetric"}
        "quantum" (default) adds half the commutator to the symmetrically
        ordered correlation; b_op must then be linear in the spin
        operators."""


def correlation_2op_1t(H, state0, taulist, c_ops, a_op, b_op, solver="me",
                       reverse=False, args=None, options=None, *, ntraj=1000,
                       seeds=None, ordering="quantum", full_output=False,
                       emission=0.0, dephasing=0.0, pumping=0.0, N=None):
    """<A(tau) B(0)> (or <A(0) B(tau)>) from ``state0``, as
    ``qutip.correlation_2op_1t``.

    Parameters
    ----------{parameters}
    taulist : array_like
        Delays, increasing from 0.
    a_op, b_op : :obj:`.Qobj` or :class:`EnsembleOperator`
        Collective operators A and B.

    Returns
    -------
    array or :class:`CorrelationResult`
        The correlation at each delay (complex).
    """
    result = _correlation(H, state0, [0.0], taulist, c_ops, a_op, b_op,
                          solver, reverse, args, options, ntraj, seeds,
                          ordering, dict(emission=emission,
                                         dephasing=dephasing,
                                         pumping=pumping), N)
    return result if full_output else result.correlation[0]


def correlation_2op_2t(H, state0, tlist, taulist, c_ops, a_op, b_op,
                       solver="me", reverse=False, args=None, options=None, *,
                       ntraj=1000, seeds=None, ordering="quantum",
                       full_output=False, emission=0.0, dephasing=0.0,
                       pumping=0.0, N=None):
    """<A(t + tau) B(t)> (or <A(t) B(t + tau)>) on a (t, tau) grid, as
    ``qutip.correlation_2op_2t``.

    Parameters
    ----------{parameters}
    tlist : array_like
        Start times t, the first the time of ``state0`` (with state0
        None: times after reaching the steady state).
    taulist : array_like
        Delays, increasing from 0.
    a_op, b_op : :obj:`.Qobj` or :class:`EnsembleOperator`
        Collective operators A and B.

    Returns
    -------
    array (len(tlist), len(taulist)) or :class:`CorrelationResult`
    """
    result = _correlation(H, state0, tlist, taulist, c_ops, a_op, b_op,
                          solver, reverse, args, options, ntraj, seeds,
                          ordering, dict(emission=emission,
                                         dephasing=dephasing,
                                         pumping=pumping), N)
    return result if full_output else result.correlation


def correlation_3op_1t(H, state0, taulist, c_ops, a_op, b_op, c_op,
                       solver="me", args=None, options=None, *, ntraj=1000,
                       seeds=None, full_output=False, emission=0.0,
                       dephasing=0.0, pumping=0.0, N=None):
    """<A(0) B(tau) C(0)> from ``state0``, as ``qutip.correlation_3op_1t``.

    Parameters
    ----------{parameters}
    taulist : array_like
        Delays, increasing from 0.
    a_op, b_op, c_op : :obj:`.Qobj` or :class:`EnsembleOperator`
        A and C linear in the spin operators (J+, J-, Jz and their
        combinations), B of degree <= 4.

    Returns
    -------
    array or :class:`CorrelationResult`
    """
    result = _correlation(H, state0, [0.0], taulist, c_ops, a_op, b_op,
                          solver, False, args, options, ntraj, seeds,
                          "quantum", dict(emission=emission,
                                          dephasing=dephasing,
                                          pumping=pumping), N, c_op=c_op)
    return result if full_output else result.correlation[0]


def correlation_3op_2t(H, state0, tlist, taulist, c_ops, a_op, b_op, c_op,
                       solver="me", args=None, options=None, *, ntraj=1000,
                       seeds=None, full_output=False, emission=0.0,
                       dephasing=0.0, pumping=0.0, N=None):
    """<A(t) B(t + tau) C(t)> on a (t, tau) grid, as
    ``qutip.correlation_3op_2t``.

    Parameters
    ----------{parameters}
    tlist : array_like
        Start times t, the first the time of ``state0``.
    taulist : array_like
        Delays, increasing from 0.
    a_op, b_op, c_op : :obj:`.Qobj` or :class:`EnsembleOperator`
        A and C linear in the spin operators, B of degree <= 4.

    Returns
    -------
    array (len(tlist), len(taulist)) or :class:`CorrelationResult`
    """
    result = _correlation(H, state0, tlist, taulist, c_ops, a_op, b_op,
                          solver, False, args, options, ntraj, seeds,
                          "quantum", dict(emission=emission,
                                          dephasing=dephasing,
                                          pumping=pumping), N, c_op=c_op)
    return result if full_output else result.correlation


def coherence_function_g1(H, state0, taulist, c_ops, a_op, solver="me",
                          args=None, options=None, *, ntraj=1000, seeds=None,
                          emission=0.0, dephasing=0.0, pumping=0.0, N=None):
    """The normalised first-order coherence g1(tau) = <A^dag(tau) A(0)> /
    sqrt(<A^dag A>(0) <A^dag A>(tau)), as ``qutip.coherence_function_g1``.

    Parameters are those of :func:`correlation_2op_1t` (``a_op`` the
    lowering operator A, e.g. J- or ``ens.lowering(phases)``).

    Returns
    -------
    g1, G1 : arrays
        The normalised and the unnormalised correlation.
    """
    rates = dict(emission=emission, dephasing=dephasing, pumping=pumping)
    G1 = _correlation(H, state0, [0.0], taulist, c_ops, _dag(a_op), a_op,
                      solver, False, args, options, ntraj, seeds, "quantum",
                      rates, N).correlation[0]
    if state0 is None:
        n = np.full(len(G1), G1[0].real)
    else:
        n = twasolve(H, state0, taulist, c_ops, e_ops=[_dag(a_op) * a_op],
                     args=args, options=options, ntraj=ntraj, seeds=seeds,
                     N=N, **rates).expect[0].real
    return G1 / np.sqrt(n[0] * n), G1


def coherence_function_g2(H, state0, taulist, c_ops, a_op, solver="me",
                          args=None, options=None, *, ntraj=1000, seeds=None,
                          emission=0.0, dephasing=0.0, pumping=0.0, N=None):
    """The normalised second-order coherence g2(tau) = <A^dag(0) A^dag(tau)
    A(tau) A(0)> / (<A^dag A>(0) <A^dag A>(tau)), as
    ``qutip.coherence_function_g2``.

    Parameters are those of :func:`correlation_2op_1t` (``a_op`` the
    lowering operator A, linear in the spin operators).

    Returns
    -------
    g2, G2 : arrays
        The normalised and the unnormalised correlation.
    """
    rates = dict(emission=emission, dephasing=dephasing, pumping=pumping)
    A_dag = _dag(a_op)
    result = _correlation(H, state0, [0.0], taulist, c_ops, A_dag,
                          A_dag * a_op, solver, False, args, options, ntraj,
                          seeds, "quantum", rates, N, c_op=a_op)
    G2 = result.correlation[0]
    if state0 is None:
        n = np.full(len(G2), np.real(result.stats["steady_B"]))
    else:
        n = twasolve(H, state0, taulist, c_ops, e_ops=[A_dag * a_op],
                     args=args, options=options, ntraj=ntraj, seeds=seeds,
                     N=N, **rates).expect[0].real
    return G2 / (n[0] * n), G2


def _dag(op):
    return op.dag() if hasattr(op, "dag") else op


def _correlation(H, state0, tlist, taulist, c_ops, a_op, b_op, solver,
                 reverse, args, options, ntraj, seeds, ordering, rates, N,
                 c_op=None):
    check_solver_name(solver, ("me", "es"))
    ntraj = check_ntraj(ntraj)
    ops = [a_op, b_op] + ([] if c_op is None else [c_op])
    twa = solver_for(H, c_ops, ops, state0, options=options, args=args, N=N,
                     rates=rates)
    return twa.correlation(state0, tlist, taulist, a_op, b_op, ntraj,
                           c_op=c_op, reverse=reverse, ordering=ordering,
                           seeds=seeds, args=args)


for _f in (correlation_2op_1t, correlation_2op_2t):
    _f.__doc__ = _f.__doc__.format(parameters=_PARAMETERS + _TWO_OPERATORS)
for _f in (correlation_3op_1t, correlation_3op_2t):
    _f.__doc__ = _f.__doc__.format(parameters=_PARAMETERS)
