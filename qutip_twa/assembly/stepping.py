"""Step planning: fixed steps on a grid, or per-trajectory adaptive steps.

``Stepping.plan`` decides how the trajectories step between output times
and ``Stepping.advance`` runs the matching engine kernel, so the options
``adaptive``, ``dt`` and ``steps_per_rate`` are read in this module only.
"""

from dataclasses import dataclass

import numpy as np

from ..engine import kernels

__all__ = ["STEPS_PER_UNIT_RATE", "Stepping", "step_grid"]

# Heun steps per characteristic time 1/rate; see tests/test_convergence.py.
STEPS_PER_UNIT_RATE = 100.0


@dataclass(frozen=True)
class Stepping:
    """How the trajectories step.

    Attributes
    ----------
    adaptive : bool
        True: each trajectory steps by min(dt_max, 1 / (steps_per_rate x its
        local rate)) (docs/theory.md, Step size); False: fixed sub-steps.
    steps_per_rate : float
    dt_max : float
        Largest adaptive step (inf for none).
    dt : float or None
        Largest fixed sub-step (None when adaptive).
    steps : int array or None
        Fixed sub-steps per output interval (None when adaptive).
    grid : array
        Times at which the time coefficients are evaluated (the step grid;
        for adaptive steps of a constant model, two points).
    """

    adaptive: bool
    steps_per_rate: float
    dt_max: float
    dt: float = None
    steps: np.ndarray = None
    grid: np.ndarray = None

    @classmethod
    def plan(cls, model, tlist, *, adaptive=True, dt=None,
             steps_per_rate=STEPS_PER_UNIT_RATE):
        """Adaptive steps for a time-independent ``model`` unless
        ``adaptive`` is False; else fixed steps of ``dt`` or 1 /
        (``steps_per_rate`` x the model's worst-case rate)."""
        dt_max = float(dt or np.inf)
        if adaptive and model.time_independent:
            return cls(True, float(steps_per_rate), dt_max,
                       grid=tlist[:1].repeat(2))
        if dt is None:
            rate = model.rate_scale(tlist)
            dt = 1.0 / (steps_per_rate * rate) if rate > 0 else \
                max(tlist[-1] - tlist[0], 1.0)
        grid, steps = step_grid(tlist, dt)
        dt = float(np.max(np.diff(grid), initial=dt))
        return cls(False, float(steps_per_rate), dt_max, dt, steps, grid)

    @property
    def hint(self):
        """What to change when trajectories fail."""
        if self.adaptive:
            return (f"a larger options['steps_per_rate'] (now "
                    f"{self.steps_per_rate:g})")
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
                                       self.steps_per_rate, rate, steps,
                                       model, 1)
        else:
            n = self.steps[i - 1]
            offset = int(self.steps[:i - 1].sum())
            kernels.propagate(a, b, rng, n, span / n, offset, model)
            steps += n

    def advance_tied(self, a, b, rng, tlist, i, rate, steps, model, group):
        """``advance`` with the rows in groups of ``group`` taking the same
        steps (fixed steps always do)."""
        if not self.adaptive:
            return self.advance(a, b, rng, tlist, i, rate, steps, model)
        kernels.propagate_adaptive(a, b, rng, tlist[i] - tlist[i - 1],
                                   self.dt_max, self.steps_per_rate, rate,
                                   steps, model, group)


def step_grid(tlist, dt_max):
    """Sub-steps between output times: (grid, steps per interval)."""
    steps = np.maximum(np.ceil(np.diff(tlist) / dt_max - 1e-9), 1).astype(int)
    grid = [tlist[:1]]
    for t0, t1, n in zip(tlist[:-1], tlist[1:], steps):
        grid.append(t0 + (t1 - t0) * np.arange(1, n + 1) / n)
    return np.concatenate(grid), steps
