"""qutip-twa: truncated Wigner simulation of emitter ensembles for QuTiP."""

__version__ = "0.1.0"

from .result import TwaResult
from .sample import PhaseSpaceSample
from .solver import twasolve

__all__ = ["twasolve", "TwaResult", "PhaseSpaceSample", "__version__"]
