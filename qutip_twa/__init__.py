"""qutip-twa: truncated Wigner simulation of emitter ensembles for QuTiP."""

__version__ = "0.1.0"

from . import models
from .operators import EnsembleOperator, Ensembles
from .result import TwaResult
from .sample import PhaseSpaceSample
from .solver import twasolve
from .states import ProductState

__all__ = ["twasolve", "TwaResult", "PhaseSpaceSample", "Ensembles",
           "EnsembleOperator", "ProductState", "models", "__version__"]
