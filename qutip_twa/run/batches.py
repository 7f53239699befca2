"""One batch of trajectories, self-contained so that a process can run it.

A ``BatchJob`` holds only arrays and the e_ops evaluators: it pickles, and
``job(first, count)`` runs trajectories ``first .. first + count - 1`` in
the calling process (numba threads) and returns their ``BatchOutput``.
Trajectory i's noise depends only on the root key and i (rng.py), so the
output does not depend on which process runs which batch.
"""

import contextlib
from dataclasses import dataclass, field

import numba
import numpy as np

from . import engine
from .observables import Observable
from .rng import seed_streams
from .sample import PhaseSpaceSample
from .symbols import evaluate, phase_variables

__all__ = ["BLOCK", "BATCH_VALUES_BYTES", "J_MARGIN", "J_MARGIN_FRACTION",
           "BatchJob", "BatchOutput", "fault_limit"]

BLOCK = 256  # trajectories per reduction block; batches are multiples of it
# A trajectory is faulty once non-finite or J_m > N_m/2 + J_MARGIN
# + J_MARGIN_FRACTION N_m for some ensemble; healthy runs stay below
# N/2 + 7 (vacuum fluctuations of the Schwinger amplitudes).
J_MARGIN = 20.0
J_MARGIN_FRACTION = 0.05
# A batch holds every e_op value of its trajectories at every output time;
# batches shrink (by whole blocks) to keep that below this many bytes.
BATCH_VALUES_BYTES = 2 ** 28


def fault_limit(n_emitters):
    """The largest healthy J of each ensemble."""
    N = np.asarray(n_emitters, dtype=float)
    return N / 2 + J_MARGIN + J_MARGIN_FRACTION * N


@dataclass
class BatchOutput:
    """Block sums of one batch, in trajectory order (see TwaResult.add_block).

    ``blocks`` holds keyword dicts for ``TwaResult.add_block``; ``faults``
    counts faulty trajectories per output time; ``steps`` is the total
    number of steps taken.
    """
    blocks: list = field(default_factory=list)
    faults: np.ndarray = None
    excluded: int = 0
    steps: int = 0


@dataclass
class BatchJob:
    """Everything a batch needs: engine arrays, times, evaluators, options.

    ``steps`` is None for adaptive steps, else the fixed steps per output
    interval (``arrays`` then holds the coefficient values on their grid).
    """
    key: np.ndarray
    arrays: tuple
    init: tuple
    tlist: np.ndarray
    evaluators: list
    J_limit: np.ndarray
    steps: np.ndarray
    dt_max: float
    steps_per_rate: float
    exclude_faults: bool
    keep_runs: bool
    store_final_state: bool
    step_hint: str
    threads: int = 0  # 0: leave numba's setting alone

    def largest_batch(self):
        """Trajectories per batch whose e_op values fit BATCH_VALUES_BYTES."""
        per_traj = 16 * max(len(self.evaluators), 1) * len(self.tlist)
        return max(BLOCK, BATCH_VALUES_BYTES // per_traj // BLOCK * BLOCK)

    def __call__(self, first, count):
        if self.threads:
            numba.set_num_threads(int(min(self.threads,
                                          numba.config.NUMBA_NUM_THREADS)))
        M = len(self.J_limit)
        rng = np.empty((count, 4), dtype=np.uint64)
        seed_streams(self.key, first, count, rng)
        a = np.empty((count, M), dtype=complex)
        b = np.empty((count, M), dtype=complex)
        engine.sample_initial(rng, a, b, *self.init)
        nt = len(self.tlist)
        values = np.empty((len(self.evaluators), count, nt), dtype=complex)
        below = np.zeros((count, nt), dtype=bool)
        faulty = np.zeros(count, dtype=bool)
        out = BatchOutput(faults=np.zeros(nt, dtype=np.int64))
        rate = np.full(count, -1.0)
        steps = np.zeros(count, dtype=np.int64)
        for i, t in enumerate(self.tlist):
            if i:
                self._propagate(a, b, rng, i, rate, steps)
            with np.errstate(all="ignore"):  # faulty ones are dropped
                variables = phase_variables(a, b)
                J = variables[:, 3::4] - 0.5
                faulty |= ~np.isfinite(variables).all(axis=1) \
                    | np.any(J > self.J_limit, axis=1)
            out.faults[i] = faulty.sum()
            if faulty.any() and not self.exclude_faults:
                raise FloatingPointError(
                    f"{faulty.sum()} of {count} trajectories became "
                    f"non-finite or left the physical range (J > N/2 + "
                    f"{J_MARGIN:g} + {J_MARGIN_FRACTION:g} N) by t = {t:g}; try {self.step_hint}, or set "
                    "options['faults'] = 'exclude' to drop them")
            below[:, i] = np.min(J, axis=1) < 1.0
            sample = PhaseSpaceSample(a, b)
            quiet = np.errstate(all="ignore") if faulty.any() else \
                contextlib.nullcontext()
            with quiet:
                symbols = {}
                for k, ev in enumerate(self.evaluators):
                    values[k, :, i] = _evaluate(ev, t, sample, variables,
                                                count, k, symbols)
        out.excluded = int(faulty.sum())
        out.steps = int(steps.sum())
        out.blocks = self._blocks(values, below, a, b, ~faulty)
        return out

    def _propagate(self, a, b, rng, i, rate, steps):
        """Advance a batch from output time i - 1 to i."""
        span = self.tlist[i] - self.tlist[i - 1]
        if self.steps is None:
            engine.propagate_adaptive(a, b, rng, span, self.dt_max,
                                      self.steps_per_rate, rate, steps,
                                      *self.arrays)
        else:
            n = self.steps[i - 1]
            offset = int(self.steps[:i - 1].sum())
            engine.propagate(a, b, rng, n, span / n, offset, *self.arrays)
            steps += n

    def _blocks(self, values, below, a, b, keep):
        """Sums over the kept trajectories of each 256-block."""
        blocks = []
        for lo in range(0, values.shape[1], BLOCK):
            rows = lo + np.flatnonzero(keep[lo:lo + BLOCK])
            if not len(rows):
                continue
            blk = values[:, rows, :]
            blocks.append(dict(
                sums=blk.sum(axis=1), sumsq=(np.abs(blk) ** 2).sum(axis=1),
                count=len(rows), runs=blk if self.keep_runs else None,
                diagnostics={"J_below_1": below[rows].sum(axis=0)},
                final_state=({"a": a[rows], "b": b[rows]}
                             if self.store_final_state else None)))
        return blocks


def _evaluate(ev, t, sample, variables, count, k, symbols):
    """Values of evaluator k; ``symbols`` caches on-site symbol values."""
    if isinstance(ev, dict):
        return evaluate(ev, variables)
    if isinstance(ev, Observable):
        return ev(variables, symbols)
    out = np.asarray(ev(t, sample))
    if out.shape != (count,):
        raise ValueError(f"e_ops callable {k} must return one value per "
                         f"trajectory (shape ({count},)), got shape "
                         f"{out.shape}")
    return out
