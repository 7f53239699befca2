"""Results: e_ops on trajectories, phase-space samples, ``TwaResult``.

``expect`` evaluates a run's e_ops on a batch of trajectories; ``sample``
is what callable e_ops see; ``result`` keeps trajectory statistics as block
sums, owns the stopping rules and merges runs.
"""

from .expect import ExpectOps, Observable, e_ops_dict
from .result import TwaResult
from .sample import PhaseSpaceSample

__all__ = ["TwaResult", "ExpectOps", "Observable", "PhaseSpaceSample",
           "e_ops_dict"]
