"""qutip-twa: truncated Wigner simulation of emitter ensembles for QuTiP."""

__version__ = "0.1.0"

from . import models
from .comparison import Comparison, compare, plot_comparison
from .operators import EnsembleOperator, Ensembles
from .result import TwaResult
from .sample import PhaseSpaceSample
from .solver import twasolve
from .states import ProductState

__all__ = ["twasolve", "TwaResult", "PhaseSpaceSample", "Ensembles",
           "EnsembleOperator", "ProductState", "models", "compare", "plot_comparison",
           "Comparison", "__version__"]
