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

from ..assembly import Stepping
from ..diagnostics import (J_MARGIN, J_MARGIN_FRACTION, dark_edges,
                           edge_occupation)
from ..engine import EngineModel, SamplingTables, kernels
from ..engine.rng import seed_streams
from ..operators.symbols import phase_variables
from ..results import ExpectOps, PhaseSpaceSample

__all__ = ["BLOCK", "BATCH_VALUES_BYTES", "Block", "BatchJob",
           "BatchOutput", "split_blocks", "start_batch", "value_sums"]

BLOCK = 256  # trajectories per reduction block; batches are multiples of it
# A batch holds every e_op value of its trajectories at every output time;
# batches shrink (by whole blocks) to keep that below this many bytes.
BATCH_VALUES_BYTES = 2 ** 28


@dataclass
class Block:
    """BLOCK consecutive trajectories of a batch (fewer at its end).

    ``ran`` trajectories were run, of which ``excluded`` became faulty;
    ``faults`` counts the faulty ones per output time, ``steps`` the steps
    taken; ``sums`` holds the keyword arguments of ``TwaResult.add_block``
    for the kept ones (None when none is kept).
    """
    ran: int
    faults: np.ndarray
    excluded: int
    steps: int
    sums: dict = None


@dataclass
class BatchOutput:
    """The blocks of one batch, in trajectory order."""
    blocks: list = field(default_factory=list)


