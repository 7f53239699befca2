"""Split a PIQS Liouvillian into a collective Hamiltonian and PIQS rates.

A Liouvillian of ``qutip.piqs.Dicke`` is ``-i[H, .]`` plus the six PIQS
dissipators (local and collective emission, dephasing and pumping), all in
the Dicke basis. :func:`decompose_liouvillian` recovers the rates and ``H``
(as a polynomial of degree <= 4 in J+, Jz, J-) by linear least squares on the
action of the superoperator on a few fixed random probe matrices.

Notes
-----
PIQS builds its Lindbladian in single precision (its rates and matrix
elements are C ``float``), so ``Dicke(N, emission=0.3).lindbladian()`` equals
``0.3 * Dicke(N, emission=1.0).lindbladian()`` only to about 1e-7. The fit is
therefore accepted up to a relative residual of ``RESIDUAL_TOL = 1e-6``,
coefficients below the noise level of the fit are set to zero, and rates and
Hamiltonian coefficients are rounded to ``PIQS_DIGITS = 6`` significant digits
(float32 carries about 7), so PIQS's 0.30000001192... comes back as 0.3 and a
Liouvillian gives the same simulation as the ``Dicke`` object it came from.
"""

from functools import lru_cache
from math import isqrt

import numpy as np
import qutip
import scipy.sparse as sp
from qutip import piqs

from ..canonical import canonical
from ..operators.dicke import (collective_matrices, dicke_labels,
                               infer_num_emitters, monomial_matrices)

__all__ = ["RATE_NAMES", "decompose_liouvillian"]

RATE_NAMES = ("emission", "dephasing", "pumping", "collective_emission",
              "collective_dephasing", "collective_pumping")
# ordered pairs (a, b) of (J-, Jz, J+) for the cross terms of the dissipator
_CROSS = [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
RESIDUAL_TOL = 1e-6   # PIQS matrix elements carry float32 rounding (~6e-8)
_DEPENDENCE_TOL = 1e-6  # normalised column residual counted as dependent
_NUM_PROBES = 3         # probes for the fit; one more validates it
_SKETCH_COLUMNS = 8     # each d x d output Y is compressed to Y @ V, V d x 8
_SEED = 12345
PIQS_DIGITS = 6         # significant digits of recovered rates and H


@lru_cache(maxsize=16)
def _piqs_generators(N, names=RATE_NAMES[:3]):
    """CSR matrices of PIQS dissipators at unit rate (default: the local
    ones)."""
    return tuple(piqs.Dicke(N, **{rate: 1.0}).lindbladian().to("csr")
                 .data.as_scipy().tocsr() for rate in names)


def _generator_actions(N, X):
    """The fifteen dissipators applied to X, as d x d matrices.

    First the six unit-rate PIQS dissipators of ``RATE_NAMES``: the local
    ones with the PIQS matrices, the collective D[c], c = J-, Jz, J+, after
    projecting X on the j-diagonal blocks (PIQS drops coherences between
    blocks).  Then the nine terms A_a X A_b^+ - {A_b^+ A_a, X}/2 of the
    collective operators (A_a, A_b) without that projection, the diagonal
    ones and then ``_CROSS``: the dissipator sum_ab K_ab of any jumps linear
    in J-, Jz, J+, as ``qutip.liouvillian`` or ``lindblad_dissipator``
    build it.  On the block-diagonal states PIQS represents, both forms of
    D[c] act alike.
    """
    d = X.shape[0]
    x = X.ravel(order="F")  # qutip vectorisation: column stacking
    out = [(G @ x).reshape(d, d, order="F") for G in _piqs_generators(N)]
    j = dicke_labels(N)[0]
    Xb = np.where(j[:, None] == j[None, :], X, 0)
    ops = _collective_ops(N)
    for a, b, Y in [(0, 0, Xb), (1, 1, Xb), (2, 2, Xb)] + [
            (a, b, X) for a, b in [(0, 0), (1, 1), (2, 2)] + _CROSS]:
        out.append(_dissipator_term(ops[a], ops[b], Y))
    return out


def _dissipator_term(A, B, X):
    """A X B^+ - {B^+ A, X}/2 for sparse A, B and a dense X."""
    bda = (B.conj().T @ A).tocsr()
    return A @ (B.conj() @ X.T).T - 0.5 * (bda @ X + (bda.T @ X.T).T)


def _collective_ops(N, spin=False):
    """(J-, Jz, J+) in the Dicke basis (``spin``: of spin j = N/2), the
    order of the collective rates."""
    jz, jp, jm = collective_matrices(N, spin)
    return jm, jz, jp


def _superoperator_matrix(L, name):
    """The matrix of ``L`` as scipy CSR, after checking it is a superoperator."""
    accepted = ("a qutip.Qobj superoperator in the Dicke basis of qutip.piqs, "
                "e.g. piqs.Dicke(N, ...).liouvillian()")
    if not isinstance(L, qutip.Qobj):
        raise TypeError(f"{name} must be {accepted}; got {type(L).__name__}")
    if not L.issuper:
        raise TypeError(f"{name} must be {accepted}; got a Qobj of type "
                        f"{L.type!r}")
    if L.superrep not in (None, "super"):
        raise ValueError(f"{name} must be {accepted} in the 'super' "
                         f"representation; got superrep={L.superrep!r}")
    rows, cols = L.shape
    d = isqrt(rows)
    if rows != cols or d * d != rows:
        raise ValueError(f"{name} must be {accepted}, a square matrix of "
                         f"shape (d**2, d**2); got shape {L.shape}")
    return L.to("csr").data.as_scipy().tocsr(), d


def _commutator(M, X):
    """-i[M, X] for a sparse M and a dense X."""
    return -1j * (M @ X - (M.T @ X.T).T)


def _sketched_fit(mat, d, columns):
    """The fit's linear system from the action of ``mat`` on random probes.

    ``columns(X, V)`` gives, for a probe X, every column's action Y on X
    as the sketch (Y @ V).ravel().  Returns (A, b, norms, probes): the
    design matrix with unit-norm columns, the right-hand side, the column
    norms, and the probes (X, L X), the last of which only validates.
    """
    rng = np.random.default_rng(_SEED)
    k = min(d, _SKETCH_COLUMNS)
    probes, blocks, rhs = [], [], []
    for p in range(_NUM_PROBES + 1):
        X = rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))
        X = np.asfortranarray(X)  # so that vec(X) = X.ravel("F") is a view
        LX = (mat @ X.ravel(order="F")).reshape(d, d, order="F")
        probes.append((X, LX))
        if p == _NUM_PROBES:
            break  # the last probe only validates the fit
        V = rng.standard_normal((d, k)) + 1j * rng.standard_normal((d, k))
        blocks.append(np.column_stack(columns(X, V)))
        rhs.append((LX @ V).ravel())
    A, b = np.vstack(blocks), np.concatenate(rhs)
    norms = np.linalg.norm(A, axis=0)
    return A / np.where(norms > 0, norms, 1.0), b, norms, probes


