"""Hamiltonian terms in Sz and s integrated as exact rotations about z
(docs/theory.md Sections 5.3 and 10): one-axis twisting costs the same
number of steps at any N, and stays accurate."""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import Ensembles, TwaSolver, twasolve
from qutip_twa.engine.kernels import _in_sz_and_s, _z_rate

from conftest import assert_close_to_exact

SIZES = [10, 100, 1000, 10_000]


def _twisting(N, tlist, ntraj, **rates):
    ens = Ensembles(N)
    return twasolve(ens.jz() ** 2, ens.css(np.pi / 2, 0.0), tlist,
                    e_ops=[ens.jx()], ntraj=ntraj, seeds=1, **rates)


def test_twisting_steps_do_not_grow_with_N():
    """H = Jz^2 with local dephasing over a fixed time: the twisting
    frequency grows as N (10^4 at N = 10^4), the steps stay those of the
    dephasing alone and do not grow with N."""
    tlist = np.linspace(0, 1.0, 5)
    steps = [_twisting(N, tlist, 64, dephasing=2.0).stats["steps"]
             for N in SIZES]
    # the local rate counts a little more where the dephasing has
    # shortened J (kernels._increment), most at small N: 54.7 steps at
    # N = 10, 53.6 at 10^4
    assert max(steps) <= 1.05 * min(steps)
    assert steps[-1] <= steps[0] <= 100 * 2.0 * 1.0 + len(tlist)


@pytest.mark.parametrize("N", SIZES)
def test_twisting_against_the_exact_solution(N, ntraj):
    """<Jx>(t) = N/2 cos^(N-1)(t) for H = Jz^2 from the CSS along x, over
    the time in which it falls to about exp(-1): the TWA error of the first
    moment is of order 1/N, budget 0.02 (N = 10) scaled as 10/N."""
    tlist = np.linspace(0, 1.5 / np.sqrt(N), 16)
    res = _twisting(N, tlist, ntraj)
    exact = N / 2 * np.cos(tlist) ** (N - 1)
    assert_close_to_exact(res.expect[0] / (N / 2),
                          res.stderr_expect[0] / (N / 2), exact / (N / 2),
                          0.2 / N, f"twisting N = {N}")
    assert res.stats["steps"] == len(tlist) - 1  # one exact step each


def test_twisting_with_collective_decay_and_local_emission(ntraj):
    """Jz^2 twisting with single-ensemble collective decay and local
    emission (both turn with the twisting) against mesolve at N = 20:
    first moments within 0.01 N, as the drop-in workflows."""
    N = 20
    H = piqs.jspin(N, "z") ** 2 / N
    system = piqs.Dicke(N, hamiltonian=H, collective_emission=0.05,
                        emission=0.1)
    rho0 = piqs.css(N, np.pi / 2, 0.0, coordinates="polar")
    tlist = np.linspace(0, 4, 21)
    ops = [piqs.jspin(N, k) for k in "xyz"]
    exact = qutip.mesolve(system.liouvillian(), rho0, tlist, e_ops=ops)
    res = twasolve(system, rho0, tlist, e_ops=ops, ntraj=ntraj, seeds=3)
    for k in range(3):
        assert_close_to_exact(res.expect[k] / N, res.stderr_expect[k] / N,
                              exact.expect[k] / N, 0.01, f"J{'xyz'[k]}")


def _z_rate_of(H, c_ops, **rates):
    model = TwaSolver(H, c_ops, **rates).model.engine_model(np.zeros(2))
    return _z_rate(model, _in_sz_and_s(model.mono_var))


def test_what_turns_with_the_rotation():
    """The frequency of the Sz, s terms is left out of the step rate only
    where everything else turns with them."""
    e1, e2 = Ensembles(10), Ensembles(10, M=2)
    covariant = [
        (e1.jz() ** 2, []),
        (e1.jz() ** 2 + 0.3 * e1.jz(), [e1.lowering(1.0)]),
        (e1.jz() ** 2, [e1.inversion(0.5)]),
        (e2.jz(0) ** 2 + e2.jz(1) ** 2, [e2.lowering([1.0, 0.0])]),
    ]
    for H, c_ops in covariant:
        assert not _z_rate_of(H, c_ops, dephasing=1.0)
    turning_differently = [
        (e1.jz() ** 2 + e1.jx(), []),                      # other H
        (e1.jz() ** 2, [e1.lowering(1.0) + e1.inversion(0.2)]),  # mixed
        (e2.jz(0) ** 2, [e2.lowering([1.0, 1.0])]),        # two ensembles
        (e2.jz(0) ** 2 + e2.exchange(np.array([[0, 1], [1, 0]])), []),
        (e2.jz(0) * e2.jz(1), []),       # a coupling: the exchange path
    ]
    for H, c_ops in turning_differently:
        assert _z_rate_of(H, c_ops)
