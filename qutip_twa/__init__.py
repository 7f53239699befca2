"""qutip-twa: truncated Wigner simulation of emitter ensembles for QuTiP."""

__version__ = "0.1.0"

from . import models
from .comparison import Comparison, compare, plot_comparison
from .correlation import (coherence_function_g1, coherence_function_g2,
                          correlation_2op_1t, correlation_2op_2t,
                          correlation_3op_1t, correlation_3op_2t)
from .diagnostics import TwaFaultWarning, TwaValidityWarning
from .operators import EnsembleOperator, Ensembles, ProductState
from .results import PhaseSpaceSample, TwaResult
from .solver import TwaSolver, steadystate_expect, twasolve
from .spectrum import spectrum
from .steady import SteadyStateResult
from .two_time import CorrelationResult

__all__ = ["twasolve", "TwaSolver", "steadystate_expect",
           "SteadyStateResult", "correlation_2op_1t", "correlation_2op_2t",
           "correlation_3op_1t", "correlation_3op_2t",
           "coherence_function_g1", "coherence_function_g2", "spectrum",
           "CorrelationResult",
           "TwaResult", "PhaseSpaceSample",
           "Ensembles", "EnsembleOperator", "ProductState", "models",
           "compare", "plot_comparison", "Comparison", "TwaFaultWarning",
           "TwaValidityWarning", "__version__"]