def _solve(A, b, norms, keep):
    """Least-squares coefficients of the columns ``keep`` (0 elsewhere)."""
    sol, *_ = np.linalg.lstsq(A[:, keep], b, rcond=None)
    coef = np.zeros(A.shape[1], dtype=complex)
    coef[keep] = sol / norms[keep]
    return coef


def _relative_residual(probes, fitted):
    """(||L X - fitted(X)|| / ||L X|| over all probes, ||L X||^2): the fit
    checked on the full, unsketched action."""
    err = ref = 0.0
    for X, LX in probes:
        err += np.linalg.norm(LX - fitted(X)) ** 2
        ref += np.linalg.norm(LX) ** 2
    return (np.sqrt(err / ref) if ref > 0 else np.sqrt(err)), ref


def _independent(A, tol):
    """Indices of the columns of A kept by greedy Gram-Schmidt, in order."""
    A = np.asfortranarray(A)  # contiguous columns
    basis = np.empty_like(A)
    keep = []
    for i in range(A.shape[1]):
        a = A[:, i].copy()
        Q = basis[:, :len(keep)]
        for _ in range(2):  # re-orthogonalise once for stability
            a -= Q @ (a.conj() @ Q).conj()
        norm = np.linalg.norm(a)
        if norm > tol:
            basis[:, len(keep)] = a / norm
            keep.append(i)
    return keep


