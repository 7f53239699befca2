"""The numba engine: Stratonovich Heun steps and per-trajectory random streams.

``contract`` names what the kernels take (``EngineModel``,
``SamplingTables``); ``kernels`` advances trajectories; ``rng`` gives each
trajectory a stream that depends only on the root seed and its index;
``threads`` spreads a batch's rows over threads.
"""

from .contract import (DEPHASING, EMISSION, LOCAL_PROCESSES, PUMPING,
                       EngineModel, SamplingTables)

__all__ = ["LOCAL_PROCESSES", "EMISSION", "PUMPING", "DEPHASING",
           "EngineModel", "SamplingTables"]
