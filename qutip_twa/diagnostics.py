"""What is checked on trajectories: the fault bound and the validity warning.

A trajectory is faulty once non-finite or J_m > N_m/2 + J_MARGIN
+ J_MARGIN_FRACTION N_m for some ensemble; healthy runs stay below
N/2 + 7 (vacuum fluctuations of the Schwinger amplitudes).  A run whose
mean total spin sum_m (J_m - N_m/2) exceeds EXCESS_MARGIN per ensemble by
more than EXCESS_SAFETY standard errors has left the physical region on
average (steps too coarse): a ``TwaFaultWarning``.  More than
VALIDITY_WARNING_FRACTION of trajectories with J < 1 (deep subradiance)
gives a ``TwaValidityWarning`` (docs/theory.md, Section 7).
"""

import os
import sys
import warnings

import numpy as np

__all__ = ["TwaFaultWarning", "TwaValidityWarning", "J_MARGIN",
           "J_MARGIN_FRACTION", "EXCESS_MARGIN", "EXCESS_SAFETY",
           "VALIDITY_WARNING_FRACTION", "fault_limit", "warn_if_unreliable"]

J_MARGIN = 20.0
J_MARGIN_FRACTION = 0.05
# <J> - N/2 of a polarised stationary state: 0.17 at N = 10, 0.08 at 100
EXCESS_MARGIN = 0.3
EXCESS_SAFETY = 4.0
VALIDITY_WARNING_FRACTION = 0.1


class TwaFaultWarning(RuntimeWarning):
    """Trajectories were excluded as non-finite or unphysical, or the run
    left the physical region J <= N/2 on average."""


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
    _warn_if_outside(result, hint, stacklevel)
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


def _warn_if_outside(result, hint, stacklevel):
    """Warn when the mean of sum_m (J_m - N_m/2) is significantly above
    EXCESS_MARGIN per ensemble: <J_m> <= N_m/2 holds exactly."""
    excess = result.stats.get("mean_J_excess")
    if excess is None or result.num_trajectories < 2:
        return
    margin = EXCESS_MARGIN * np.size(result.stats.get("N", 1))
    over = excess - EXCESS_SAFETY * result.stats["stderr_J_excess"] - margin
    if np.max(over) > 0:
        i = int(np.argmax(over))
        warnings.warn(
            f"the trajectories left the physical region J <= N/2: the mean "
            f"of sum_m (J_m - N_m/2) is {excess[i]:.3g} at t = "
            f"{result.times[i]:g}, above the method's {margin:g} by more "
            f"than {EXCESS_SAFETY:g} standard errors; {hint} should cure "
            "this (see stats['mean_J_excess'])", TwaFaultWarning,
            stacklevel=stacklevel)
