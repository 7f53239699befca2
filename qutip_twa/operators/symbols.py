"""Weyl symbols of collective spin operators, computed with the Moyal product.

Each ensemble is the two-mode Schwinger representation (a: excited, b: ground)
with J+ = a^+ b, J- = b^+ a, Jz = (a^+ a - b^+ b)/2.  Symbols are first built
as polynomials in (a, a*, b, b*) with the exact (terminating) Moyal star
product, then rewritten in the real phase-space variables of the ensemble

    Sx, Sy, Sz  (S+ = conj(a) b = Sx + i Sy),   s = (|a|^2 + |b|^2)/2 = J + 1/2.

A symbol over several ensembles is a ``dict`` mapping a monomial, the sorted
tuple of its variable indices ``4 * site + k`` (k = 0: Sx, 1: Sy, 2: Sz,
3: s; a repeated index is a power), to its complex coefficient.

A bosonic mode (letters ``"a"``: annihilation, ``"c"``: creation) takes a
site of its own, with the engine's amplitudes (1, alpha) of that site: its
variables read Sx + i Sy = alpha and s - Sz = |alpha|^2, so the mode's
symbols, built with the one-mode Moyal product, are polynomials in the same
four variables (docs/theory.md, Cavity modes).
"""

from functools import lru_cache
from math import comb, factorial

import numpy as np

__all__ = ["SX", "SY", "SZ", "S", "MODE_LETTERS", "word_symbol", "monomial_symbol",
           "symbol_of_coefficients", "multiply", "add", "on_ensemble", "evaluate", "phase_variables"]

SX, SY, SZ, S = 0, 1, 2, 3
_TOL = 1e-13


# -- polynomials in (a, a*, b, b*): keys (i, j, k, l) for a^i a*^j b^k b*^l --

def _derivative(exponent, order):
    """Coefficient and exponent of d^order/dz^order z^exponent."""
    if order > exponent:
        return 0.0, 0
    return factorial(exponent) / factorial(exponent - order), exponent - order


def _mode_star_terms(e_f, e_g):
    """Moyal expansion for one mode: yields (weight, exp_f', exp_g') terms.

    f * g = sum_n 1/(2^n n!) sum_k C(n,k) (-1)^(n-k)
            (d_z^k d_z*^(n-k) f) (d_z*^k d_z^(n-k) g).
    e_f, e_g are (power of z, power of z*).
    """
    (zf, cf), (zg, cg) = e_f, e_g
    for n in range(0, zf + cf + 1):
        for k in range(0, n + 1):
            w1, zf2 = _derivative(zf, k)
            w2, cf2 = _derivative(cf, n - k)
            w3, cg2 = _derivative(cg, k)
            w4, zg2 = _derivative(zg, n - k)
            w = w1 * w2 * w3 * w4
            if w:
                w *= comb(n, k) * (-1) ** (n - k) / (2 ** n * factorial(n))
                yield w, (zf2, cf2), (zg2, cg2)


def _star(f, g):
    """Moyal star product of two-mode polynomials f * g."""
    out = {}
    for (i1, j1, k1, l1), c1 in f.items():
        for (i2, j2, k2, l2), c2 in g.items():
            for wa, (ia, ja), (ib, jb) in _mode_star_terms((i1, j1), (i2, j2)):
                for wb, (ka, la), (kb, lb) in _mode_star_terms((k1, l1),
                                                               (k2, l2)):
                    key = (ia + ib, ja + jb, ka + kb, la + lb)
                    out[key] = out.get(key, 0.0) + c1 * c2 * wa * wb
    return {k: v for k, v in out.items() if abs(v) > _TOL}


_JP = {(0, 1, 1, 0): 1.0}                        # conj(a) b
_JM = {(1, 0, 0, 1): 1.0}                        # a conj(b)
_JZ = {(1, 1, 0, 0): 0.5, (0, 0, 1, 1): -0.5}    # (|a|^2 - |b|^2) / 2
_ONE = {(0, 0, 0, 0): 1.0}


# -- polynomials in the real variables (Sx, Sy, Sz, s) --------------------

def multiply(f, g):
    """Ordinary product of two symbols (for variables that commute)."""
    out = {}
    for k1, c1 in f.items():
        for k2, c2 in g.items():
            key = tuple(sorted(k1 + k2))
            out[key] = out.get(key, 0.0) + c1 * c2
    return {k: v for k, v in out.items() if abs(v) > _TOL}


def add(*terms):
    """Sum of symbols, each given as ``(coefficient, symbol)``."""
    out = {}
    for coef, f in terms:
        for k, v in f.items():
            out[k] = out.get(k, 0.0) + coef * v
    return {k: v for k, v in out.items() if abs(v) > _TOL}


def _power(f, n):
    out = {(): 1.0}
    for _ in range(n):
        out = multiply(out, f)
    return out


