"""Sending batches of trajectories to threads or processes.

With the "parallel" and "serial" maps the batches run here, one after
another, each on numba threads; with "loky" and "mpi" a round of
``num_cpus`` batches at a time goes to QuTiP's process map, and the outputs
are added in trajectory order, so the result is the same.

Batches hold about an eighth of the trajectories (at least 256 per thread,
at most ``options["batch_size"]``), so that a timeout or Ctrl-C returns
partial results by default.  The result's end condition is checked after
every block of 256 trajectories, in trajectory order, so a run stopped by
``target_tol`` ends at the same trajectory whatever the batch size.
"""

import contextlib
import time

import numba
import numpy as np
import qutip
from qutip.solver.parallel import loky_pmap, mpi_pmap
from qutip.ui.progressbar import progress_bars

from ..diagnostics import edge_return_time, warn_if_unreliable
from .batches import BLOCK

__all__ = ["PROCESS_MAPS", "BATCHES_PER_RUN", "Runner"]

# Maps that spread batches over processes (QuTiP's), by option name.
PROCESS_MAPS = {"loky": loky_pmap, "mpi": mpi_pmap}
BATCHES_PER_RUN = 8  # a run is split in about this many batches


class Runner:
    """Runs the batches of a ``BatchJob`` into a ``TwaResult``.

    Parameters
    ----------
    job : BatchJob
    options : dict
        The validated solver options (map, num_cpus, threads_per_worker,
        mpi_options, batch_size, progress_bar, progress_kwargs).
    """

    def __init__(self, job, options):
        self.job, self.opts = job, options
        self.faults = np.zeros(len(job.tlist), dtype=np.int64)
        self.excluded = 0
        self.total_steps = 0
        self.done = 0

    def run(self, result, ntraj):
        """Add batches to ``result`` until its end condition holds.

        KeyboardInterrupt after at least one batch keeps the batches
        finished so far (end condition "interrupted").
        """
        opts = self.opts
        processes = opts["map"] in PROCESS_MAPS
        workers = _num_workers(opts, processes)
        threads = numba.get_num_threads()
        if processes:
            self.job.threads = opts["threads_per_worker"]
        else:
            numba.set_num_threads(workers)
        batch = _batch_size(ntraj, workers, opts["batch_size"],
                            self.job.largest_batch())
        bar = progress_bars[opts["progress_bar"] or ""](
            ntraj, **opts["progress_kwargs"])
        start = time.time()
        end = None
        try:
            while end is None:
                done = self.done
                firsts = range(done, min(ntraj, done + batch *
                                         (workers if processes else 1)),
                               batch)
                counts = [min(batch, ntraj - f) for f in firsts]
                for output in self._map(list(zip(firsts, counts)), workers):
                    end = self._add(result, output, bar)
                    if end:
                        break
                end = end or result.end_condition(self.done)
        except KeyboardInterrupt:
            if result.num_trajectories == 0:
                raise
            end = "interrupted"  # keep the batches finished so far
        finally:
            numba.set_num_threads(threads)
            bar.finished()
        result.stats["run time"] = time.time() - start
        result.stats["end_condition"] = end
        result.stats["steps"] = self.total_steps / max(self.done, 1)
        result.stats["faulty_trajectories"] = self.faults.copy()
        result.stats["excluded_trajectories"] = self.excluded
        if "mean_edge_occupation" in result.stats:
            result.stats["edge_return_time"] = edge_return_time(self.job.model)
        warn_if_unreliable(result, self.excluded, self.done,
                           self.job.stepping.hint)

    def _map(self, batches, workers):
        """BatchOutputs of (first, count) pairs, in their order."""
        name = self.opts["map"]
        if name not in PROCESS_MAPS:
            return [self.job(first, count) for first, count in batches]
        map_kw = {"num_cpus": workers, "fail_fast": True}
        if name == "mpi":
            map_kw.update(self.opts["mpi_options"])
            _load_loky_resource_tracker()
        return PROCESS_MAPS[name](_run_batch, batches, task_args=(self.job,),
                                  map_kw=map_kw)

    def _add(self, result, output, bar):
        """Add a batch's blocks in order until an end condition other than
        the timeout holds (returned; None if none does)."""
        for block in output.blocks:
            if block.sums is not None:
                result.add_block(**block.sums)
            self.faults += block.faults
            self.excluded += block.excluded
            self.total_steps += block.steps
            self.done += block.ran
            for _ in range(block.ran):
                bar.update()
            end = result.end_condition(self.done, clock=False)
            if end:
                return end
        return None


def _load_loky_resource_tracker():
    """Import the submodule that qutip's mpi_pmap expects on ``loky.backend``.

    mpi_pmap stops loky's resource tracker when loky is installed, but reads
    ``loky.backend.resource_tracker`` without importing it (AttributeError
    with loky 3.7 unless some other code imported it first).
    """
    with contextlib.suppress(ImportError):
        import loky.backend.resource_tracker  # noqa: F401


def _run_batch(batch, job):
    """Task of the process maps: one batch (first, count) of ``job``."""
    return job(*batch)


def _batch_size(ntraj, workers, largest, memory_bound):
    """Trajectories per batch: about ntraj / BATCHES_PER_RUN (ntraj /
    workers for process maps, so every worker gets one), at least BLOCK per
    worker or thread, at most ``largest`` and the memory bound."""
    want = -(-ntraj // max(BATCHES_PER_RUN, workers))
    want = max(BLOCK * -(-want // BLOCK), BLOCK * workers)
    return max(BLOCK, min(want, largest, memory_bound))


def _num_workers(opts, processes):
    """Worker processes (process maps) or numba threads (the others)."""
    if opts["map"] == "serial":
        return 1
    if opts["num_cpus"]:
        want = int(opts["num_cpus"])
    elif processes:
        want = int(qutip.settings.num_cpus)
    else:
        want = numba.config.NUMBA_NUM_THREADS
    return want if processes else min(want, numba.config.NUMBA_NUM_THREADS)