def decompose_liouvillian(L, N=None, name="H"):
    """Rates, collective jumps and Hamiltonian of a Liouvillian in the Dicke
    basis.

    Finds real nonnegative rates, collective jumps L_k linear in J-, Jz, J+
    and a Hermitian ``H``, a polynomial of degree <= 4 in the collective
    operators, such that on the states PIQS represents (block diagonal in
    j) ``L = sum(rate * piqs.Dicke(N, **{key: 1}).lindbladian())
    + sum_k D[L_k] - i[H, .]``: a PIQS Liouvillian, or one built the
    generic QuTiP way (``qutip.liouvillian(H, [J-])``,
    ``qutip.lindblad_dissipator(Jx)``).  Jumps that are single collective
    operators are returned as the PIQS collective rates.

    Parameters
    ----------
    L : qutip.Qobj
        Superoperator in the PIQS Dicke basis, e.g.
        ``piqs.Dicke(N, hamiltonian=..., emission=...).liouvillian()``,
        ``.lindbladian()``, or ``.lindbladian() + qutip.liouvillian(H)``.
    N : int, optional
        Number of emitters; inferred from the dimension if omitted.
    name : str, default "H"
        Name of the argument, used in error messages.

    Returns
    -------
    H : qutip.Qobj or None
        Hermitian Hamiltonian in the Dicke basis (dims ``[[d], [d]]``), or
        None if ``L`` has no Hamiltonian part. It is fixed up to a multiple
        of the identity, which drops out of ``-i[H, .]``.
    rates : dict
        Floats for the keys of ``RATE_NAMES``: "emission", "dephasing",
        "pumping", "collective_emission", "collective_dephasing",
        "collective_pumping".
    jumps : list of (c_minus, c_plus, c_z)
        Further collective jumps c_minus J- + c_plus J+ + c_z Jz (square
        roots of their rates included); empty unless the dissipator mixes
        J-, Jz, J+ (e.g. D[Jx]), in which case the collective rates are 0
        and all collective dissipation is in these jumps.

    Raises
    ------
    TypeError
        If ``L`` is not a Qobj superoperator.
    ValueError
        If the dimension is not a Dicke dimension or disagrees with ``N``,
        if ``L`` is not of the PIQS form (relative residual above
        ``RESIDUAL_TOL``, complex or negative rates, non-Hermitian ``H``),
        or if the decomposition is ambiguous.

    Notes
    -----
    For one emitter (N = 1) the local and collective dissipators are the
    same superoperators; ``L`` is then read with collective processes only
    (local rates 0).
    """
    mat, d = _superoperator_matrix(L, name)
    inferred = infer_num_emitters(d, name)
    if N is not None and int(N) != inferred:
        raise ValueError(f"N={N} disagrees with {name}, whose Dicke dimension "
                         f"{d} belongs to N={inferred}")
    N = inferred
    monos = monomial_matrices(N)[1:]  # the identity drops out of [H, .]

    def columns(X, V):
        # -i[M, X] V = -i(M (X V) - X (M V)), batched over the monomials.
        k = V.shape[1]
        XV, XMV = X @ V, X @ np.hstack([M @ V for M in monos])
        cols = [(-1j * (M @ XV - XMV[:, i * k:(i + 1) * k])).ravel()
                for i, M in enumerate(monos)]
        return cols + [(GX @ V).ravel() for GX in _generator_actions(N, X)]

    A, b, norms, probes = _sketched_fit(mat, d, columns)
    nm = len(monos)
    rate_columns = set(range(nm, nm + len(RATE_NAMES)))
    if N == 1:  # one emitter: local and collective dissipators coincide
        rate_columns -= set(range(nm, nm + 3))
    cols = [i for i in range(A.shape[1])
            if i in rate_columns or not nm <= i < nm + len(RATE_NAMES)]
    keep = [cols[i] for i in _independent(A[:, cols], _DEPENDENCE_TOL)]
    if not rate_columns <= set(keep):
        raise ValueError(
            f"{name} cannot be decomposed uniquely for N={N}: the PIQS "
            "dissipators are linearly dependent here, so the rates are "
            "ambiguous; pass the qutip.piqs.Dicke object instead of its "
            "Liouvillian")
    coef = _solve(A, b, norms, keep)
    rate_c, h_c = coef[nm:nm + len(RATE_NAMES)], coef[:nm]

    def build_h(c):
        return sum((ci * M for ci, M in zip(c, monos) if ci != 0),
                   sp.csr_matrix((d, d), dtype=complex))

    H_fit = build_h(h_c)

    def fitted(X):
        fit = _commutator(H_fit, X)
        for r, GX in zip(coef[nm:], _generator_actions(N, X)):
            fit += r * GX
        return fit

    residual, ref = _relative_residual(probes, fitted)
    if not residual < RESIDUAL_TOL:
        raise ValueError(
            f"{name} is a superoperator but not a collective Liouvillian: "
            "it must be -i[H, .] (H a polynomial of degree <= 4 in the "
            "collective operators) plus dissipators D[L] of collective "
            "jumps L linear in J-, Jz, J+ and the local emission/dephasing/"
            f"pumping of qutip.piqs.Dicke, in the Dicke basis of N={N}; "
            f"relative residual {residual:.2e} of the best fit exceeds "
            f"{RESIDUAL_TOL:.0e}")
    if ref == 0:
        return None, {key: 0.0 for key in RATE_NAMES}, []

    # Size of each term relative to L, and the noise level of the fit.
    scale = norms / np.linalg.norm(b)
    weight = np.abs(coef) * scale
    noise = max(100 * residual, 1e-12)
    rates = {}
    for key, r, s, w in zip(RATE_NAMES, rate_c, scale[nm:], weight[nm:]):
        if abs(r.imag) * s > max(1e-8, noise):
            raise ValueError(f"{name} has a complex {key} rate {r:.6g}; "
                             "PIQS rates must be real and nonnegative")
        if w <= noise:
            r = 0.0
        elif r.real < 0:
            raise ValueError(f"{name} has a negative {key} rate "
                             f"{r.real:.6g}; PIQS rates must be nonnegative")
        rates[key] = canonical(float(np.real(r)), PIQS_DIGITS)
    jumps = _generic_jumps(rates, coef[nm + len(RATE_NAMES):],
                           weight[nm + len(RATE_NAMES):], noise, name)

    h_c = np.array([canonical(c, PIQS_DIGITS) if w > noise else 0
                    for c, w in zip(h_c, weight[:nm])])
    if not np.any(h_c):
        return None, rates, jumps
    H = build_h(h_c)
    anti = (H - H.conj().T) / 2
    anti = anti - (anti.diagonal().sum() / d) * sp.identity(d, format="csr")
    X, LX = probes[0]
    if np.linalg.norm(_commutator(anti, X)) > max(1e-8, noise) * \
            np.linalg.norm(LX):
        raise ValueError(f"{name} has a non-Hermitian Hamiltonian part; "
                         "-i[H, .] needs a Hermitian H")
    H = ((H + H.conj().T) / 2).tocsr()
    return qutip.Qobj(H, dims=[[d], [d]]), rates, jumps