def _to_real_variables(poly):
    """Rewrite a phase-invariant two-mode polynomial in (Sx, Sy, Sz, s)."""
    a2 = {(S,): 1.0, (SZ,): 1.0}        # |a|^2 = s + Sz
    b2 = {(S,): 1.0, (SZ,): -1.0}       # |b|^2 = s - Sz
    s_plus = {(SX,): 1.0, (SY,): 1j}    # conj(a) b
    s_minus = {(SX,): 1.0, (SY,): -1j}  # a conj(b)
    terms = []
    for (i, j, k, l), c in poly.items():
        if i + k != j + l:
            raise AssertionError("collective symbols are phase invariant")
        u, v = min(i, j), min(k, l)
        ladder = s_minus if i > j else s_plus
        term = multiply(multiply(_power(a2, u), _power(b2, v)),
                        _power(ladder, abs(i - j)))
        terms.append((c, term))
    return add(*terms)


_LETTERS = {"+": _JP, "z": _JZ, "-": _JM}
MODE_LETTERS = "ac"     # a and a^+ of a bosonic mode
_MODE_LETTERS = {"a": {(1, 0): 1.0}, "c": {(0, 1): 1.0}}  # alpha, conj(alpha)


def _mode_star(f, g):
    """Moyal star product of one-mode polynomials {(i, j): c} for
    alpha^i conj(alpha)^j."""
    out = {}
    for e1, c1 in f.items():
        for e2, c2 in g.items():
            for w, (i1, j1), (i2, j2) in _mode_star_terms(e1, e2):
                key = (i1 + i2, j1 + j2)
                out[key] = out.get(key, 0.0) + c1 * c2 * w
    return {k: v for k, v in out.items() if abs(v) > _TOL}


def _mode_to_real_variables(poly):
    """Rewrite a one-mode polynomial in the site variables: alpha = Sx + i Sy,
    |alpha|^2 = s - Sz."""
    norm2 = {(S,): 1.0, (SZ,): -1.0}
    alpha = {(SX,): 1.0, (SY,): 1j}
    alpha_c = {(SX,): 1.0, (SY,): -1j}
    terms = []
    for (i, j), c in poly.items():
        ladder = alpha if i > j else alpha_c
        terms.append((c, multiply(_power(norm2, min(i, j)),
                                  _power(ladder, abs(i - j)))))
    return add(*terms)


@lru_cache(maxsize=None)
def _word_symbol_cached(word):
    if word and word[0] in MODE_LETTERS:
        poly = {(0, 0): 1.0}
        for letter in word:
            poly = _mode_star(poly, _MODE_LETTERS[letter])
        return tuple(_mode_to_real_variables(poly).items())
    poly = _ONE
    for letter in word:
        poly = _star(poly, _LETTERS[letter])
    return tuple(_to_real_variables(poly).items())


def word_symbol(word):
    """Weyl symbol of a product of J+, Jz, J- on ensemble 0, or of a and
    a^+ on a mode.

    ``word`` spells the product left to right with the letters ``"+"``,
    ``"z"`` and ``"-"`` (a mode: ``"a"`` and ``"c"``); e.g. ``"-+"`` is
    J- J+ and ``"ca"`` is a^+ a.
    """
    return dict(_word_symbol_cached(word))


def monomial_symbol(p, q, r):
    """Weyl symbol of J+^p Jz^q J-^r on ensemble 0."""
    return word_symbol("+" * p + "z" * q + "-" * r)


def symbol_of_coefficients(coefficients):
    """Symbol of sum c * J+^p Jz^q J-^r, from ``{(p, q, r): c}``."""
    return add(*[(c, monomial_symbol(*pqr)) for pqr, c in coefficients.items()])


def on_ensemble(symbol, m):
    """Move a single-ensemble symbol onto ensemble ``m``."""
    return {tuple(4 * m + k for k in key): c for key, c in symbol.items()}


# -- evaluation -------------------------------------------------------------

def phase_variables(a, b):
    """Array (..., 4 M) of (Sx, Sy, Sz, s) per ensemble from amplitudes.

    ``a`` and ``b`` have shape (..., M).
    """
    sp = np.conj(a) * b
    na, nb = np.abs(a) ** 2, np.abs(b) ** 2
    out = np.stack([sp.real, sp.imag, (na - nb) / 2, (na + nb) / 2], axis=-1)
    return out.reshape(*a.shape[:-1], 4 * a.shape[-1])


def evaluate(symbol, variables):
    """Evaluate a symbol on phase-space variables of shape (..., 4 M)."""
    out = np.zeros(variables.shape[:-1], dtype=complex)
    for key, c in symbol.items():
        term = np.full(variables.shape[:-1], c, dtype=complex)
        for k in key:
            term = term * variables[..., k]
        out += term
    return out
