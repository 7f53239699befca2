"""Rows of a batch across numba's threads, through a Python thread pool.

The row kernels release the GIL (``nogil=True``), so Python threads run
them in parallel.  This replaces numba's parallel loops, whose compilation
costs seconds per kernel on a fresh install, with the same schedule: one
contiguous block of rows per thread, ``numba.get_num_threads()`` threads
(so ``numba.set_num_threads`` and the solver's ``num_cpus`` keep their
meaning).  Rows are independent, so results do not depend on the split.
"""

import concurrent.futures
import os

import numba

__all__ = ["over_rows"]

_pool = {}


def _executor(threads):
    """This process's pool of ``threads`` workers (a forked child builds
    its own: the parent's threads do not exist there)."""
    key = (os.getpid(), threads)
    if key not in _pool:
        for old in _pool.values():
            old.shutdown(wait=False)
        _pool.clear()
        _pool[key] = concurrent.futures.ThreadPoolExecutor(
            threads, thread_name_prefix="qutip_twa")
    return _pool[key]


def over_rows(kernel, n_rows, group=1):
    """Call ``kernel(lo, hi)`` on blocks covering rows 0 .. n_rows - 1.

    Block edges are multiples of ``group`` (rows a block must not split);
    one block per thread, the first on the calling thread.  Every block has
    finished when this returns or raises.
    """
    n_groups = n_rows // group
    threads = max(1, min(numba.get_num_threads(), n_groups))
    edges = [n_groups * k // threads * group for k in range(threads + 1)]
    if threads == 1:
        kernel(0, edges[-1])
        return
    pool = _executor(threads - 1)
    futures = [pool.submit(kernel, lo, hi)
               for lo, hi in zip(edges[1:-1], edges[2:])]
    try:
        kernel(edges[0], edges[1])
    finally:
        concurrent.futures.wait(futures)
    for future in futures:
        future.result()
