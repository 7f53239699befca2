"""The PIQS Dicke basis: sizes, labels and collective operators as matrices.

The basis of ``qutip.piqs`` for N emitters lists the blocks j = N/2, N/2 - 1,
..., (1/2 or 0), and inside each block m = j, j - 1, ..., -j.
"""

from functools import lru_cache

import numpy as np
import scipy.sparse as sp

__all__ = ["MAX_QOBJ_DIM", "num_dicke_states", "infer_num_emitters", "dicke_labels",
           "dicke_index",
           "collective_matrices", "monomial_exponents", "monomial_matrices"]

MAX_QOBJ_DIM = 2 ** 16  # largest Hilbert-space dimension to_qobj builds


def num_dicke_states(N):
    """Dimension of the Dicke basis for ``N`` emitters (as in PIQS)."""
    return (N // 2 + 1) * (N - N // 2 + 1)  # equals ((N/2+1)^2 rounded) PIQS


def infer_num_emitters(dim, name="operator"):
    """The emitter number N whose Dicke basis has dimension ``dim``.

    Raises
    ------
    ValueError
        If no N gives that dimension.
    """
    dim = int(dim)
    N = max(int(2 * np.sqrt(dim)) - 3, 1)
    while num_dicke_states(N) < dim:
        N += 1
    if num_dicke_states(N) != dim:
        raise ValueError(
            f"{name} has dimension {dim}, which is not the dimension of a "
            "PIQS Dicke basis (num_dicke_states(N) = 2, 4, 6, 9, 12, 16, ... "
            "for N = 1, 2, 3, ...); pass operators and states in the Dicke "
            "basis of qutip.piqs")
    return N


@lru_cache(maxsize=16)
def dicke_labels(N, spin=False):
    """Arrays ``(j, m)`` labelling each Dicke-basis index, PIQS ordering.

    ``spin=True``: the first block only, j = N/2 and m = j, ..., -j, the
    basis of ``qutip.jmat(N / 2)`` (N emitters in their symmetric subspace).
    """
    js, ms = [], []
    j = N / 2
    while j >= (N / 2 if spin else 0):
        for k in range(int(round(2 * j)) + 1):
            js.append(j)
            ms.append(j - k)
        j -= 1
    js = np.array(js)
    ms = np.array(ms)
    js.flags.writeable = False
    ms.flags.writeable = False
    return js, ms


def dicke_index(N, j, m):
    """Index of |j, m> in the PIQS Dicke basis of N emitters (arrays too).

    The block j = N/2 - k starts after k blocks of 2 j' + 1 states, at
    k (N + 1) - k (k - 1); inside it m = j, j - 1, ... follow.
    """
    k = np.rint(N / 2 - np.asarray(j)).astype(np.int64)
    return k * (N + 1) - k * (k - 1) + np.rint(
        np.asarray(j) - np.asarray(m)).astype(np.int64)


@lru_cache(maxsize=16)
def collective_matrices(N, spin=False):
    """Sparse CSR matrices ``(Jz, J+, J-)`` in the Dicke basis of N emitters
    (``spin=True``: of spin j = N/2, as ``qutip.jmat``)."""
    j, m = dicke_labels(N, spin)
    dim = len(j)
    jz = sp.diags(m.astype(complex), format="csr")
    # J+ |j, m> = sqrt(j(j+1) - m(m+1)) |j, m+1>; |j, m+1> is the index before.
    amp = np.sqrt(np.maximum(j * (j + 1) - m * (m + 1), 0.0))
    rows = np.arange(dim - 1)
    cols = np.arange(1, dim)
    same_block = j[rows] == j[cols]
    jp = sp.csr_matrix(
        (amp[cols][same_block].astype(complex),
         (rows[same_block], cols[same_block])), shape=(dim, dim))
    jm = jp.T.conj().tocsr()
    return jz, jp, jm


def monomial_exponents(max_degree=4):
    """Exponents ``(p, q, r)`` of the monomials J+^p Jz^q J-^r, by degree."""
    return [(p, q, d - p - q)
            for d in range(max_degree + 1)
            for p in range(d, -1, -1)
            for q in range(d - p, -1, -1)]


@lru_cache(maxsize=16)
def monomial_matrices(N, max_degree=4, spin=False):
    """Sparse matrices of J+^p Jz^q J-^r, in the order of monomial_exponents
    (``spin=True``: of spin j = N/2)."""
    jz, jp, jm = collective_matrices(N, spin)
    eye = sp.identity(jz.shape[0], dtype=complex, format="csr")

    def power(x, k):
        out = eye
        for _ in range(k):
            out = out @ x
        return out

    return tuple((power(jp, p) @ power(jz, q) @ power(jm, r)).tocsr()
                 for p, q, r in monomial_exponents(max_degree))
