"""Weyl symbols (docs/theory.md Section 3) and operator identification."""

import numpy as np
import pytest
from qutip import piqs

from qutip_twa.operators.symbols import (add, evaluate, phase_variables,
                                        symbol_of_coefficients)
from qutip_twa.translate.collective import collective_coefficients

TABLE = {  # operator builder -> symbol as a function of (Sx, Sy, Sz, s)
    "J+": (lambda jx, jy, jz, jp, jm: jp,
           lambda x, y, z, s: x + 1j * y),
    "Jz": (lambda jx, jy, jz, jp, jm: jz, lambda x, y, z, s: z),
    "J+J-": (lambda jx, jy, jz, jp, jm: jp * jm,
             lambda x, y, z, s: x * x + y * y + z - 0.25),
    "J-J+": (lambda jx, jy, jz, jp, jm: jm * jp,
             lambda x, y, z, s: x * x + y * y - z - 0.25),
    "Jx^2": (lambda jx, jy, jz, jp, jm: jx * jx,
             lambda x, y, z, s: x * x - 0.125),
    "Jy^2": (lambda jx, jy, jz, jp, jm: jy * jy,
             lambda x, y, z, s: y * y - 0.125),
    "Jz^2": (lambda jx, jy, jz, jp, jm: jz * jz,
             lambda x, y, z, s: z * z - 0.125),
    "J^2": (lambda jx, jy, jz, jp, jm: jx * jx + jy * jy + jz * jz,
            lambda x, y, z, s: s * s - 0.375),
}


def random_points(n=50, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 1)) + 1j * rng.normal(size=(n, 1))
    b = rng.normal(size=(n, 1)) + 1j * rng.normal(size=(n, 1))
    return phase_variables(a, b)


@pytest.mark.parametrize("name", list(TABLE))
def test_symbol_table(name):
    N = 8
    jx, jy, jz = piqs.jspin(N)
    ops = (jx, jy, jz, piqs.jspin(N, "+"), piqs.jspin(N, "-"))
    build, expected = TABLE[name]
    v = random_points()
    got = evaluate(symbol_of_coefficients(collective_coefficients(build(*ops), N, name)), v)
    np.testing.assert_allclose(got, expected(*v.T), atol=1e-10)


def test_star_product_gives_ordering_corrections():
    """W(J+) * W(J-) - W(J-) * W(J+) = 2 Sz, the symbol of [J+, J-] = 2 Jz,
    from the star product directly (not from the identification)."""
    from qutip_twa.operators.symbols import _JM, _JP, _star, _to_real_variables
    jpjm = _to_real_variables(_star(_JP, _JM))
    jmjp = _to_real_variables(_star(_JM, _JP))
    v = random_points()
    np.testing.assert_allclose(evaluate(add((1, jpjm), (-1, jmjp)), v),
                               2 * v[:, 2], atol=1e-12)


def test_quartic_symbol_from_star_products_and_from_identification():
    """W((J+J-)^2) two ways: the Moyal square of W(J+J-), and the
    identified polynomial J+^2 J-^2 - 2 J+ Jz J- (J-J+ = J+J- - 2Jz)."""
    from qutip_twa.operators.symbols import _JM, _JP, _star, _to_real_variables
    jpjm = _star(_JP, _JM)
    square = _to_real_variables(_star(jpjm, jpjm))
    N = 8
    op = (piqs.jspin(N, "+") * piqs.jspin(N, "-")) ** 2
    v = random_points()
    np.testing.assert_allclose(evaluate(square, v),
                               evaluate(symbol_of_coefficients(collective_coefficients(op, N, "op")), v),
                               rtol=1e-10, atol=1e-10)


def test_number_operator_squared():
    """Single-mode check of the star product: W(n^2) = |a|^4 - |a|^2."""
    from qutip_twa.operators.symbols import _star
    n = {(1, 1, 0, 0): 1.0, (0, 0, 0, 0): -0.5}
    assert _star(n, n) == {(2, 2, 0, 0): 1.0, (1, 1, 0, 0): -1.0}


def test_identification_of_J_squared_and_rejections():
    N = 6
    jx, jy, jz = piqs.jspin(N)
    coef = collective_coefficients(jx * jx + jy * jy + jz * jz, N, "J2")
    assert coef == {(0, 1, 0): -1.0, (1, 0, 1): 1.0, (0, 2, 0): 1.0}
    with pytest.raises(ValueError, match="op.*degree <= 4"):
        collective_coefficients(jz ** 5, N, "op")
    with pytest.raises(ValueError, match="rho.*collective"):
        collective_coefficients(piqs.dicke(N, 2, 1), N, "rho")
