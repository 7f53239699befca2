"""The stationary spectrum of a correlation function, as
``qutip.spectrum``, from TWA correlations (docs/theory.md Section 14)."""

import numpy as np

from .checks import check_ntraj, check_solver_name, check_tlist
from .solver import solver_for
from .steady import relaxation_time

__all__ = ["spectrum"]

MAX_DELAYS = 4001  # delays of the default taulist


def spectrum(H, wlist, c_ops, a_op, b_op, solver="es", *, taulist=None,
             args=None, options=None, ntraj=1000, seeds=None,
             full_output=False, emission=0.0, dephasing=0.0, pumping=0.0,
             N=None):
    """S(w) = int <A(tau) B(0)>_ss exp(-i w tau) dtau over all tau, with
    the stationary <A><B> removed (as ``qutip.spectrum``).

    The correlation comes from :meth:`TwaSolver.correlation` in the steady
    state, for tau >= 0 and, through <A(-tau) B> = conj(<B^dag(tau)
    A^dag>), for tau < 0 (one run when A = B^dag); the integral is the
    trapezoid rule over ``taulist``, so it resolves frequencies above
    about 2 pi / taulist[-1] and below pi / (taulist[1] - taulist[0]).

    Parameters
    ----------
    H, c_ops, args, options, ntraj, seeds, emission, dephasing, pumping, N
        As for :func:`correlation_2op_1t`.
    wlist : array_like
        Angular frequencies.
    a_op, b_op : :obj:`.Qobj` or :class:`EnsembleOperator`
        A and B (the emission spectrum: J+ and J-); b_op (and a_op^dag
        where A != B^dag) linear in the spin operators.
    solver : {"es", "pi", "solve"}
        QuTiP's choice of solver, accepted so that QuTiP's calls run
        unchanged; the TWA is used whichever is named.
    taulist : array_like, optional
        Delays from 0; default up to the longer of the system's relaxation
        time (see :func:`steadystate_expect`) and 2 pi over the spacing of
        ``wlist``, with steps of pi / (2 max abs(w)) (at most 4001 delays).
    full_output : bool
        True: return ``(S, stderr, result)``, with the standard error of S
        per frequency and the :class:`CorrelationResult` of tau >= 0.

    Returns
    -------
    array
        S at each frequency (real where A = B^dag).
    """
    wlist = np.atleast_1d(np.asarray(wlist, dtype=float))
    if wlist.ndim != 1 or not np.all(np.isfinite(wlist)):
        raise ValueError("wlist must be a 1d array of finite frequencies")
    check_solver_name(solver, ("es", "pi", "solve"))
    ntraj = check_ntraj(ntraj)
    twa = solver_for(H, c_ops, [a_op, b_op], None, options=options,
                     args=args, N=N,
                     rates=dict(emission=emission, dephasing=dephasing,
                                pumping=pumping))
    if taulist is None:
        taulist = _default_delays(twa.model, wlist)
    taulist = check_tlist(taulist, "taulist")
    run = dict(seeds=seeds, args=args, keep_runs=True)
    forward = twa.correlation(None, None, taulist, a_op, b_op, ntraj, **run)
    if _adjoint(a_op, b_op):
        backward = forward
    else:
        backward = twa.correlation(None, None, taulist, b_op.dag(),
                                   a_op.dag(), ntraj, **run)
    w = _trapezoid_weights(taulist)
    phase = np.exp(-1j * np.outer(taulist, wlist))  # (ntau, nw)
    samples = (_fluctuation(forward) * w) @ phase \
        + np.conj((_fluctuation(backward) * w) @ phase)
    S = samples.mean(axis=0)
    stderr = samples.std(axis=0) / np.sqrt(max(len(samples) - 1, 1))
    S = S.real if backward is forward else S
    return (S, stderr, forward) if full_output else S


def _trapezoid_weights(x):
    w = np.zeros(len(x))
    w[:-1] += np.diff(x) / 2
    w[1:] += np.diff(x) / 2
    return w


def _fluctuation(result):
    """Per-trajectory <A(tau) B> - <A><B> (ntraj, ntau) of a steady run."""
    mean = result.stats["steady_A"] * result.stats["steady_B"]
    return result.runs[:, 0, :] - mean


def _adjoint(a_op, b_op):
    """True when a_op = b_op^dag."""
    diff = a_op - b_op.dag()
    terms = getattr(diff, "terms", None)
    if terms is not None:
        return not terms
    return diff.norm() == 0


def _default_delays(model, wlist):
    spacing = np.min(np.diff(np.unique(wlist))) if len(np.unique(wlist)) > 1 \
        else 0.0
    T = relaxation_time(model)
    if spacing > 0:
        T = max(T, 2 * np.pi / spacing)
    largest = np.max(np.abs(wlist))
    n = MAX_DELAYS if largest == 0 else \
        min(MAX_DELAYS, int(np.ceil(T * 2 * largest / np.pi)) + 1)
    return np.linspace(0.0, T, max(n, 101))
