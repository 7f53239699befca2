"""Argument checks shared by the solvers: one function per kind of value."""

import numpy as np

from .canonical import canonical

__all__ = ["check_tlist", "check_rate", "check_rates", "per_ensemble",
           "check_ntraj", "check_seconds", "check_solver_name"]


def check_tlist(tlist, name="tlist"):
    """``tlist`` (called ``name`` in errors) as a float array: 1d,
    non-empty, finite, increasing."""
    try:
        t = np.asarray(tlist)
    except ValueError as err:
        raise ValueError(f"{name} must be a 1d array of output times: {err}")
    if t.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}")
    t = t.astype(float)
    if t.ndim != 1 or len(t) < 1:
        raise ValueError(f"{name} must be a 1d array of output times")
    if not np.all(np.isfinite(t)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if np.any(np.diff(t) <= 0):
        raise ValueError(f"{name} must be strictly increasing")
    return t


def check_rate(name, value):
    """A local rate: a real, finite number >= 0, rounded by ``canonical``."""
    if np.ndim(value) != 0 or np.iscomplexobj(value) \
            or np.asarray(value).dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(np.asarray(value))
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite rate >= 0, got {value}")
    return canonical(value)


def check_rates(name, value, M):
    """A rate per ensemble from a real scalar or a vector of M rates."""
    arr = np.asarray(value)
    if np.iscomplexobj(arr) or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real rate or a vector of M = {M} "
                        f"real rates, got {value!r}")
    return np.array([check_rate(name, v)
                     for v in per_ensemble(arr, M, name)])


def per_ensemble(value, M, name, dtype=float):
    """``value`` as a finite vector of length M (a scalar is repeated)."""
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == 0:
        arr = np.full(M, arr[()])
    if arr.shape != (M,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a finite scalar or a vector of "
                         f"length M = {M}, got {value!r}")
    return arr


def check_seconds(name, value):
    """None or a finite number of seconds >= 0 (``timeout``; 0 stops after
    the first batch)."""
    if value is None:
        return None
    if np.ndim(value) != 0 or np.asarray(value).dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a number of seconds or None, got "
                        f"{value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number of seconds >= 0, "
                         f"got {value!r}")
    return float(value)


def check_ntraj(ntraj):
    """A positive int number of trajectories."""
    if not isinstance(ntraj, (int, np.integer)) or isinstance(ntraj, bool) \
            or ntraj < 1:
        raise ValueError(f"ntraj must be a positive integer, got {ntraj!r}")
    return int(ntraj)


def check_solver_name(solver, accepted):
    """One of QuTiP's solver names in ``accepted`` (the ``solver`` argument
    of QuTiP's correlation functions and ``spectrum``); the TWA is used
    whichever is named."""
    if not isinstance(solver, str):
        raise TypeError(f"solver must be one of QuTiP's solver names "
                        f"{accepted}, got {solver!r}")
    if solver not in accepted:
        raise ValueError(f"solver must be one of {accepted} (QuTiP's names; "
                         f"qutip_twa always uses the TWA), got {solver!r}")
    return solver
