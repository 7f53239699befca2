"""Operators and states of M ensembles, and their Weyl symbols.

``dicke`` is the PIQS Dicke basis; ``symbols`` the exact Weyl symbols of
collective operators (Moyal product on the Schwinger modes); ``ensembles``
the symbolic collective operators of several ensembles; ``states`` the
initial states the sampler draws from.
"""

from .ensembles import EnsembleOperator, Ensembles
from .states import InitialState, ProductState

__all__ = ["Ensembles", "EnsembleOperator", "ProductState", "InitialState"]
