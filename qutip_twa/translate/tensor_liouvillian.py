"""Split a Liouvillian of several ensembles into H, jumps and local rates.

QuTiP's PIQS tutorial on several ensembles writes its model as one
superoperator on the tensor product of Dicke bases: ``super_tensor`` of
each ensemble's ``Dicke(...).liouvillian()`` with identities, plus
``qutip.liouvillian(H, c_ops)`` of operators coupling them; the open-Dicke
tutorial does the same with a cavity's Fock space.  As for one
ensemble (liouvillian.py), the superoperator is fitted, by least squares on
its action on random probe matrices, with

- ``-i[O, .]`` for products O of single-factor monomials J+^p Jz^q J-^r
  (a mode's a^+^p a^q; total degree <= 4): the Hamiltonian;
- each ensemble's six unit-rate PIQS dissipators, acting on its factor;
- the terms A_a X A_b^+ - {A_b^+ A_a, X}/2 of the collective operators
  (J-_m, Jz_m, J+_m; a mode's a and a^+): the dissipator matrix K of any
  jumps linear in them.

The collective rates of the PIQS dissipators join the diagonal of K; K is
then returned as jumps (single operators where K is diagonal, its
eigenvectors otherwise).
"""

import numpy as np
import scipy.sparse as sp

from ..canonical import canonical
from ..engine.contract import LOCAL_PROCESSES
from ..operators import EnsembleOperator
from .collective import _products, product_word
from .factors import default_factors
from .liouvillian import (PIQS_DIGITS, RATE_NAMES, RESIDUAL_TOL,
                          _DEPENDENCE_TOL, _commutator,
                          _dissipator_term, _independent,
                          _piqs_generators, _relative_residual, _sketched_fit,
                          _solve, _superoperator_matrix)

__all__ = ["decompose_tensor_liouvillian"]

_COLLECTIVE_GENERATORS = RATE_NAMES[3:]   # emission, dephasing, pumping


def _embed(op, m, dims):
    """``op`` acting on factor m of the tensor product (identity elsewhere)."""
    out = sp.identity(1, dtype=complex, format="csr")
    for k, d in enumerate(dims):
        out = sp.kron(out, op if k == m else sp.identity(d, format="csr"),
                      format="csr")
    return out


def _on_factor(G, X, m, dims):
    """A single-ensemble superoperator G (column-stacking, as qutip) applied
    to factor m of the operator X on the tensor product."""
    M, d = len(dims), dims[m]
    T = X.reshape(dims + dims)
    T = np.moveaxis(T, (M + m, m), (0, 1))       # (j_m, i_m, rest...)
    shape = T.shape
    out = G @ T.reshape(d * d, -1)                # vec index i_m + d j_m
    return np.moveaxis(out.reshape(shape), (0, 1), (M + m, m)).reshape(
        X.shape)


