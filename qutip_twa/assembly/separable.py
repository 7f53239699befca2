"""Couplings with a low-rank lower triangle, applied in O(M) per step.

Waveguide and resonator-chain couplings such as A[m, m'] = sin(phi |m - m'|)
are dense but *semiseparable*: below the diagonal A[m, m'] = sum_k U[m, k]
V[m', k] for a small rank r (r = 2 for a sine).  With A Hermitian, A x is then
two running sums over the chain, O(M r) instead of O(M^2).
"""

import numpy as np

__all__ = ["lower_generators", "from_generators"]

MAX_RANK = 8        # larger ranks are not worth it over a dense product
_RTOL = 1e-12       # singular values and reconstruction, relative to max|A|


def lower_generators(A):
    """(U, V) with A[m, m'] = U[m] . V[m'] for every m > m', or None.

    ``A`` is a square complex matrix; None when its strictly lower triangle
    has no such representation of rank <= MAX_RANK (checked entry by entry).
    """
    M = A.shape[0]
    scale = np.abs(A).max(initial=0.0)
    if M < 4 or scale == 0:
        return None
    half = M // 2
    u, s, vh = np.linalg.svd(A[half:, :half])
    r = int(np.sum(s > _RTOL * scale * M))
    if r == 0 or r > MAX_RANK:
        return None
    U = np.zeros((M, r), complex)
    V = np.zeros((M, r), complex)
    U[half:] = u[:, :r] * s[:r]
    V[:half] = vh[:r].T
    for m in range(1, half):            # rows above the block: fit to V
        U[m] = np.linalg.lstsq(V[:m], A[m, :m], rcond=None)[0]
    for m in range(half, M - 1):        # columns right of it: fit to U
        V[m] = np.linalg.lstsq(U[m + 1:], A[m + 1:, m], rcond=None)[0]
    lower = np.tril(np.ones((M, M), bool), -1)
    if np.abs((U @ V.T - A)[lower]).max() > _RTOL * 100 * scale:
        return None
    return U, V


def from_generators(U, V):
    """The Hermitian matrix with zero diagonal and lower triangle U V^T."""
    L = np.tril(U @ V.T, -1)
    return L + L.conj().T
