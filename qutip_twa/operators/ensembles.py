"""Collective operators of several ensembles, built without matrices.

``Ensembles(N)`` describes M permutation-invariant ensembles with N[m]
emitters each (and, with ``modes=K``, K bosonic modes) and hands out
symbolic collective operators.  An ``EnsembleOperator`` is a sum of products
of J+_m, Jz_m, J-_m (and a_k, a_k^+).  It is stored by *word*: the string of
letters ``"+"``, ``"z"``, ``"-"`` (modes: ``"a"``, ``"c"`` for a, a^+) of a
product, read left to right, with an integer array of the site each letter
acts on (one row per term; ensembles are sites 0 .. M - 1, mode k is site
M + k) and an array of coefficients.  Products of many terms stay
numpy arrays, so the exchange sum over M^2 pairs of a 500-ensemble chain
builds in milliseconds.

Letters on different sites commute; each row is stored with its letters
sorted (stably) by site, which makes the form canonical up to the order
inside one ensemble, and equal rows are merged.
"""

from numbers import Number

import numpy as np
import qutip
import scipy.sparse as sp

from ..checks import per_ensemble
from .dicke import (MAX_QOBJ_DIM, collective_matrices, dicke_labels,
                    num_dicke_states)
from .states import ProductState, fock_dims_of
from .symbols import add, multiply, on_ensemble, word_symbol

__all__ = ["Ensembles", "EnsembleOperator"]

_DAGGER = str.maketrans("+-ac", "-+ca")
_CODE = {"+": 0, "z": 1, "-": 2, "a": 3, "c": 4}
_LETTER = np.array(["+", "z", "-", "a", "c"])
MAX_EMITTERS = 2 ** 53  # emitter numbers are exact as floats up to here


