"""Canonical rounding of identified numbers.

Numbers recovered by least squares carry noise in their last bits, and
trajectories are chaotic enough to turn that into visible differences.
Rounding every identified coefficient, rate and angle makes equivalent
inputs (a Dicke object, its Liouvillian, H with c_ops, Qobjs or
``Ensembles`` operators) give bit-identical runs.
"""

import numpy as np

__all__ = ["canonical", "canonical_array"]


def _round_at(v, scale, digits):
    """Round ``v`` to ``digits`` significant digits of ``scale``."""
    v, scale = np.asarray(v, dtype=float), np.asarray(scale, dtype=float)
    ok = (scale > 1e-280) & np.isfinite(scale)  # tiny: 10**k would overflow
    safe = np.where(ok, scale, 1.0)
    factor = 10.0 ** (digits - 1 - np.floor(np.log10(safe)))
    return np.where(ok, np.round(v * factor) / factor, v)


def canonical(x, digits=12):
    """``x`` (real or complex) rounded to ``digits`` significant digits.

    A complex number is rounded at the scale of its larger part.
    """
    if np.iscomplexobj(x) or isinstance(x, complex):
        re, im = float(np.real(x)), float(np.imag(x))
        scale = max(abs(re), abs(im))
        return complex(float(_round_at(re, scale, digits)),
                       float(_round_at(im, scale, digits)))
    return float(_round_at(x, abs(float(x)), digits))


def canonical_array(x, digits=12):
    """``canonical`` for a real array, element by element."""
    return _round_at(x, np.abs(x), digits)
