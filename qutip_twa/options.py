"""Solver options: the defaults and one small validator per key.

``check_options`` is the only place options are validated; ``TwaSolver``
calls it when options are given or assigned.  The options of ``mesolve``
that configure its ODE integrator (``method``, ``atol``, ``rtol``,
``nsteps``, ``normalize_output``, ...) have no meaning for trajectories of
stochastic equations; they are accepted, so that a ``mesolve`` call runs
unchanged, and listed in ``result.stats["ignored_options"]``.
"""

from numbers import Integral, Real

import numpy as np
from qutip.solver.mesolve import MESolver
from qutip.ui.progressbar import progress_bars

from .assembly import INITIAL_SAMPLINGS
from .run import BLOCK, PROCESS_MAPS

__all__ = ["DEFAULT_OPTIONS", "MESOLVE_ONLY_OPTIONS", "check_options",
           "ignored_options"]

DEFAULT_OPTIONS = {
    "progress_bar": "",
    "progress_kwargs": {"chunk_size": 10},
    "store_final_state": False,
    "store_states": None,
    "keep_runs_results": False,
    "map": "parallel",
    "num_cpus": None,
    "threads_per_worker": 1,
    "mpi_options": {},
    "dt": None,
    "adaptive": True,
    "steps_per_rate": None,
    "tol": None,
    "scheme": "rotation",
    "batch_size": 8192,
    "faults": "raise",
    "initial_sampling": "moments",
}
MAPS = ("parallel", "serial", *PROCESS_MAPS)
# mesolve's own options (its ODE integrators'), accepted and ignored
MESOLVE_ONLY_OPTIONS = frozenset(
    set(MESolver.solver_options).union(*(
        integrator.integrator_options
        for integrator in MESolver.avail_integrators().values()))
    - set(DEFAULT_OPTIONS))


def _is_int(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def _is_positive_number(value):
    return isinstance(value, Real) and not isinstance(value, bool) \
        and np.isfinite(value) and value > 0


def _positive_int(name, value):
    if not (_is_int(value) and value >= 1):
        raise ValueError(f"options[{name!r}] must be a positive integer, "
                         f"got {value!r}")
    return int(value)


def _positive_number(name, value):
    if not _is_positive_number(value):
        raise ValueError(f"options[{name!r}] must be a positive number, "
                         f"got {value!r}")
    return float(value)


def _steps_per_rate(name, value):
    """A positive number, or a pair (precession, dissipation) of them."""
    pair = value if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(map(_is_positive_number, pair)):
        raise ValueError(f"options[{name!r}] must be a positive number or a "
                         f"pair (precession, dissipation) of them, got "
                         f"{value!r}")
    return tuple(float(v) for v in pair)


def _optional(check):
    return lambda name, value: None if value is None else check(name, value)


def _flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"options[{name!r}] must be True or False, got "
                        f"{value!r}")
    return bool(value)


def _dict(what):
    def check(name, value):
        if not isinstance(value, dict):
            raise TypeError(f"options[{name!r}] must be a dict of {what}, "
                            f"got {type(value).__name__}")
        return dict(value)
    return check


def _choice(*allowed):
    def check(name, value):
        if not any(value is a or (type(value) is type(a) and value == a)
                   for a in allowed):
            raise ValueError(f"options[{name!r}] must be one of {allowed}, "
                             f"got {value!r}")
        return value
    return check


def _batch_size(name, value):
    if not (_is_int(value) and value >= BLOCK and value % BLOCK == 0):
        raise ValueError(f"options[{name!r}] must be a positive multiple "
                         f"of {BLOCK}, got {value!r}")
    return int(value)


VALIDATORS = {
    "progress_bar": _choice(*progress_bars),
    "progress_kwargs": _dict("progress-bar arguments"),
    "store_final_state": _flag,
    "store_states": _optional(_flag),
    "keep_runs_results": _flag,
    "map": _choice(*MAPS),
    "num_cpus": _optional(_positive_int),
    "threads_per_worker": _positive_int,
    "mpi_options": _dict("MPIPoolExecutor arguments"),
    "dt": _optional(_positive_number),
    "adaptive": _flag,
    "steps_per_rate": _optional(_steps_per_rate),
    "tol": _optional(_positive_number),
    "scheme": _choice("rotation", "heun"),
    "batch_size": _batch_size,
    "faults": _choice("raise", "exclude"),
    "initial_sampling": _choice(*INITIAL_SAMPLINGS),
}


def check_options(options, base=None):
    """``base`` (default: ``DEFAULT_OPTIONS``) updated by ``options``.

    Raises
    ------
    TypeError
        ``options`` is not a dict (or None), or a value of the wrong kind.
    KeyError
        An unknown key.
    ValueError
        A value out of range.
    """
    out = dict(DEFAULT_OPTIONS if base is None else base)
    if options is None:
        return out
    if not isinstance(options, dict):
        raise TypeError(f"options must be a dict (keys {sorted(VALIDATORS)}),"
                        f" got {type(options).__name__}")
    for key, value in options.items():
        if key in MESOLVE_ONLY_OPTIONS:
            out[key] = value
        elif key in VALIDATORS:
            out[key] = VALIDATORS[key](key, value)
        else:
            raise KeyError(f"unknown option {key!r}; twasolve accepts "
                           f"{sorted(VALIDATORS)} and ignores mesolve's "
                           "integrator options "
                           f"{sorted(MESOLVE_ONLY_OPTIONS)}")
    return out


def ignored_options(options):
    """The mesolve-only keys of validated ``options``, as a sorted list."""
    return sorted(k for k in options if k in MESOLVE_ONLY_OPTIONS)
