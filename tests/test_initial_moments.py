"""The initial sampling reproduces the first and second moments of the
collective spin of every Dicke state and coherent spin state.

Checked at t = 0 with the package's own states and operators: the means of
J_a and of the symmetrised products (J_a J_b + J_b J_a) / 2 against their
exact values, for N = 1 ... 30, every m of j = N/2 and j = N/2 - 1, and
coherent states in several directions.  About 10^4 comparisons are made, so
each allows SAFETY + 1 standard errors (a chance of 6e-7 each).
"""

import numpy as np
import pytest

from qutip_twa import Ensembles, TwaSolver

from conftest import SAFETY

NTRAJ = 20000
AXES = "xyz"


def _operators(ens):
    J = [ens.jx(0), ens.jy(0), ens.jz(0)]
    ops = {a: J[k] for k, a in enumerate(AXES)}
    for k, a in enumerate(AXES):
        for q in range(k, 3):
            ops[a + AXES[q]] = (J[k] * J[q] + J[q] * J[k]) / 2
    return ops


def _dicke_moments(j, m):
    return {"x": 0, "y": 0, "z": m, "xx": (j * (j + 1) - m * m) / 2,
            "yy": (j * (j + 1) - m * m) / 2, "zz": m * m,
            "xy": 0, "xz": 0, "yz": 0}


def _coherent_moments(j, theta, phi):
    n = np.array([np.sin(theta) * np.cos(phi),
                  np.sin(theta) * np.sin(phi), np.cos(theta)])
    out = {a: j * n[k] for k, a in enumerate(AXES)}
    for k, a in enumerate(AXES):
        for q in range(k, 3):
            out[a + AXES[q]] = (j * j * n[k] * n[q]
                                + j / 2 * ((k == q) - n[k] * n[q]))
    return out


def _check(result, exact, what, safety=SAFETY + 1):
    for key, value in exact.items():
        mean = result.e_data[key][0]
        se = result.stderr_e_data[key][0]
        assert abs(mean - value) <= safety * se + 1e-9 * (1 + abs(value)), \
            (what, key, mean, value, se)


@pytest.mark.parametrize("N", range(1, 31))
def test_dicke_and_coherent_states(N):
    ens = Ensembles([N])
    ops = _operators(ens)
    solver = TwaSolver(0 * ens.jz(0), N=N)
    j = N / 2
    for jj in (j, j - 1) if N > 1 else (j,):
        for m in np.arange(-jj, jj + 1):
            result = solver.run(ens.dicke(jj, m), [0.0], NTRAJ, e_ops=ops,
                                seeds=N)
            _check(result, _dicke_moments(jj, m), (N, jj, m))
    for theta, phi in [(0.3, 0.0), (np.pi / 2, 1.0), (2.5, 4.0)]:
        result = solver.run(ens.css(theta, phi), [0.0], NTRAJ, e_ops=ops,
                            seeds=N)
        _check(result, _coherent_moments(j, theta, phi), (N, theta, phi))


@pytest.mark.parametrize("m", [0, 1, -2])
def test_ring_sampling_misses_jz2_by_one_eighth(m):
    """The paper's fixed-modulus sampling, kept as an option: with both
    Schwinger modes occupied, Jz = m on every trajectory and the symbol of
    Jz^2 is m^2 - 1/8."""
    N = 8
    ens = Ensembles([N])
    solver = TwaSolver(0 * ens.jz(0), N=N,
                       options={"initial_sampling": "ring"})
    result = solver.run(ens.dicke(3, m), [0.0], 1000,
                        e_ops=[ens.jz(0) * ens.jz(0)], seeds=1)
    np.testing.assert_allclose(result.expect[0][0], m * m - 1 / 8,
                               atol=1e-9)


def test_initial_sampling_option_is_checked():
    ens = Ensembles([4])
    with pytest.raises(ValueError, match="initial_sampling"):
        TwaSolver(0 * ens.jz(0), N=4, options={"initial_sampling": "wigner"})
