"""The factors of a tensor-product space and what each one is.

A factor of a tensor-product ``Qobj`` is an ensemble in the PIQS Dicke basis
(``"dicke"``), an ensemble as one spin j = (d - 1)/2 (``"spin"``, the basis
of ``qutip.jmat``), or a bosonic mode truncated to d Fock states
(``"fock"``, ``qutip.destroy(d)``).  A ``Factor`` knows its monomials (the
basis operators are read on), its jump letters and the site it becomes in
``Ensembles``: ensembles keep their order as sites 0 .. M - 1, modes follow.
"""

from dataclasses import dataclass
from functools import lru_cache

import qutip
import scipy.sparse as sp

from ..operators import Ensembles
from ..operators.dicke import (infer_num_emitters, monomial_exponents,
                               monomial_matrices, num_dicke_states)
from .liouvillian import _collective_ops

__all__ = ["KINDS", "Factor", "factors_of", "default_factors"]

KINDS = ("dicke", "spin", "fock")
MAX_DEGREE = 4


@dataclass(frozen=True)
class Factor:
    """One factor of a tensor product: ``kind`` in ``KINDS``, dimension
    ``dim``, and its ``site`` in the ``Ensembles``."""

    kind: str
    dim: int
    site: int

    @property
    def N(self):
        """Emitters of an ensemble factor (None for a mode)."""
        if self.kind == "fock":
            return None
        return self.dim - 1 if self.kind == "spin" else \
            infer_num_emitters(self.dim)

    def monomials(self):
        """``[(word, degree, CSR matrix)]`` of the monomials of degree <= 4:
        J+^p Jz^q J-^r, or for a mode the normal-ordered a^+^p a^q."""
        return _monomials(self.kind, self.dim)

    def jumps(self):
        """``[(letter, CSR matrix)]`` of the operators a jump is linear in:
        J-, Jz, J+ (the order of the PIQS collective rates), or a, a^+."""
        return _jumps(self.kind, self.dim)


@lru_cache(maxsize=32)
def _monomials(kind, dim):
    if kind == "fock":
        a = sp.csr_matrix(qutip.destroy(dim).full())
        ad = a.conj().T.tocsr()
        eye = sp.identity(dim, dtype=complex, format="csr")
        out = []
        for d in range(MAX_DEGREE + 1):
            for p in range(d, -1, -1):
                q = d - p
                mat = eye
                for _ in range(p):
                    mat = mat @ ad
                for _ in range(q):
                    mat = mat @ a
                out.append(("c" * p + "a" * q, d, mat.tocsr()))
        return tuple(out)
    N = Factor(kind, dim, 0).N
    mats = monomial_matrices(N, spin=kind == "spin")
    return tuple(("+" * p + "z" * q + "-" * r, p + q + r, m)
                 for (p, q, r), m in zip(monomial_exponents(MAX_DEGREE),
                                         mats))


@lru_cache(maxsize=32)
def _jumps(kind, dim):
    if kind == "fock":
        a = sp.csr_matrix(qutip.destroy(dim).full())
        return (("a", a), ("c", a.conj().T.tocsr()))
    return tuple(zip("-z+", _collective_ops(Factor(kind, dim, 0).N,
                                            kind == "spin")))


def factors_of(dims, kinds):
    """(Ensembles, factors) of a tensor product with factor dimensions
    ``dims`` read as ``kinds``."""
    ensembles = [m for m, k in enumerate(kinds) if k != "fock"]
    modes = [m for m, k in enumerate(kinds) if k == "fock"]
    if not ensembles:
        raise ValueError("a tensor product of Fock spaces only has no "
                         "emitters; one factor at least must be an ensemble")
    site = {m: s for s, m in enumerate(ensembles + modes)}
    factors = tuple(Factor(k, int(d), site[m])
                    for m, (d, k) in enumerate(zip(dims, kinds)))
    ens = Ensembles([factors[m].N for m in ensembles], modes=len(modes))
    return ens, factors


def default_factors(ens):
    """The factors of ``ens`` in ``to_qobj``'s order, without a Fock
    dimension for the modes (None where there are modes)."""
    if ens.modes:
        return None
    return tuple(Factor("dicke", num_dicke_states(int(n)), m)
                 for m, n in enumerate(ens.N))
