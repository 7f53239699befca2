"""Input translation: QuTiP and PIQS objects into operators on ``Ensembles``.

``collective`` identifies Dicke-basis and tensor-product ``Qobj``s as
polynomials in J+, Jz, J-; ``liouvillian`` splits a PIQS Liouvillian into H
and the six PIQS rates; ``inputs`` reads every argument of ``twasolve`` into
a ``System`` on one ``Ensembles``; ``spaces`` finds that ``Ensembles``
and whether one-space ``Qobj``s are in the Dicke basis or spin-j.
"""

from .inputs import System, translate_e_ops, translate_state, translate_system
from .spaces import find_ensembles

__all__ = ["System", "find_ensembles", "translate_system", "translate_state",
           "translate_e_ops"]
