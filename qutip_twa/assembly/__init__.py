"""Model building: from operators on ``Ensembles`` to what the engine runs.

``build`` builds the ``Model`` (jump rows, Hamiltonian symbols, time
coefficients); ``couplings`` and ``separable`` split the couplings between
ensembles into a dense matrix or running sums; ``stepping`` plans the steps;
``sampling`` turns the initial state into the sampler's tables.
"""

from .build import Model, build_model
from .sampling import INITIAL_SAMPLINGS, sampling_tables
from .stepping import Stepping

__all__ = ["Model", "build_model", "Stepping", "INITIAL_SAMPLINGS",
           "sampling_tables"]
