"""Running trajectories: batches and the maps that spread them.

``batches`` runs one batch of trajectories (picklable, so a worker process
can run it) and reduces it to block sums; ``runner`` sends batches to
numba threads or QuTiP's process maps until the result's end condition.
"""

from .batches import BATCH_VALUES_BYTES, BLOCK, BatchJob, BatchOutput
from .runner import PROCESS_MAPS, Runner

__all__ = ["BLOCK", "BATCH_VALUES_BYTES", "BatchJob", "BatchOutput",
           "Runner", "PROCESS_MAPS"]
