"""Step planning: fixed steps on a grid, or per-trajectory adaptive steps.

``Stepping.plan`` decides how the trajectories step between output times
and ``Stepping.advance`` runs the matching engine kernel, so the options
``adaptive``, ``dt``, ``steps_per_rate``, ``tol`` and ``scheme`` are read
in this module only.

A step resolves two rates: the precession frequency and the dissipation
rate (``kernels._increment``, ``Model.rate_scales``), each with its own
number of steps per rate (docs/theory.md Section 10).  Precession gets
more: a step's phase error adds up over every period of a closed or weakly
damped dynamics, while dissipation forgets the step errors of the past
(benchmarks/step_accuracy.py).  With a tolerance ``tol``, the precession
counts through the error of the step's rotations instead of through its
frequency (``kernels.propagate_adaptive``): a field that keeps its
direction, however strong, does not shorten the step.

``scheme`` "rotation" (the default) applies every U(2) rotation exactly
(docs/theory.md Section 5.3); "heun" is plain Stratonovich Heun, for
comparison.
"""

from dataclasses import dataclass

import numpy as np

from ..engine import kernels

__all__ = ["Stepping", "step_grid"]

# Heun steps per precession rate and per dissipation rate
PRECESSION_STEPS = 100.0
DISSIPATION_STEPS = 20.0


@dataclass(frozen=True)
class Stepping:
    """How the trajectories step.

    Attributes
    ----------
    adaptive : bool
        True: each trajectory steps by min(dt_max, 1 / (n_p r_p + n_d r_d))
        for its local precession and dissipation rates r_p, r_d
        (docs/theory.md, Step size); False: fixed sub-steps.
    steps_per_rate : tuple of float
        (n_p, n_d), steps per precession and per dissipation rate.
    dt_max : float
        Largest adaptive step (inf for none).
    dt : float or None
        Largest fixed sub-step (None when adaptive).
    steps : int array or None
        Fixed sub-steps per output interval (None when adaptive).
    grid : array
        Times at which the time coefficients are evaluated (the step grid;
        for adaptive steps of a constant model, two points).
    tol : float or None
        Relative error of each step's rotations (adaptive steps only): it
        replaces the steps per precession rate after a trajectory's first
        step.
    scheme : str
        "rotation" (exact U(2) rotations) or "heun" (plain Heun).
    """

    adaptive: bool
    steps_per_rate: tuple
    dt_max: float
    dt: float = None
    steps: np.ndarray = None
    grid: np.ndarray = None
    tol: float = None
    scheme: str = "rotation"

    @classmethod
    def plan(cls, model, tlist, *, adaptive=True, dt=None,
             steps_per_rate=None, tol=None, scheme="rotation"):
        """Adaptive steps for a time-independent ``model`` unless
        ``adaptive`` is False; else fixed steps of ``dt`` or 1 / (n_p r_p +
        n_d r_d) for the model's worst-case rates.  ``steps_per_rate`` is
        (n_p, n_d), one number for both, or None for (100, 20)."""
        if tol is not None and scheme != "rotation":
            raise ValueError("options['tol'] bounds the error of the exact "
                             "rotations: it needs options['scheme'] = "
                             f"'rotation', got {scheme!r}")
        if steps_per_rate is None:
            steps_per_rate = PRECESSION_STEPS, DISSIPATION_STEPS
        spr = tuple(np.broadcast_to(np.asarray(steps_per_rate, float), 2))
        dt_max = float(dt or np.inf)
        if adaptive and model.time_independent:
            return cls(True, spr, dt_max, grid=tlist[:1].repeat(2), tol=tol,
                       scheme=scheme)
        if dt is None:
            rate = np.dot(spr, model.rate_scales(tlist))
            dt = 1.0 / rate if rate > 0 else max(tlist[-1] - tlist[0], 1.0)
        grid, steps = step_grid(tlist, dt)
        dt = float(np.max(np.diff(grid), initial=dt))
        return cls(False, spr, dt_max, dt, steps, grid, scheme=scheme)

    @classmethod
    def from_options(cls, model, tlist, options):
        """``plan`` with the step options of a validated ``options`` dict."""
        return cls.plan(model, tlist, adaptive=options["adaptive"],
                        dt=options["dt"],
                        steps_per_rate=options["steps_per_rate"],
                        tol=options["tol"], scheme=options["scheme"])

    @property
    def rule(self):
        """(n_p, n_d, tol or 0, 1 for plain Heun), as the engine reads it."""
        return np.array([*self.steps_per_rate, self.tol or 0.0,
                         self.scheme == "heun"])

    @property
    def hint(self):
        """What to change when trajectories fail."""
        if self.adaptive and self.tol:
            return f"a smaller options['tol'] (now {self.tol:.3g})"
        if self.adaptive:
            return (f"a larger options['steps_per_rate'] (now "
                    f"{_pair(self.steps_per_rate)})")
        return f"a smaller options['dt'] (now {self.dt:.3g})"

    def advance(self, a, b, rng, tlist, i, rate, steps, model):
        """Advance a batch from output time i - 1 to i.

        ``rate`` keeps each trajectory's local rate between calls and
        ``steps`` counts the steps taken; ``model`` is the ``EngineModel``
        on ``self.grid``.
        """
        span = tlist[i] - tlist[i - 1]
        if self.adaptive:
            kernels.propagate_adaptive(a, b, rng, span, self.dt_max,
                                       self.rule, rate, steps, model, 1)
        else:
            n = self.steps[i - 1]
            offset = int(self.steps[:i - 1].sum())
            kernels.propagate(a, b, rng, n, span / n, offset, model,
                              self.scheme == "heun")
            steps += n

    def advance_tied(self, a, b, rng, tlist, i, rate, steps, model, group):
        """``advance`` with the rows in groups of ``group`` taking the same
        steps (fixed steps always do)."""
        if not self.adaptive:
            return self.advance(a, b, rng, tlist, i, rate, steps, model)
        kernels.propagate_adaptive(a, b, rng, tlist[i] - tlist[i - 1],
                                   self.dt_max, self.rule, rate, steps, model,
                                   group)


def _pair(spr):
    """Steps per rate as the user may pass them: one number when equal."""
    return f"{spr[0]:g}" if spr[0] == spr[1] else f"({spr[0]:g}, {spr[1]:g})"


def step_grid(tlist, dt_max):
    """Sub-steps between output times: (grid, steps per interval)."""
    steps = np.maximum(np.ceil(np.diff(tlist) / dt_max - 1e-9), 1).astype(int)
    grid = [tlist[:1]]
    for t0, t1, n in zip(tlist[:-1], tlist[1:], steps):
        grid.append(t0 + (t1 - t0) * np.arange(1, n + 1) / n)
    return np.concatenate(grid), steps
