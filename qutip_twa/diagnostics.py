"""What is checked on trajectories: the fault bound and the validity warning.

A trajectory is faulty once non-finite or J_m > N_m/2 + J_MARGIN
+ J_MARGIN_FRACTION N_m for some ensemble; healthy runs stay below
N/2 + 7 (vacuum fluctuations of the Schwinger amplitudes).  A run whose
mean total spin sum_m (J_m - N_m/2) exceeds EXCESS_MARGIN per ensemble by
more than EXCESS_SAFETY standard errors has left the physical region on
average (steps too coarse): a ``TwaFaultWarning``.  More than
VALIDITY_WARNING_FRACTION of trajectories with J < 1 (deep subradiance)
gives a ``TwaValidityWarning`` (docs/theory.md, Section 7), and so does a
run whose mean occupation above a fed dark edge (see ``dark_edges``) is
significantly below EDGE_OCCUPATION_THRESHOLD (Section 13).
"""

import os
import sys
import warnings

import numpy as np

from .engine.contract import EMISSION, PUMPING

__all__ = ["TwaFaultWarning", "TwaValidityWarning", "J_MARGIN",
           "J_MARGIN_FRACTION", "EXCESS_MARGIN", "EXCESS_SAFETY",
           "VALIDITY_WARNING_FRACTION", "EDGE_OCCUPATION_THRESHOLD",
           "EDGE_SAFETY", "EDGE_DWELL", "fault_limit", "dark_edges",
           "edge_occupation", "edge_return_time",
           "warn_if_unreliable"]

J_MARGIN = 20.0
J_MARGIN_FRACTION = 0.05
# <J> - N/2 of a polarised stationary state: 0.17 at N = 10, 0.08 at 100
EXCESS_MARGIN = 0.3
EXCESS_SAFETY = 4.0
VALIDITY_WARNING_FRACTION = 0.1
# Fig. 2b trough: 0.01-0.06 (TWA 0.05-0.6 of the exact <J+J->); the
# time crystals and lasers of the accuracy table stay above 0.7.
EDGE_OCCUPATION_THRESHOLD = 0.25
EDGE_SAFETY = 4.0
# ... for longer than this many return times (Fig. 2b: about 25; a pumped
# start from the ground state passes the edge within about one)
EDGE_DWELL = 5.0


class TwaFaultWarning(RuntimeWarning):
    """Trajectories were excluded as non-finite or unphysical, or the run
    left the physical region J <= N/2 on average."""


class TwaValidityWarning(UserWarning):
    """Many trajectories are in deep subradiance (J < 1), or the run sits
    at a fed dark edge of the collective jumps."""


def fault_limit(n_emitters):
    """The largest healthy J of each ensemble (inf for a mode, N = 0)."""
    N = np.asarray(n_emitters, dtype=float)
    return np.where(N > 0, N / 2 + J_MARGIN + J_MARGIN_FRACTION * N, np.inf)


def dark_edges(model):
    """Per ensemble, the edge of its spin sphere that the collective jumps
    cannot leave and a local process feeds: -1 for M = -J (only lowering
    collective jumps, local pumping), +1 for M = +J (only raising ones,
    local emission), 0 for none.  ``model`` is an ``EngineModel``."""
    power = np.sum(np.abs(model.jumps) ** 2, axis=0)  # (M, 3)
    lowering, raising = power[:, 0] > 0, power[:, 1] > 0
    rates = model.local_rates
    lower = lowering & ~raising & (rates[:, PUMPING] > 0)
    upper = raising & ~lowering & (rates[:, EMISSION] > 0)
    return upper.astype(int) - lower.astype(int)


def edge_return_time(model):
    """The longest time the collective jumps take to empty one excitation
    above a dark edge: 1 / (N_m sum_k |alpha_km|^2) at M = -J (beta at
    M = +J), over the ensembles with one; None when there is none."""
    edges = dark_edges(model)
    sides = np.flatnonzero(edges)
    if not len(sides):
        return None
    power = np.sum(np.abs(model.jumps[:, sides, :2]) ** 2, axis=0)
    rate = np.where(edges[sides] < 0, power[:, 0], power[:, 1])
    return float(1 / np.min(rate * model.n_emitters[sides]))


def edge_occupation(variables, edges):
    """Per trajectory, the mean over ensembles with a dark edge of the
    excitations above it, J - |Sz| on that side (J + Sz at M = -J)."""
    sides = np.flatnonzero(edges)
    J = variables[:, 4 * sides + 3] - 0.5
    Sz = variables[:, 4 * sides + 2]
    return np.mean(J - edges[sides] * Sz, axis=1)


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
    _warn_if_at_dark_edge(result, stacklevel)
    below = result.stats.get("fraction_J_below_1")
    if below is not None and np.max(below) > VALIDITY_WARNING_FRACTION:
        i = int(np.argmax(below))
        warnings.warn(
            f"{100 * below[i]:.0f}% of trajectories have J < 1 at t = "
            f"{result.times[i]:g} (threshold "
            f"{100 * VALIDITY_WARNING_FRACTION:.0f}%): deep subradiance "
            "or very few emitters, where the TWA is unreliable; see "
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


def _warn_if_at_dark_edge(result, stacklevel):
    """Warn when the mean occupation above a fed dark edge stays below
    EDGE_OCCUPATION_THRESHOLD (by EDGE_SAFETY standard errors) for EDGE_DWELL
    return times."""
    occupation = result.stats.get("mean_edge_occupation")
    if occupation is None or result.num_trajectories < 2:
        return
    below = occupation + EDGE_SAFETY * result.stats[
        "stderr_edge_occupation"] < EDGE_OCCUPATION_THRESHOLD
    first, last = _longest_run(below)
    dwell = result.times[last] - result.times[first] if below.any() else 0
    if dwell >= EDGE_DWELL * result.stats["edge_return_time"]:
        warnings.warn(
            f"the trajectories sit at a dark edge of the collective jumps "
            f"that a local process feeds, from t = {result.times[first]:g} "
            f"to {result.times[last]:g} (mean occupation above the edge "
            f"{np.min(occupation[first:last + 1]):.2g}, threshold "
            f"{EDGE_OCCUPATION_THRESHOLD:g}); quantities set by those few "
            "excitations, such as the emitted intensity in a subradiant "
            "trough, are unreliable (docs/theory.md, Section 13; see "
            "stats['mean_edge_occupation'])", TwaValidityWarning,
            stacklevel=stacklevel)


def _longest_run(flags):
    """First and last index of the longest run of True in ``flags``."""
    best, start, span = (0, 0), None, -1
    for i, flag in enumerate(np.append(flags, False)):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - 1 - start > span:
                best, span = (start, i - 1), i - 1 - start
            start = None
    return best