class Ensembles:
    """M ensembles of two-level emitters, and their collective operators.

    Parameters
    ----------
    N : int or sequence of int
        Emitters in each ensemble.  An int with ``M`` gives M identical
        ensembles; an int alone gives one ensemble.
    M : int, optional
        Number of ensembles when ``N`` is an int.
    modes : int, default 0
        Number of bosonic modes (cavity modes), with operators
        :meth:`a` and ``a(k).dag()``.

    Examples
    --------
    >>> ens = Ensembles(20, M=2)
    >>> H = ens.jp(0) * ens.jm(1) + ens.jp(1) * ens.jm(0)
    >>> L = ens.lowering([1, -1])          # J-_0 - J-_1
    >>> cav = Ensembles(100, modes=1)       # Tavis-Cummings
    >>> H = cav.a().dag() * cav.a() + 0.1 * (cav.a().dag() * cav.jm()
    ...                                      + cav.a() * cav.jp())
    """

    def __init__(self, N, M=None, modes=0):
        if isinstance(N, (Number, np.integer)) and not isinstance(N, bool):
            if M is None:
                M = 1
            if not isinstance(M, (int, np.integer)) or isinstance(M, bool) \
                    or M < 1:
                raise ValueError(f"M must be a positive integer, got {M!r}")
            N = [N] * int(M)
        elif M is not None:
            raise ValueError("give M only with an integer N; with a list of "
                             "emitter numbers M is its length")
        try:
            arr = np.asarray(N)
        except Exception as err:
            raise TypeError(f"N must be an int or a list of ints, got "
                            f"{type(N).__name__}") from err
        if arr.ndim != 1 or len(arr) < 1 or arr.dtype.kind not in "iuf" or \
                not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)) \
                or np.any(arr < 1) or np.any(arr > MAX_EMITTERS):
            raise ValueError(f"N must be a positive integer (at most "
                             f"{MAX_EMITTERS:.0e}) or a non-empty list of "
                             f"them, got {N!r}")
        self._N = arr.astype(np.int64)
        self._N.flags.writeable = False
        if not isinstance(modes, (int, np.integer)) or isinstance(modes, bool) \
                or modes < 0:
            raise ValueError(f"modes must be an integer >= 0, got {modes!r}")
        self._modes = int(modes)

    @property
    def N(self):
        """Emitters per ensemble (int array of length M)."""
        return self._N

    @property
    def M(self):
        """Number of ensembles."""
        return len(self._N)

    @property
    def modes(self):
        """Number of bosonic modes."""
        return self._modes

    @property
    def sites(self):
        """Ensembles and modes: M + modes (mode k is site M + k)."""
        return self.M + self._modes

    @property
    def N_tot(self):
        """Total number of emitters."""
        return int(self._N.sum())

    def __repr__(self):
        modes = f", modes={self._modes}" if self._modes else ""
        if self.M > 1 and np.all(self._N == self._N[0]):
            return f"Ensembles({int(self._N[0])}, M={self.M}{modes})"
        return f"Ensembles({self._N.tolist()}{modes})"

    def __eq__(self, other):
        return isinstance(other, Ensembles) and \
            np.array_equal(self._N, other._N) and self._modes == other._modes

    def __hash__(self):
        return hash((tuple(self._N.tolist()), self._modes))

    # -- single operators ---------------------------------------------------

    def _index(self, m, count=None, what="ensemble"):
        """``m`` in [0, count) (default M), negative counting from the end."""
        count = self.M if count is None else count
        if not isinstance(m, (int, np.integer)) or isinstance(m, bool) \
                or not -count <= m < count:
            hint = "" if count else "; make modes with Ensembles(N, modes=K)"
            raise ValueError(f"{what} index must be an integer in "
                             f"[0, {count}), got {m!r}{hint}")
        return int(m) % count

    def _letter(self, letter, m):
        return EnsembleOperator(self, {letter: (
            np.array([[self._index(m)]]), np.array([1.0 + 0j]))})

    def a(self, k=0):
        """The annihilation operator of mode ``k`` (``a(k).dag()``: its
        creation operator)."""
        site = self.M + self._index(k, self._modes, "mode")
        return EnsembleOperator(self, {"a": (np.array([[site]]),
                                             np.array([1.0 + 0j]))})

    def jp(self, m=0):
        """J+ of ensemble ``m``."""
        return self._letter("+", m)

    def jm(self, m=0):
        """J- of ensemble ``m``."""
        return self._letter("-", m)

    def jz(self, m=0):
        """Jz of ensemble ``m``."""
        return self._letter("z", m)

    def jx(self, m=0):
        """Jx = (J+ + J-) / 2 of ensemble ``m``."""
        return 0.5 * (self.jp(m) + self.jm(m))

    def jy(self, m=0):
        """Jy = (J+ - J-) / 2i of ensemble ``m``."""
        return -0.5j * (self.jp(m) - self.jm(m))

    def identity(self):
        """The identity operator."""
        return EnsembleOperator(self, {"": (np.zeros((1, 0), np.int64),
                                            np.array([1.0 + 0j]))})

    # -- vectorised sums ----------------------------------------------------

    def _linear(self, letter, c, name):
        c = per_ensemble(c, self.M, name, dtype=complex)
        keep = np.flatnonzero(c)
        return EnsembleOperator(self, {letter: (keep[:, None], c[keep])})

    def lowering(self, c=1.0):
        """sum_m c[m] J-_m (``c`` a scalar or a length-M vector)."""
        return self._linear("-", c, "c")

    def raising(self, c=1.0):
        """sum_m c[m] J+_m."""
        return self._linear("+", c, "c")

    def inversion(self, c=1.0):
        """sum_m c[m] Jz_m."""
        return self._linear("z", c, "c")

    def exchange(self, A):
        """sum over m, m' of A[m, m'] J+_m J-_m' (``A`` an M x M matrix).

        The diagonal gives the on-site terms A[m, m] J+_m J-_m.
        """
        A = np.asarray(A, dtype=complex)
        if A.shape != (self.M, self.M) or not np.all(np.isfinite(A)):
            raise ValueError(f"A must be a finite {self.M} x {self.M} matrix, "
                             f"got shape {A.shape}")
        rows, cols = np.nonzero(A)
        return EnsembleOperator(self, {"+-": (
            np.stack([rows, cols], axis=1), A[rows, cols])})

    # -- product states -----------------------------------------------------

    def ground(self):
        """Every emitter in its ground state (modes: vacuum; see
        :meth:`ProductState.with_modes`)."""
        return ProductState.dicke(self, self._N / 2, -self._N / 2)

    def excited(self):
        """Every emitter excited."""
        return ProductState.dicke(self, self._N / 2, self._N / 2)

    def dicke(self, j, m):
        """The Dicke state ``|j, m>`` in every ensemble (scalars or vectors)."""
        return ProductState.dicke(self, j, m)

    def css(self, theta, phi=0.0):
        """Coherent spin states with Bloch angles (theta, phi) per ensemble.

        ``<J_m> / (N_m/2) = (sin theta cos phi, sin theta sin phi,
        cos theta)``, the convention of ``qutip.spin_coherent``.
        """
        return ProductState.coherent(self, theta, phi)

    def product(self, states):
        """Product of one PIQS Dicke-basis state per ensemble."""
        return ProductState.from_qobjs(self, states)


