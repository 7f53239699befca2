"""Argument checks shared by the solvers."""

import numpy as np

__all__ = ["check_tlist"]


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