def _generic_jumps(rates, generic, weight, noise, name):
    """Collective jumps of the dissipator matrix K over (J-, Jz, J+).

    K is the diagonal of the PIQS collective ``rates`` plus the generic
    terms ``generic`` (diagonal, then ``_CROSS``).  A diagonal K is returned
    as collective rates (no jumps); otherwise K = U diag(l) U^+ gives the
    jumps sqrt(l_k) sum_a U[a, k] A_a, and the collective rates are moved
    into them (set to 0 in ``rates``).
    """
    if np.all(weight <= noise):
        return []
    generic = np.where(weight > noise, generic, 0)
    names = ("collective_emission", "collective_dephasing",
             "collective_pumping")
    K = np.diag([rates[n] for n in names]).astype(complex)
    for (a, b), c in zip([(0, 0), (1, 1), (2, 2)] + _CROSS, generic):
        K[a, b] += c
    if not np.any(generic[3:]):  # no cross terms: PIQS collective rates
        for n, r in zip(names, np.diag(K)):
            if abs(r.imag) > max(1e-8, noise) * abs(r) or r.real < 0:
                raise ValueError(f"{name} has a {n} rate {r:.6g}; rates "
                                 "must be real and nonnegative")
            rates[n] = canonical(float(r.real), PIQS_DIGITS)
        return []
    scale = np.abs(K).max()
    if np.abs(K - K.conj().T).max() > max(1e-8, noise) * scale:
        raise ValueError(f"{name} has a non-Hermitian dissipator matrix over "
                         "J-, Jz, J+; it is not a Lindblad dissipator")
    values, vectors = np.linalg.eigh((K + K.conj().T) / 2)
    if values.min() < -max(1e-8, noise) * scale:
        raise ValueError(f"{name} has a collective jump with a negative "
                         f"rate {values.min():.6g}; rates must be "
                         "nonnegative")
    for n in names:
        rates[n] = 0.0
    jumps = []
    for value, v in zip(values, vectors.T):
        if value > max(1e-8, noise) * scale:
            c = [canonical(complex(np.sqrt(value) * x), PIQS_DIGITS)
                 for x in v]
            jumps.append((c[0], c[2], c[1]))  # (J-, J+, Jz) coefficients
    return jumps