class EnsembleOperator:
    """A polynomial in the collective operators of ``Ensembles``.

    Made by the methods of :class:`Ensembles` and closed under ``+``, ``-``,
    ``*``, scalar multiplication and :meth:`dag`.
    """

    __array_priority__ = 1000  # numpy scalars defer to our __rmul__

    def __init__(self, ensembles, terms):
        self.ensembles = ensembles
        self._terms = _canonical(terms)

    # -- inspection ---------------------------------------------------------

    @property
    def terms(self):
        """``{word: (ensemble indices (n, len(word)), coefficients (n,))}``."""
        return self._terms

    @property
    def degree(self):
        """Largest number of factors in a product (0 for a constant)."""
        return max((len(w) for w in self._terms), default=0)

    @property
    def num_terms(self):
        return sum(len(c) for _, c in self._terms.values())

    @property
    def isherm(self):
        """True when the operator equals its Hermitian conjugate (relative
        tolerance 1e-10 on the coefficients)."""
        diff = self - self.dag()
        scale = max((np.abs(c).max() for _, c in self._terms.values()),
                    default=0.0)
        return all(np.all(np.abs(c) <= 1e-10 * scale)
                   for _, c in diff.terms.values())

    def __repr__(self):
        return (f"EnsembleOperator({self.ensembles!r}, {self.num_terms} "
                f"terms, degree {self.degree})")

    # -- algebra ------------------------------------------------------------

    def _other(self, other, op):
        if isinstance(other, EnsembleOperator):
            if other.ensembles != self.ensembles:
                raise ValueError(f"cannot {op} operators of different "
                                 f"ensembles: {self.ensembles!r} and "
                                 f"{other.ensembles!r}")
            return other
        if isinstance(other, (Number, np.number)) and not isinstance(
                other, bool):
            if not np.isfinite(complex(other)):
                raise ValueError(f"cannot {op} a non-finite number")
            return complex(other) * self.ensembles.identity()
        return None

    def __add__(self, other):
        other = self._other(other, "add")
        if other is None:
            return NotImplemented
        terms = {w: v for w, v in self._terms.items()}
        for w, (idx, c) in other._terms.items():
            if w in terms:
                terms[w] = (np.concatenate([terms[w][0], idx]),
                            np.concatenate([terms[w][1], c]))
            else:
                terms[w] = (idx, c)
        return EnsembleOperator(self.ensembles, terms)

    __radd__ = __add__

    def __neg__(self):
        return -1.0 * self

    def __sub__(self, other):
        other = self._other(other, "subtract")
        if other is None:
            return NotImplemented
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, (Number, np.number)) and not isinstance(
                other, bool):
            c = complex(other)
            if not np.isfinite(c):
                raise ValueError("cannot multiply by a non-finite number")
            return EnsembleOperator(self.ensembles, {
                w: (idx, coef * c) for w, (idx, coef) in self._terms.items()})
        other = self._other(other, "multiply")
        if other is None:
            return NotImplemented
        terms = []
        for w1, (i1, c1) in self._terms.items():
            for w2, (i2, c2) in other._terms.items():
                n1, n2 = len(c1), len(c2)
                idx = np.concatenate([np.repeat(i1, n2, axis=0),
                                      np.tile(i2, (n1, 1))], axis=1)
                terms.append((w1 + w2, idx, np.outer(c1, c2).ravel()))
        return EnsembleOperator(self.ensembles, _merge(terms))

    def __rmul__(self, other):
        if isinstance(other, (Number, np.number)) and not isinstance(
                other, bool):
            return self * other
        return NotImplemented

    def __pow__(self, n):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) \
                or n < 0:
            raise ValueError(f"power must be an integer >= 0, got {n!r}")
        out = self.ensembles.identity()
        for _ in range(n):
            out = out * self
        return out

    def __truediv__(self, other):
        if isinstance(other, (Number, np.number)) and not isinstance(
                other, bool):
            if other == 0:
                raise ValueError("cannot divide an EnsembleOperator by 0")
            return self * (1.0 / other)
        return NotImplemented

    def dag(self):
        """Hermitian conjugate."""
        return EnsembleOperator(self.ensembles, {
            w[::-1].translate(_DAGGER): (idx[:, ::-1], np.conj(c))
            for w, (idx, c) in self._terms.items()})

    def linear_coefficients(self):
        """``(c0, c_minus, c_plus, c_z)`` of a degree-1 operator.

        ``c0`` is the constant and the others are vectors over the sites
        with op = c0 + sum_m c_minus[m] J-_m + c_plus[m] J+_m + c_z[m] Jz_m;
        a mode's a counts in ``c_plus`` and a^+ in ``c_minus`` (their
        symbols are the site's S+ and S-, see symbols.py).
        """
        if self.degree > 1:
            raise ValueError("operator is not linear in J+, Jz, J- (and a, "
                             "a^+)")
        out = {letter: np.zeros(self.ensembles.sites, complex)
               for letter in "-+z"}
        column = {"a": "+", "c": "-"}
        c0 = 0j
        for w, (idx, c) in self._terms.items():
            if w:
                np.add.at(out[column.get(w, w)], idx[:, 0], c)
            else:
                c0 = complex(c.sum())
        return c0, out["-"], out["+"], out["z"]

    # -- Weyl symbols -------------------------------------------------------

    def factored_terms(self):
        """The Weyl symbol as products of on-site symbols.

        Returns a list of ``(words, idx, coef)``: ``words`` a tuple of
        single-ensemble words, ``idx`` an (n, len(words)) array of distinct
        ensembles, so the symbol is sum over rows of coef times the product
        of ``word_symbol(words[b])`` on ensemble ``idx[:, b]``.  Letters on
        one ensemble are multiplied with the star product (exact on-site
        symbols, docs/theory.md Section 3); distinct ensembles by plain products.
        """
        out = []
        for w, (idx, c) in self._terms.items():
            if not w:
                out.append(((), idx, c))
                continue
            # rows are sorted by ensemble: blocks start where the index changes
            starts = np.ones_like(idx, dtype=bool)
            starts[:, 1:] = idx[:, 1:] != idx[:, :-1]
            patterns, inverse = np.unique(starts, axis=0, return_inverse=True)
            for k, pattern in enumerate(patterns):
                rows = np.flatnonzero(inverse.ravel() == k)
                begin = np.flatnonzero(pattern)
                end = np.append(begin[1:], len(w))
                words = tuple(w[s:e] for s, e in zip(begin, end))
                out.append((words, idx[rows][:, begin], c[rows]))
        return out

    def symbol(self):
        """The Weyl symbol as a dict (see symbols.py); use for small sums."""
        terms = []
        for words, idx, coef in self.factored_terms():
            for row, c in zip(idx, coef):
                sym = {(): 1.0}
                for word, m in zip(words, row):
                    sym = multiply(sym, on_ensemble(word_symbol(word), int(m)))
                terms.append((c, sym))
        return add(*terms)

    # -- matrices -----------------------------------------------------------

    def to_qobj(self, fock_dims=None):
        """The operator on the tensor product of PIQS Dicke bases.

        For one ensemble this is the Dicke-basis operator of ``qutip.piqs``.
        With modes, their Fock spaces (truncated to ``fock_dims``, one
        dimension per mode) come first, as in ``tensor(destroy(n), jz)``;
        the truncation belongs to the matrix, not to the TWA.
        """
        ens = self.ensembles
        fock_dims = fock_dims_of(fock_dims, ens.modes)
        dims = [num_dicke_states(int(n)) for n in ens.N] + fock_dims
        order = list(range(ens.M, ens.sites)) + list(range(ens.M))
        dims = [dims[k] for k in order]
        total = int(np.prod(dims, dtype=float))
        if total > MAX_QOBJ_DIM:
            raise ValueError(f"to_qobj: the Hilbert space has dimension "
                             f"{total} > {MAX_QOBJ_DIM}; use twasolve with "
                             "the operator itself")
        out = sp.csr_matrix((total, total), dtype=complex)
        eyes = [sp.identity(d, dtype=complex, format="csr") for d in dims]
        for c, factors in self.product_factors(fock_dims):
            mat = sp.identity(1, dtype=complex, format="csr")
            for f, eye in zip([factors[k] for k in order], eyes):
                mat = sp.kron(mat, eye if f is None else f, format="csr")
            out = out + c * mat
        return qutip.Qobj(out, dims=[dims, dims])

    def dicke_diagonal(self, N, j=None, m=None):
        """Diagonal of a one-ensemble operator in the PIQS Dicke basis of N
        emitters, without matrices (the e_ops form of the population
        solvers): each product is applied to ``|j, m>`` letter by letter.

        Parameters
        ----------
        N : int
        j, m : arrays, optional
            Dicke labels to evaluate at (any shape); default: the whole
            basis in PIQS order.

        Raises
        ------
        ValueError
            For several ensembles or another N.
        """
        if self.ensembles.sites != 1 or self.ensembles.N[0] != N:
            raise ValueError(f"dicke_diagonal: the operator acts on "
                             f"{self.ensembles!r}, not one ensemble of "
                             f"N = {N} emitters")
        if j is None:
            j, m = dicke_labels(int(N))
        j, m = np.asarray(j, dtype=float), np.asarray(m, dtype=float)
        out = np.zeros(j.shape, complex)
        for w, (_, c) in self._terms.items():
            if w.count("+") != w.count("-"):
                continue  # changes m: no diagonal part
            value, mm = np.ones(j.shape), m.copy()
            for letter in reversed(w):
                if letter == "z":
                    value = value * mm
                    continue
                step = 1 if letter == "+" else -1
                value = value * np.sqrt(np.maximum(
                    j * (j + 1) - mm * (mm + step), 0.0))
                mm = mm + step
            out += c.sum() * value
        return out

    def product_factors(self, fock_dims=()):
        """Each product as ``(coefficient, factors)``, one matrix per site
        (Dicke basis; modes: Fock space of ``fock_dims``), None where the
        product has no letter on it."""
        sizes = list(self.ensembles.N) + list(fock_dims)
        for w, (idx, coef) in self._terms.items():
            for row, c in zip(idx, coef):
                factors = [None] * len(sizes)
                for letter, m in zip(w, row):
                    x = _letter_matrix(letter, sizes[m])
                    factors[m] = x if factors[m] is None else factors[m] @ x
                yield c, factors


