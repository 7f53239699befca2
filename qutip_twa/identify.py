"""Identify Dicke-basis operators as polynomials in Jz, J+, J-.

An operator is projected onto the monomials J+^p Jz^q J-^r of degree <= 4
(J^2 = J+ J- + Jz^2 - Jz is among them).  The monomials are taken greedily by
increasing degree, skipping any that is linearly dependent on those already
taken (this happens only for a few emitters, where e.g. J+^2 = 0 for N = 1),
so each operator gets its lowest-degree form.  The projection residual must
vanish to numerical precision, or the operator is rejected.
"""

from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from qutip import Qobj

from .dicke import (infer_num_emitters, monomial_exponents, monomial_matrices,
                    num_dicke_states)
from .symbols import symbol_of_coefficients

__all__ = ["canonical", "operator_matrix", "collective_coefficients",
           "collective_symbol", "jump_coefficients"]

_RESIDUAL_TOL = 1e-9
_INDEPENDENCE_TOL = 1e-10


def canonical(x, digits=12):
    """``x`` (real or complex) rounded to ``digits`` significant digits.

    Numbers recovered by least squares carry noise in the last bits, and
    trajectories are chaotic enough to turn that into visible differences.
    Rounding every identified coefficient and rate makes equivalent inputs
    (a Dicke object, its Liouvillian, H with c_ops) give bit-identical runs.
    """
    def at(v, scale):
        if scale == 0 or not np.isfinite(scale):
            return float(v)
        return float(np.round(v, digits - 1 - int(np.floor(np.log10(scale)))))
    if np.iscomplexobj(x) or isinstance(x, complex):
        re, im = float(np.real(x)), float(np.imag(x))
        scale = max(abs(re), abs(im))
        return complex(at(re, scale), at(im, scale))
    return at(x, abs(float(x)))


def operator_matrix(op, N, name):
    """Check ``op`` is a Dicke-basis operator for N emitters; return CSR."""
    if not isinstance(op, Qobj):
        raise TypeError(f"{name} must be a qutip.Qobj operator in the PIQS "
                        f"Dicke basis, got {type(op).__name__}")
    if not op.isoper:
        raise TypeError(f"{name} must be an operator (Qobj of type 'oper'), "
                        f"got type {op.type!r}")
    dim = num_dicke_states(N) if N is not None else None
    if op.shape[0] != op.shape[1] or (dim is not None and op.shape[0] != dim):
        expected = f"{dim} x {dim} (N = {N})" if dim else "square"
        raise ValueError(f"{name} has shape {op.shape}, expected the PIQS "
                         f"Dicke basis {expected}")
    return op.to("csr").data_as("csr_matrix")


@lru_cache(maxsize=16)
def _design(N, max_degree):
    """Dense design matrix of independent monomials on their joint support."""
    mats = monomial_matrices(N)
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


def collective_coefficients(op, N, name, max_degree=4):
    """Coefficients ``{(p, q, r): c}`` with op = sum c J+^p Jz^q J-^r.

    Raises
    ------
    ValueError
        If ``op`` is not such a polynomial of degree <= ``max_degree``.
    """
    mat = operator_matrix(op, N, name)
    rows, cols, design, exps = _design(N, max_degree)
    values = np.asarray(mat[rows, cols]).ravel()
    coef, *_ = np.linalg.lstsq(design, values, rcond=None)
    total = sp.linalg.norm(mat)
    mats = dict(zip(monomial_exponents(4), monomial_matrices(N)))
    fitted = sum((c * mats[e] for e, c in zip(exps, coef)),
                 sp.csr_matrix(mat.shape, dtype=complex))
    residual = sp.linalg.norm(mat - fitted)
    if residual > _RESIDUAL_TOL * max(total, 1.0):
        kind = "linear in" if max_degree == 1 else \
            f"a polynomial of degree <= {max_degree} in"
        raise ValueError(
            f"{name} is not {kind} the collective operators Jz, J+, J- of "
            f"N = {N} emitters in the PIQS Dicke basis (relative residual "
            f"{residual / max(total, 1.0):.2e}); only collective "
            "(permutation-invariant) operators can be simulated")
    weight = np.abs(coef) * np.linalg.norm(design, axis=0)
    keep = weight > 1e-12 * max(total, 1.0)
    return {e: canonical(c) for e, c, k in zip(exps, coef, keep) if k}


def collective_symbol(op, N, name, max_degree=4):
    """Exact Weyl symbol (see symbols.py) of a collective Dicke operator."""
    return symbol_of_coefficients(
        collective_coefficients(op, N, name, max_degree))


def jump_coefficients(op, N, name):
    """Write a jump operator as c0 + c_minus J- + c_plus J+ + c_z Jz.

    Returns
    -------
    (c0, c_minus, c_plus, c_z) : complex
    """
    coef = collective_coefficients(op, N, name, max_degree=1)
    return tuple(complex(coef.get(e, 0.0))
                 for e in [(0, 0, 0), (0, 0, 1), (1, 0, 0), (0, 1, 0)])


def infer_N_from_operator(op, name):
    """N from the dimension of a Dicke-basis ``Qobj``."""
    return infer_num_emitters(op.shape[0], name)
