"""Argument checks shared by the solvers."""

import numpy as np

from .identify import canonical

__all__ = ["check_tlist", "check_rate", "per_ensemble"]


def check_tlist(tlist):
    """``tlist`` as a float array: 1d, non-empty, finite, increasing."""
    t = np.asarray(tlist, dtype=float)
    if t.ndim != 1 or len(t) < 1:
        raise ValueError("tlist must be a 1d array of output times")
    if not np.all(np.isfinite(t)):
        raise ValueError("tlist must be finite (no NaN or inf)")
    if np.any(np.diff(t) <= 0):
        raise ValueError("tlist must be strictly increasing")
    return t


def check_rate(name, value):
    """A local rate: a real, finite number >= 0, rounded by ``canonical``."""
    if isinstance(value, (complex, np.complexfloating)) \
            or not np.isscalar(value):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite rate >= 0, got {value}")
    return canonical(value)


def per_ensemble(value, M, name, dtype=float):
    """``value`` as a finite vector of length M (a scalar is repeated)."""
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == 0:
        arr = np.full(M, arr[()])
    if arr.shape != (M,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a finite scalar or a vector of "
                         f"length M = {M}, got {value!r}")
    return arr
