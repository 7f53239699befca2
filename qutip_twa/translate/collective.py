"""Identify Dicke-basis ``Qobj``s as polynomials in Jz, J+, J-.

An operator is projected onto the monomials J+^p Jz^q J-^r of degree <= 4
(J^2 = J+ J- + Jz^2 - Jz is among them).  The monomials are taken greedily by
increasing degree, skipping any that is linearly dependent on those already
taken (this happens only for a few emitters, where e.g. J+^2 = 0 for N = 1),
so each operator gets its lowest-degree form.  The projection residual must
vanish to numerical precision, or the operator is rejected.  Operators on a
tensor product of Dicke bases are projected onto products of such monomials.
Both give an ``EnsembleOperator``.
"""

from functools import lru_cache

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from qutip import Qobj

from ..canonical import canonical
from ..operators import EnsembleOperator
from ..operators.dicke import (monomial_exponents, monomial_matrices,
                               num_dicke_states)
from .factors import default_factors

__all__ = ["operator_matrix", "collective_coefficients", "dicke_operator",
           "tensor_operator", "product_word"]

_RESIDUAL_TOL = 1e-9
_INDEPENDENCE_TOL = 1e-10
_GRAM_INDEPENDENCE_TOL = 1e-8  # on squared norms, where rounding is ~1e-16


def operator_matrix(op, N, name, spin=False):
    """Check ``op`` is a Dicke-basis operator for N emitters (``spin``: an
    operator of spin j = N/2); return CSR."""
    if not isinstance(op, Qobj):
        raise TypeError(f"{name} must be a qutip.Qobj operator in the PIQS "
                        f"Dicke basis, got {type(op).__name__}")
    if not op.isoper:
        raise TypeError(f"{name} must be an operator (Qobj of type 'oper'), "
                        f"got type {op.type!r}")
    dim = N + 1 if spin else num_dicke_states(N)
    if op.shape != (dim, dim):
        basis = f"spin j = {N / 2:g}" if spin else "PIQS Dicke basis"
        raise ValueError(f"{name} has shape {op.shape}, expected the {basis}"
                         f" {dim} x {dim} (N = {N})")
    return op.to("csr").data_as("csr_matrix")


@lru_cache(maxsize=16)
def _design(N, max_degree, spin):
    """Dense design matrix of independent monomials on their joint support."""
    mats = monomial_matrices(N, spin=spin)
    exps = monomial_exponents(4)
    keep = [i for i, e in enumerate(exps) if sum(e) <= max_degree]
    support = sum(abs(mats[i]) for i in keep).tocoo()
    rows, cols = support.row, support.col
    columns, chosen = [], []
    q = np.zeros((len(rows), 0), dtype=complex)
    for i in keep:
        col = np.asarray(mats[i][rows, cols]).ravel()
        norm = np.linalg.norm(col)
        resid = col - q @ (q.conj().T @ col)
        if norm == 0 or np.linalg.norm(resid) <= _INDEPENDENCE_TOL * norm:
            continue
        q = np.column_stack([q, resid / np.linalg.norm(resid)])
        columns.append(col)
        chosen.append(exps[i])
    return rows, cols, np.column_stack(columns), tuple(chosen)


def collective_coefficients(op, N, name, max_degree=4, spin=False):
    """Coefficients ``{(p, q, r): c}`` with op = sum c J+^p Jz^q J-^r.

    ``spin=True`` reads ``op`` as an operator of spin j = N/2 (the
    symmetric subspace of N emitters, the basis of ``qutip.jmat``).

    Raises
    ------
    ValueError
        If ``op`` is not such a polynomial of degree <= ``max_degree``.
    """
    mat = operator_matrix(op, N, name, spin)
    rows, cols, design, exps = _design(N, max_degree, spin)
    values = np.asarray(mat[rows, cols]).ravel()
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    total = sp.linalg.norm(mat)
    mats = dict(zip(monomial_exponents(4), monomial_matrices(N, spin=spin)))
    fitted = sum((c * mats[e] for e, c in zip(exps, coef)),
                 sp.csr_matrix(mat.shape, dtype=complex))
    residual = sp.linalg.norm(mat - fitted)
    if residual > _RESIDUAL_TOL * max(total, 1.0):
        kind = "linear in" if max_degree == 1 else \
            f"a polynomial of degree <= {max_degree} in"
        basis = f"spin j = {N / 2:g}" if spin else "the PIQS Dicke basis"
        raise ValueError(
            f"{name} is not {kind} the collective operators Jz, J+, J- of "
            f"N = {N} emitters in {basis} (relative residual "
            f"{residual / max(total, 1.0):.2e}); only collective "
            "(permutation-invariant) operators can be simulated")
    weight = np.abs(coef) * np.linalg.norm(design, axis=0)
    keep = weight > _RESIDUAL_TOL * max(total, 1.0)   # else fit noise
    return {e: canonical(c) for e, c, k in zip(exps, coef, keep) if k}


def dicke_operator(op, ensembles, name, max_degree=4, spin=False):
    """A one-ensemble Dicke-basis (``spin``: spin j = N/2) ``Qobj`` as an
    ``EnsembleOperator``."""
    coef = collective_coefficients(op, int(ensembles.N[0]), name, max_degree,
                                   spin)
    words = {}
    for (p, q, r), c in coef.items():
        words["+" * p + "z" * q + "-" * r] = (np.zeros((1, p + q + r),
                                                       np.int64), [c])
    return EnsembleOperator(ensembles, words)