def decompose_tensor_liouvillian(L, ens, name, factors=None):
    """H, local rates and collective jumps of a Liouvillian of ensembles.

    Parameters
    ----------
    L : qutip.Qobj
        Superoperator on the tensor product of the PIQS Dicke bases of
        ``ens``.
    ens : Ensembles
    name : str
        Argument name for messages.
    factors : tuple of Factor, optional
        What each factor is (translate/factors.py; default: the Dicke bases
        of ``ens``): spins j = N_m/2 (``qutip.jmat``) and single emitters
        have no PIQS local dissipators (their dissipators are collective
        jumps); a mode's jumps are linear in its a and a^+.

    Returns
    -------
    H : EnsembleOperator
    rates : dict
        ``LOCAL_PROCESSES`` -> array of M rates.
    jumps : list of EnsembleOperator
        Collective jumps, linear in the J-_m, Jz_m, J+_m.

    Raises
    ------
    ValueError
        If ``L`` is not of this form (relative residual above
        ``RESIDUAL_TOL``), or has negative rates or a non-Hermitian part.
    """
    mat, d = _superoperator_matrix(L, name)
    factors = factors or default_factors(ens)
    dims = [f.dim for f in factors] if factors else None
    if factors is None or list(L.dims[0][0]) != dims:
        raise ValueError(f"{name} acts on {L.dims[0][0]}, expected the "
                         f"spaces {dims} of {ens!r}")
    degrees = [[deg for _, deg, _ in f.monomials()] for f in factors]
    products = [c for c in _products(degrees, 4) if any(c)]
    hams = []
    for c in products:
        op = sp.identity(1, dtype=complex, format="csr")
        for f, i in zip(factors, c):
            op = sp.kron(op, f.monomials()[i][2], format="csr")
        hams.append(op)
    # a single emitter's PIQS dissipators are D[J-], D[Jz], D[J+] of its
    # factor, already among the collective terms: fitting both splits a
    # jump that couples ensembles into pieces that are not positive
    dicke = [m for m, f in enumerate(factors)
             if f.kind == "dicke" and f.N > 1]
    piqs_generators = [(m, G) for m in dicke
                       for G in _piqs_generators(factors[m].N, RATE_NAMES)]
    ops, letter_ops, first = [], [], []
    for m, f in enumerate(factors):
        first.append(len(ops))
        for letter, x in f.jumps():
            ops.append(_embed(x, m, dims))
            letter_ops.append(EnsembleOperator(ens, {letter: (
                [[f.site]], [1.0])}))
    pairs = [(a, b) for a in range(len(ops)) for b in range(len(ops))]

    nh, ng = len(hams), len(piqs_generators)

    def action(i, X):
        """Column i of the fit applied to X (a d x d matrix)."""
        if i < nh:
            return _commutator(hams[i], X)
        if i < nh + ng:
            m, G = piqs_generators[i - nh]
            return _on_factor(G, X, m, dims)
        a, b = pairs[i - nh - ng]
        return _dissipator_term(ops[a], ops[b], X)

    def sketched(X, V):
        """Every column applied to X, times V, without d x d products
        where the operators allow (-i[O, X] V = -i(O (X V) - X (O V)))."""
        XV = X @ V
        cols = [-1j * (O @ XV - X @ (O @ V)) for O in hams]
        cols += [_on_factor(G, X, m, dims) @ V for m, G in piqs_generators]
        for a, b in pairs:
            A, B = ops[a], ops[b]
            bda = B.conj().T @ A
            cols.append(A @ (X @ (B.conj().T @ V))
                        - 0.5 * (bda @ XV + X @ (bda @ V)))
        return [c.ravel() for c in cols]

    A, b, norms, probes = _sketched_fit(mat, d, sketched)
    coef = _solve(A, b, norms, _independent(A, _DEPENDENCE_TOL))
    residual, _ = _relative_residual(probes, lambda X: sum(
        coef[i] * action(i, X) for i in np.flatnonzero(coef)))
    if not residual < RESIDUAL_TOL:
        raise ValueError(
            f"{name} is a superoperator on {ens!r} but not a collective "
            "Liouvillian: it must be -i[H, .] (H a polynomial of degree <= "
            "4 in the collective operators and modes' a, a^+, normal "
            "ordered) plus dissipators of jumps linear in the J-_m, Jz_m, "
            "J+_m (and a, a^+) and each ensemble's PIQS "
            "Lindbladian (super_tensor of Dicke(...).lindbladian() with "
            f"identities); relative residual {residual:.2e} of the best fit "
            f"exceeds {RESIDUAL_TOL:.0e}")
    weight = np.abs(coef) * norms / max(np.linalg.norm(b), 1e-300)
    noise = max(100 * residual, 1e-12)
    coef = np.where(weight > noise, coef, 0)
    H = _hamiltonian(coef[:nh], products, factors, ens, name, noise)
    piqs_rates = np.zeros((len(factors), 6), complex)
    piqs_rates[dicke] = coef[nh:nh + ng].reshape(len(dicke), 6)
    if np.any(np.abs(piqs_rates.imag) > max(1e-8, noise) * np.abs(
            piqs_rates).max(initial=1.0)) or np.any(piqs_rates.real < 0):
        raise ValueError(f"{name} has a negative or complex PIQS rate; "
                         "rates must be real and nonnegative")
    ensembles = [m for m, f in enumerate(factors) if f.kind != "fock"]
    local = {process: np.array([canonical(float(
        piqs_rates[m, RATE_NAMES.index(process)].real), PIQS_DIGITS)
        for m in ensembles]) for process in LOCAL_PROCESSES}
    K = coef[nh + ng:].reshape(len(ops), len(ops))
    for m in dicke:  # the PIQS collective rates join K's diagonal
        for j, key in enumerate(_COLLECTIVE_GENERATORS):
            i = first[m] + j
            K[i, i] += piqs_rates[m, RATE_NAMES.index(key)]
    return H, local, _jumps(K, letter_ops, ens, name, noise)


def _hamiltonian(coef, products, factors, ens, name, noise):
    """The Hermitian ``EnsembleOperator`` of the fitted H coefficients."""
    words = {}
    for c, x in zip(products, coef):
        if x == 0:
            continue
        word, idx = product_word(factors, c)
        rows, cs = words.setdefault(word, ([], []))
        rows.append(idx)
        cs.append(canonical(complex(x), PIQS_DIGITS))
    H = EnsembleOperator(ens, {
        w: (np.array(r, np.int64).reshape(len(cs), len(w)), np.array(cs))
        for w, (r, cs) in words.items()})
    anti = H - H.dag()
    scale = max((np.abs(c).max() for _, c in H.terms.values()), default=0)
    if any(np.any(np.abs(c) > max(1e-6, noise) * max(scale, 1.0))
           for _, c in anti.terms.values()):
        raise ValueError(f"{name} has a non-Hermitian Hamiltonian part; "
                         "-i[H, .] needs a Hermitian H")
    return 0.5 * (H + H.dag())


def _jumps(K, letter_ops, ens, name, noise):
    """Jumps of the dissipator matrix K over ``letter_ops`` (J-_m, Jz_m,
    J+_m per ensemble, a_k and a_k^+ per mode)."""
    scale = np.abs(K).max(initial=0.0)
    if scale == 0:
        return []
    tol = max(1e-8, noise) * scale
    if np.abs(K - K.conj().T).max() > tol:
        raise ValueError(f"{name} has a non-Hermitian dissipator matrix; it "
                         "is not a Lindblad dissipator")
    off = K - np.diag(np.diag(K))
    if np.abs(off).max() <= tol:
        return [canonical(float(np.sqrt(r.real)), PIQS_DIGITS) * op
                for r, op in zip(np.diag(K), letter_ops) if r.real > tol]
    values, vectors = np.linalg.eigh((K + K.conj().T) / 2)
    if values.min() < -tol:
        raise ValueError(f"{name} has a collective jump with a negative rate "
                         f"{values.min():.6g}; rates must be nonnegative")
    jumps = []
    for value, v in zip(values, vectors.T):
        if value > tol:
            big = v[np.argmax(np.abs(v))]
            v = v * abs(big) / big  # canonical phase: largest part real > 0
            c = [canonical(complex(np.sqrt(value) * x), PIQS_DIGITS)
                 for x in v]
            jumps.append(sum((ci * op for ci, op in zip(c, letter_ops)
                              if ci), 0.0 * ens.identity()))
    return jumps