def _letter_matrix(letter, size):
    """The matrix of a letter: Dicke basis of ``size`` emitters, or a Fock
    space of dimension ``size`` for a mode."""
    if letter in "ac":
        a = sp.csr_matrix(qutip.destroy(int(size)).full())
        return a if letter == "a" else a.conj().T.tocsr()
    jz, jp, jm = collective_matrices(int(size))
    return {"+": jp, "z": jz, "-": jm}[letter]


def _merge(terms):
    """Group (word, idx, coef) triples by word."""
    out = {}
    for w, idx, c in terms:
        if w in out:
            out[w] = (np.concatenate([out[w][0], idx]),
                      np.concatenate([out[w][1], c]))
        else:
            out[w] = (idx, c)
    return out


def _canonical(terms):
    """Sort each row's letters by ensemble, merge equal rows, drop zeros."""
    regrouped = []
    for w, (idx, c) in terms.items():
        idx = np.asarray(idx, dtype=np.int64).reshape(len(c), len(w))
        c = np.asarray(c, dtype=complex)
        if len(w) < 2:
            regrouped.append((w, idx, c))
            continue
        order = np.argsort(idx, axis=1, kind="stable")
        idx = np.take_along_axis(idx, order, axis=1)
        codes = np.array([_CODE[x] for x in w])[order]
        key = codes @ (len(_CODE) ** np.arange(len(w)))
        for k in np.unique(key):
            rows = key == k
            word = "".join(_LETTER[codes[np.argmax(rows)]])
            regrouped.append((word, idx[rows], c[rows]))
    out = {}
    for w, (idx, c) in _merge(regrouped).items():
        if not w:
            idx, c = idx[:1], c.sum(keepdims=True)
        elif len(idx) > 1:
            idx, c = _sum_equal_rows(idx, c)
        keep = c != 0
        if keep.any():
            out[w] = (idx[keep], c[keep])
    return out


def _sum_equal_rows(idx, c):
    """Merge rows of ``idx`` that are equal, summing their coefficients."""
    base = int(idx.max()) + 1
    if base ** idx.shape[1] < 2 ** 62:
        key = idx @ (base ** np.arange(idx.shape[1], dtype=np.int64))
        _, first, inverse = np.unique(key, return_index=True,
                                      return_inverse=True)
        rows = idx[first]
    else:
        rows, inverse = np.unique(idx, axis=0, return_inverse=True)
    summed = np.zeros(len(rows), dtype=complex)
    np.add.at(summed, inverse.ravel(), c)
    return rows, summed