def tensor_operator(op, ensembles, name, max_degree=4, factors=None):
    """Identify a ``Qobj`` on a tensor product whose ``factors``
    (translate/factors.py; default: the PIQS Dicke bases of ``ensembles``)
    are ensembles (Dicke bases or spins j = N/2) and modes.

    The operator is projected onto products of single-factor monomials
    (J+^p Jz^q J-^r, or a mode's a^+^p a^q) of total degree <=
    ``max_degree`` (taken greedily by degree, skipping dependent ones, as
    for one ensemble); the residual must vanish.  Inner products of
    products are products of single-factor inner products, so only the
    operator's own nonzeros are visited.

    Returns
    -------
    EnsembleOperator
    """
    factors = factors or default_factors(ensembles)
    if factors is None:
        raise ValueError(f"{name}: {ensembles!r} has modes, whose Fock "
                         "dimension only a tensor-product Qobj of the "
                         "model can tell")
    dims = [f.dim for f in factors]
    if not isinstance(op, Qobj) or not op.isoper:
        raise TypeError(f"{name} must be an operator Qobj on the tensor "
                        f"product {dims}")
    if list(op.dims[0]) != dims or list(op.dims[1]) != dims:
        raise ValueError(f"{name} has dims {op.dims}, expected {[dims, dims]}"
                         f" for {ensembles!r} (PIQS Dicke bases, spin "
                         "j = N/2 where a factor's dimension is not a Dicke "
                         "dimension, Fock spaces for modes)")
    F = len(factors)
    mat = op.to("csr").data_as("csr_matrix").tocoo()
    sub_rows = np.unravel_index(mat.row, dims)
    sub_cols = np.unravel_index(mat.col, dims)
    monomials = [[m for _, _, m in f.monomials()] for f in factors]
    degrees = [[d for _, d, _ in f.monomials()] for f in factors]
    dense = [[m.toarray() for m in mats] for mats in monomials]
    grams = [np.array([[np.vdot(a, b) for b in d] for a in d]) for d in dense]
    candidates = sorted(_products(degrees, max_degree),
                        key=lambda c: sum(degrees[m][i]
                                          for m, i in enumerate(c)))
    chosen, chol, proj = [], np.zeros((0, 0), complex), []
    picked = np.zeros((0, F), np.int64)
    for c in candidates:
        g = np.ones(len(picked), complex)
        for m in range(F):
            g *= grams[m][picked[:, m], c[m]]
        gcc = np.prod([grams[m][c[m], c[m]].real for m in range(F)])
        if gcc == 0:
            continue
        x = sla.solve_triangular(chol, g, lower=True) if chosen else g
        rest = gcc - np.vdot(x, x).real
        if rest <= _GRAM_INDEPENDENCE_TOL * gcc:  # squares: cancellation
            continue
        chol = np.block([[chol, np.zeros((len(chosen), 1))],
                         [x.conj()[None, :], np.sqrt(rest) * np.ones((1, 1))]])
        values = np.ones(mat.nnz, complex)
        for m in range(F):
            values *= dense[m][c[m]][sub_rows[m], sub_cols[m]]
        proj.append(np.vdot(values, mat.data))
        chosen.append(c)
        picked = np.array(chosen, np.int64)
    y = np.linalg.solve(chol, np.array(proj))
    coef = np.linalg.solve(chol.conj().T, y)
    total = sp.linalg.norm(mat.tocsr())
    fitted = sp.csr_matrix(mat.shape, dtype=complex)
    terms = []
    for c, x in zip(chosen, coef):
        factor = sp.identity(1, dtype=complex, format="csr")
        for m in range(F):
            factor = sp.kron(factor, monomials[m][c[m]], format="csr")
        if abs(x) * sp.linalg.norm(factor) <= _RESIDUAL_TOL * max(total, 1.0):
            continue    # fit noise
        fitted = fitted + x * factor
        word, idx = product_word(factors, c)
        terms.append((word, idx, canonical(complex(x))))
    residual = sp.linalg.norm(mat.tocsr() - fitted)
    if residual > _RESIDUAL_TOL * max(total, 1.0):
        modes = " and a, a^+ (normal ordered: write a^+ a, not a a^+)" \
            if ensembles.modes else ""
        raise ValueError(
            f"{name} is not a polynomial of degree <= {max_degree} in the "
            f"collective operators Jz, J+, J-{modes} of {ensembles!r} "
            f"(relative residual {residual / max(total, 1.0):.2e}); only "
            "operators that are permutation invariant within each ensemble "
            "can be simulated")
    grouped = {}
    for word, idx, x in terms:
        rows, cs = grouped.setdefault(word, ([], []))
        rows.append(idx)
        cs.append(x)
    return EnsembleOperator(ensembles, {
        w: (np.array(r, np.int64).reshape(len(cs), len(w)), np.array(cs))
        for w, (r, cs) in grouped.items()})


def product_word(factors, c):
    """(word, sites) of the product of monomial c[m] of each factor m."""
    word, sites = "", []
    for f, i in zip(factors, c):
        w = f.monomials()[i][0]
        word += w
        sites += [f.site] * len(w)
    return word, sites


def _products(degrees, budget):
    """Tuples of monomial indices, one per factor (``degrees[m]`` the
    degrees of factor m's monomials), with total degree <= budget."""
    if not degrees:
        return [()]
    return [(i,) + rest for i, d in enumerate(degrees[0]) if d <= budget
            for rest in _products(degrees[1:], budget - d)]
