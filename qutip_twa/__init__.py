"""qutip-twa: truncated Wigner simulation of emitter ensembles for QuTiP."""

__version__ = "0.1.0"

from . import models
from .comparison import Comparison, compare, plot_comparison
from .diagnostics import TwaFaultWarning, TwaValidityWarning
from .operators import EnsembleOperator, Ensembles, ProductState
from .results import PhaseSpaceSample, TwaResult
from .solver import TwaSolver, steadystate_expect, twasolve
from .steady import SteadyStateResult

__all__ = ["twasolve", "TwaSolver", "steadystate_expect",
           "SteadyStateResult", "TwaResult", "PhaseSpaceSample",
           "Ensembles", "EnsembleOperator", "ProductState", "models",
           "compare", "plot_comparison", "Comparison", "TwaFaultWarning",
           "TwaValidityWarning", "__version__"]
