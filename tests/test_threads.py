"""The thread spreading of a batch's rows (engine/threads.py)."""

import threading

import numba
import pytest

from qutip_twa.engine.threads import over_rows


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n_rows, group", [(0, 1), (1, 1), (7, 1),
                                           (1000, 1), (12, 4), (30, 3)])
def test_blocks_cover_every_row_once_and_keep_groups_whole(threads, n_rows,
                                                           group):
    seen = []
    lock = threading.Lock()

    def kernel(lo, hi):
        with lock:
            seen.append((lo, hi))

    old = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        over_rows(kernel, n_rows, group)
    finally:
        numba.set_num_threads(old)
    rows = sorted(r for lo, hi in seen for r in range(lo, hi))
    assert rows == list(range(n_rows // group * group))
    assert all(lo % group == 0 and hi % group == 0 for lo, hi in seen)


def test_a_failing_block_raises_after_every_block_finished():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs two threads")
    finished = []

    def kernel(lo, hi):
        if lo == 0:
            raise ValueError("block 0")
        threading.Event().wait(0.2)
        finished.append(lo)

    old = numba.get_num_threads()
    numba.set_num_threads(2)
    try:
        with pytest.raises(ValueError, match="block 0"):
            over_rows(kernel, 10)
    finally:
        numba.set_num_threads(old)
    assert finished == [5]
