"""What is checked on trajectories: the fault bound and the validity warning.

A trajectory is faulty once non-finite or J_m > N_m/2 + J_MARGIN
+ J_MARGIN_FRACTION N_m for some ensemble; healthy runs stay below
N/2 + 7 (vacuum fluctuations of the Schwinger amplitudes).  More than
VALIDITY_WARNING_FRACTION of trajectories with J < 1 (deep subradiance)
gives a ``TwaValidityWarning`` (docs/theory.md, Section 7).
"""

import os
import sys
import warnings

import numpy as np

__all__ = ["TwaFaultWarning", "TwaValidityWarning", "J_MARGIN",
           "J_MARGIN_FRACTION", "VALIDITY_WARNING_FRACTION", "fault_limit",
           "warn_if_unreliable"]

J_MARGIN = 20.0
J_MARGIN_FRACTION = 0.05
VALIDITY_WARNING_FRACTION = 0.1


class TwaFaultWarning(RuntimeWarning):
    """Some trajectories were excluded as non-finite or unphysical."""


class TwaValidityWarning(UserWarning):
    """Many trajectories are in deep subradiance (J < 1)."""


def fault_limit(n_emitters):
    """The largest healthy J of each ensemble."""
    N = np.asarray(n_emitters, dtype=float)
    return N / 2 + J_MARGIN + J_MARGIN_FRACTION * N


def _user_stacklevel():
    """The stacklevel of the first caller outside this package (so that a
    warning points at the user's line, from twasolve or TwaSolver.run)."""
    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(
            frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def warn_if_unreliable(result, excluded, done, hint):
    """Warn about excluded trajectories and deep subradiance in ``result``."""
    stacklevel = _user_stacklevel()
    if excluded:
        warnings.warn(
            f"{excluded} of {done} trajectories became non-finite "
            "or left the physical range and were excluded from the "
            "averages (stats['faulty_trajectories'] counts them per "
            f"output time); {hint} may avoid this",
            TwaFaultWarning, stacklevel=stacklevel)
    below = result.stats.get("fraction_J_below_1")
    if below is not None and np.max(below) > VALIDITY_WARNING_FRACTION:
        i = int(np.argmax(below))
        warnings.warn(
            f"{100 * below[i]:.0f}% of trajectories have J < 1 at t = "
            f"{result.times[i]:g} (threshold "
            f"{100 * VALIDITY_WARNING_FRACTION:.0f}%): deep subradiance, "
            "where the TWA is unreliable; see "
            "stats['fraction_J_below_1']", TwaValidityWarning,
            stacklevel=stacklevel)
