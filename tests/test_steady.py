"""Stationary expectation values (TwaSolver.steady, steadystate_expect)
against exact steady states (docs/theory.md Section 12)."""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import Ensembles, TwaSolver, steadystate_expect

from conftest import SAFETY

# N -> budget on <Jz>/N of local pumping 1 + emission 0.5: exact 1/6, the
# product of single-emitter steady states; measured 0.028, 0.011, 0.00002
PRODUCT_BUDGET = {10: 0.030, 100: 0.012, 100000: 0.001}


def assert_within(value, stderr, exact, budget, name):
    err = abs(value - exact)
    assert err <= budget + SAFETY * stderr, (
        f"{name}: |TWA - exact| = {err:.4g} exceeds budget {budget} + "
        f"{SAFETY} x stderr {stderr:.3g}")


@pytest.mark.parametrize("N", list(PRODUCT_BUDGET))
def test_local_pumping_and_emission_reach_the_product_steady_state(N):
    ens = Ensembles([N])
    res = steadystate_expect(0 * ens.jz(0), e_ops=[ens.jz(0)], pumping=1.0,
                             emission=0.5, ntraj=2000, seeds=N)
    assert_within(res.expect[0].real / N, res.stderr_expect[0] / N,
                  (1 - 0.5) / (2 * (1 + 0.5)), PRODUCT_BUDGET[N],
                  f"product N={N}")
    assert 0 < res.stats["t_relax"] < res.stats["t_end"]


def long_time_exact(system, e_ops, t_end):
    """<e_ops> of mesolve from the excited state at t_end (stationary)."""
    tlist = np.linspace(0, t_end, 201)
    out = qutip.mesolve(system.liouvillian(), piqs.excited(system.N), tlist,
                        e_ops=e_ops, options={"nsteps": 10 ** 6})
    return [values[-1] for values in out.expect]


def test_superradiant_laser_steady_state():
    """N = 10, pump 0.25 N: the laser budget of Section 8 (0.009 in
    <J+J->/N^2); measured 0.0057."""
    N = 10
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    exact, = long_time_exact(system, [jp * jm], 40.0)
    res = steadystate_expect(system, e_ops=[jp * jm], ntraj=2000, seeds=1)
    assert_within(res.expect[0].real / N ** 2, res.stderr_expect[0] / N ** 2,
                  exact / N ** 2, 0.009, "laser")


def test_boundary_time_crystal_relaxes_at_finite_N():
    """H = Jx, collective emission 0.5 / N (deep in the oscillating phase):
    at N = 20 the mean relaxes (exact <Jz>/N = -0.0012, <J+J->/N^2 = 0.185
    by t = 400) although every trajectory keeps precessing; measured
    errors 0.00002 and 0.0006."""
    N = 20
    jz, jp, jm = piqs.jspin(N, "z"), piqs.jspin(N, "+"), piqs.jspin(N, "-")
    system = piqs.Dicke(N, hamiltonian=piqs.jspin(N, "x"),
                        collective_emission=0.5 / N)
    exact = long_time_exact(system, [jz, jp * jm], 400.0)
    res = steadystate_expect(system, e_ops=[jz, jp * jm], ntraj=1000, seeds=2)
    for k, (norm, budget) in enumerate([(N, 0.003), (N ** 2, 0.003)]):
        assert_within(res.expect[k].real / norm, res.stderr_expect[k] / norm,
                      exact[k] / norm, budget, f"BTC e_ops[{k}]")


def test_seeded_steady_states_are_reproducible():
    ens = Ensembles([20])
    solver = TwaSolver(0 * ens.jz(0), pumping=1.0, emission=0.5)
    first = solver.steady(ntraj=300, e_ops={"z": ens.jz(0)}, seeds=4)
    again = solver.steady(ntraj=300, e_ops={"z": ens.jz(0)}, seeds=4)
    assert first.e_data == again.e_data
    assert first.stderr_e_data == again.stderr_e_data


def test_no_stationary_window_is_an_error():
    N = 10
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    with pytest.raises(RuntimeError, match="no steady state by t"):
        steadystate_expect(system, e_ops=[piqs.jspin(N, "z")], ntraj=300,
                           seeds=1, t_relax=0.01, max_time=0.04)


@pytest.mark.parametrize("kwargs, match", [
    ({"e_ops": None, "pumping": 1.0}, "e_ops"),
    ({"e_ops": "z"}, "no dissipation")])
def test_bad_steady_state_requests(kwargs, match):
    ens = Ensembles([10])
    if kwargs["e_ops"] == "z":
        kwargs = dict(kwargs, e_ops=[ens.jz(0)])
    with pytest.raises(ValueError, match=match):
        steadystate_expect(ens.jx(0), **kwargs)


def test_an_oscillating_mean_is_reported_with_its_period():
    """H = 10 Jx with weak collective emission, N = 40: over [2, 4] the
    mean precesses with period 2 pi / 10 = 0.63 (one FFT bin: 0.675)."""
    N = 40
    system = piqs.Dicke(N, hamiltonian=10 * piqs.jspin(N, "x"),
                        collective_emission=0.01)
    with pytest.raises(RuntimeError, match=r"oscillates with period 0\.6"):
        steadystate_expect(system, e_ops=[piqs.jspin(N, "z")], ntraj=300,
                           seeds=1, t_relax=2.0, max_time=4.0)
