"""Constant couplings between ensembles, split off the Hamiltonian.

Exchange terms J+_m J-_m' whose matrix is semiseparable go to running sums
(separable.py, O(M r) per step); other two-ensemble products of J+, Jz, J-
to one dense real symmetric matrix over the coupled variables (one
matrix-vector product per step); everything else stays symbolic.
"""

import numpy as np

from ..canonical import canonical_array
from ..operators import EnsembleOperator
from .separable import lower_generators

__all__ = ["MAX_DENSE_EXCHANGE", "split_couplings"]

# Largest number of coupled variables kept in the dense exchange matrix;
# beyond it, couplings stay sparse monomials (cost per pair, not per n^2).
MAX_DENSE_EXCHANGE = 3000
# The dense matrix also needs one entry in DENSE_MIN_FILL nonzero (a mode
# coupled to M ensembles fills 2 rows and columns of 2 M + 2: monomials).
DENSE_MIN_FILL = 10
# symbols of J+, J-, Jz on the variables (Sx, Sy, Sz): S+ = Sx + i Sy, ...;
# a mode's a and a^+ are its site's S+ and S- (operators/symbols.py)
_LETTER_VECTOR = {"+": np.array([1.0, 1j, 0.0]),
                  "-": np.array([1.0, -1j, 0.0]),
                  "z": np.array([0.0, 0.0, 1.0])}
_LETTER_VECTOR.update(a=_LETTER_VECTOR["+"], c=_LETTER_VECTOR["-"])


def split_couplings(op):
    """Split constant couplings of distinct sites off an operator.

    Returns (separable or None, exchange_var, exchange_mat, rest): the
    generators (U, V) of a semiseparable exchange, the dense coupling
    matrix over the variables ``exchange_var`` and the remaining operator.
    """
    ens = op.ensembles
    pairs, rest = [], {}
    for w, (idx, c) in sorted(op.terms.items()):
        cross = (idx[:, 0] != idx[:, 1]) if len(w) == 2 else \
            np.zeros(len(c), bool)
        if cross.any():
            pairs.append((w, idx[cross], c[cross]))
        if (~cross).any():
            rest[w] = (idx[~cross], c[~cross])
    rest = EnsembleOperator(ens, rest)
    separable, pairs = _separable_exchange(pairs, ens.M)
    if not pairs:
        return separable, np.zeros(0, np.int64), np.zeros((0, 0)), rest
    triples = []
    for w, idx, c in pairs:
        u, v = _LETTER_VECTOR[w[0]], _LETTER_VECTOR[w[1]]
        for k in range(3):
            for l in range(3):
                if u[k] * v[l]:
                    triples.append((4 * idx[:, 0] + k, 4 * idx[:, 1] + l,
                                    c * u[k] * v[l]))
    rows = np.concatenate([t[0] for t in triples])
    cols = np.concatenate([t[1] for t in triples])
    used, inverse = np.unique(np.concatenate([rows, cols]),
                              return_inverse=True)
    n = len(rows)
    B = np.zeros((len(used), len(used)), dtype=complex) \
        if len(used) <= MAX_DENSE_EXCHANGE else None
    if B is not None:
        np.add.at(B, (inverse[:n], inverse[n:]),
                  np.concatenate([t[2] for t in triples]))
    if B is None or np.count_nonzero(B + B.T) * DENSE_MIN_FILL < B.size:
        for w, idx, c in pairs:     # keep them as sparse monomials
            rest = rest + EnsembleOperator(ens, {w: (idx, c)})
        return separable, np.zeros(0, np.int64), np.zeros((0, 0)), rest
    G = B + B.T
    scale = max(np.abs(G).max(), 1e-300)
    if np.abs(G.imag).max() > 1e-9 * scale:
        raise ValueError("H is not Hermitian: its couplings between "
                         "ensembles have an imaginary Weyl symbol "
                         f"(relative size {np.abs(G.imag).max() / scale:.2e})")
    return separable, used.astype(np.int64), canonical_array(G.real), rest


def _separable_exchange(pairs, M):
    """Generators of the S+_m S-_m' pairs if semiseparable; other pairs."""
    A = np.zeros((M, M), complex)
    others = []
    for w, idx, c in pairs:
        if w == "+-":
            np.add.at(A, (idx[:, 0], idx[:, 1]), c)
        elif w == "-+":
            np.add.at(A, (idx[:, 1], idx[:, 0]), c)
        else:
            others.append((w, idx, c))
    scale = np.abs(A).max(initial=0.0)
    if scale == 0 or np.abs(A - A.conj().T).max() > 1e-12 * scale:
        return None, pairs
    generators = lower_generators(A)
    return (None, pairs) if generators is None else (generators, others)