@dataclass
class BatchJob:
    """Everything a batch needs: the engine's model and initial state, the
    stepping, times, e_ops and options.  ``model`` holds the time
    coefficients on ``stepping.grid``."""
    key: np.ndarray
    model: EngineModel
    init: SamplingTables
    stepping: Stepping
    tlist: np.ndarray
    e_ops: ExpectOps
    J_limit: np.ndarray
    exclude_faults: bool
    keep_runs: bool
    store_final_state: bool
    store_states: bool = False
    threads: int = 0  # 0: leave numba's setting alone

    def largest_batch(self):
        """Trajectories per batch whose e_op values (and stored states)
        fit BATCH_VALUES_BYTES."""
        per_time = 16 * max(len(self.e_ops), 1)
        if self.store_states:
            per_time += 32 * len(self.J_limit)
        per_traj = per_time * len(self.tlist)
        return max(BLOCK, BATCH_VALUES_BYTES // per_traj // BLOCK * BLOCK)

    def __call__(self, first, count):
        M = len(self.J_limit)
        n_ensembles = M - self.model.n_modes
        N = self.model.n_emitters[:n_ensembles]
        rng, a, b = start_batch(self.key, self.init, M, first, count,
                                self.threads)
        nt = len(self.tlist)
        values = np.empty((len(self.e_ops), count, nt), dtype=complex)
        below = np.zeros((count, nt), dtype=bool)
        excess = np.zeros((count, nt))
        edges = dark_edges(self.model)
        edge = np.zeros((count, nt)) if edges.any() else None
        faulty = np.zeros(count, dtype=bool)
        faulty_at = np.zeros((count, nt), dtype=bool)
        rate = np.full(count, -1.0)
        steps = np.zeros(count, dtype=np.int64)
        history = np.empty((2, count, nt, M), dtype=complex) \
            if self.store_states else None
        for i, t in enumerate(self.tlist):
            if i:
                self.stepping.advance(a, b, rng, self.tlist, i, rate, steps,
                                      self.model)
            with np.errstate(all="ignore"):  # faulty ones are dropped
                variables = phase_variables(a, b)
                J = variables[:, 3::4] - 0.5
                faulty |= ~np.isfinite(variables).all(axis=1) \
                    | np.any(J > self.J_limit, axis=1)
                J = J[:, :n_ensembles]
            faulty_at[:, i] = faulty
            if faulty.any() and not self.exclude_faults:
                raise FloatingPointError(
                    f"{faulty.sum()} of {count} trajectories became "
                    f"non-finite or left the physical range (J > N/2 + "
                    f"{J_MARGIN:g} + {J_MARGIN_FRACTION:g} N) by t = {t:g}; try "
                    f"{self.stepping.hint}, or set "
                    "options['faults'] = 'exclude' to drop them")
            below[:, i] = np.min(J, axis=1) < 1.0
            excess[:, i] = np.sum(J - 0.5 * N, axis=1)
            if edge is not None:
                with np.errstate(all="ignore"):
                    edge[:, i] = edge_occupation(variables, edges)
            if history is not None:
                history[0, :, i], history[1, :, i] = a, b
            sample = PhaseSpaceSample(a, b)
            quiet = np.errstate(all="ignore") if faulty.any() else \
                contextlib.nullcontext()
            with quiet:
                self.e_ops.values(t, sample, variables, values[:, :, i])
            _check_finite(values[:, ~faulty, i], self.e_ops.keys, t)
        return split_blocks(
            faulty, faulty_at, steps,
            lambda rows: self._sums(values, below, excess, edge, a, b,
                                    history, rows))

    def _sums(self, values, below, excess, edge, a, b, history, rows):
        """``TwaResult.add_block`` arguments of the trajectories ``rows``."""
        diagnostics = {"J_below_1": below[rows].sum(axis=0)}
        for name, value in (("J_excess", excess), ("edge_occupation", edge)):
            if value is not None:
                diagnostics[name] = value[rows].sum(axis=0)
                diagnostics[name + "_sq"] = (value[rows] ** 2).sum(axis=0)
        return dict(
            **value_sums(values, rows, self.keep_runs),
            diagnostics=diagnostics,
            final_state=({"a": a[rows], "b": b[rows]}
                         if self.store_final_state else None),
            states=(None if history is None else
                    {"a": history[0, rows], "b": history[1, rows]}))


def value_sums(values, rows, keep_runs):
    """Sums, squared moduli and (``keep_runs``) the values themselves of
    the trajectories ``rows`` of ``values`` (n_eops, count, n_times)."""
    blk = values[:, rows, :]
    return dict(sums=blk.sum(axis=1), sumsq=(np.abs(blk) ** 2).sum(axis=1),
                count=len(rows), runs=blk if keep_runs else None)


def split_blocks(faulty, faulty_at, steps, sums_of):
    """The ``BatchOutput`` of a batch: BLOCK trajectories a block, the
    faulty ones (``faulty``, by output time ``faulty_at``) counted and left
    out; ``sums_of(rows)`` gives the ``add_block`` arguments of the kept
    ``rows``."""
    out = BatchOutput()
    for lo in range(0, len(faulty), BLOCK):
        part = slice(lo, lo + BLOCK)
        rows = lo + np.flatnonzero(~faulty[part])
        out.blocks.append(Block(
            ran=len(faulty[part]), faults=faulty_at[part].sum(axis=0),
            excluded=int(faulty[part].sum()), steps=int(steps[part].sum()),
            sums=sums_of(rows) if len(rows) else None))
    return out


def start_batch(key, init, M, first, count, threads=0):
    """Random streams and initial amplitudes (rng, a, b) of trajectories
    first .. first + count - 1 of M ensembles, sampled from ``init``; sets
    numba's threads first where ``threads`` > 0 (worker processes)."""
    if threads:
        numba.set_num_threads(int(min(threads,
                                      numba.config.NUMBA_NUM_THREADS)))
    rng = np.empty((count, 4), dtype=np.uint64)
    seed_streams(key, first, count, rng)
    a = np.empty((count, M), dtype=complex)
    b = np.empty((count, M), dtype=complex)
    kernels.sample_initial(rng, a, b, init)
    return rng, a, b


def _check_finite(values, keys, t):
    """ValueError if an e_op gave a non-finite value on a healthy trajectory
    (only a callable can: symbols of finite variables are finite)."""
    bad = ~np.isfinite(values).all(axis=1)
    if bad.any():
        key = keys[int(np.flatnonzero(bad)[0])]
        raise ValueError(f"e_ops[{key!r}] gave a non-finite value at t = "
                         f"{t:g} on a trajectory whose variables are finite")
