"""Two-time correlations and spectra against exact references
(docs/theory.md Section 14).

Budgets are the TWA's systematic errors measured with 20000 trajectories
(closing note of the correlations issue), rounded up; SAFETY standard
errors of the TWA mean come on top.
"""

import numpy as np
import pytest
import qutip
from qutip import piqs

import qutip_twa as qt
from qutip_twa import (coherence_function_g1, coherence_function_g2,
                       correlation_2op_1t, correlation_2op_2t,
                       correlation_3op_1t, spectrum)

from conftest import NTRAJ, SAFETY, assert_close_to_exact

OPTIONS = {"atol": 1e-10, "rtol": 1e-8, "nsteps": 10 ** 6}
TAU = np.linspace(0, 2, 21)


def laser(N, pump=0.25):
    return piqs.Dicke(N, collective_emission=1.0, pumping=pump * N)


def exact_steady(system, T=10.0):
    return qutip.mesolve(system.liouvillian(), piqs.excited(system.N), [0, T],
                         options=OPTIONS).final_state


def exact_1t(system, rho, taulist, a, b):
    return qutip.correlation_2op_1t(system.liouvillian(), rho, taulist, [],
                                    a, b, options=OPTIONS)


# (N, pump / N) -> budget on |<J+(tau) J->| / N^2, falling with N
# (measured with 20000 trajectories: 0.0052, 0.0041, 0.0021, 0.0020)
LASER_BUDGET = {(10, 0.25): 0.007, (30, 0.25): 0.005, (10, 0.1): 0.004,
                (30, 0.1): 0.003}


@pytest.mark.parametrize("N, pump", list(LASER_BUDGET))
def test_superradiant_laser_first_order_correlation(N, pump):
    system = laser(N, pump)
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    exact = exact_1t(system, exact_steady(system), TAU, jp, jm)
    twa = correlation_2op_1t(system, None, TAU, [], jp, jm, ntraj=NTRAJ,
                             seeds=N, full_output=True)
    assert_close_to_exact(
        twa.correlation[0] / N ** 2, twa.stderr[0] / N ** 2, exact / N ** 2,
        LASER_BUDGET[N, pump], f"laser N={N} pump {pump} N")


# N -> budget on |<Jz(tau) Jz>| / N^2
BTC_BUDGET = {10: 0.003, 30: 0.001}  # measured 0.0019, 0.0007


@pytest.mark.parametrize("N", list(BTC_BUDGET))
def test_boundary_time_crystal_jz_correlation(N):
    """Paper Fig. 5 model with local emission, in its steady state."""
    system = piqs.Dicke(N, hamiltonian=N * piqs.jspin(N, "x"),
                        collective_emission=1.0, emission=0.2 * N)
    jz = piqs.jspin(N, "z")
    taulist = np.linspace(0, 10 / N, 41)
    exact = exact_1t(system, exact_steady(system, 2.0), taulist, jz, jz)
    twa = correlation_2op_1t(system, None, taulist, [], jz, jz, ntraj=NTRAJ,
                             seeds=N, full_output=True)
    assert_close_to_exact(twa.correlation[0] / N ** 2, twa.stderr[0] / N ** 2,
                          exact / N ** 2, BTC_BUDGET[N], f"BTC N={N}")


# measured with 20000 trajectories: 0.0088, 0.0041
@pytest.mark.parametrize("N, budget", [(10, 0.011), (30, 0.005)])
def test_non_stationary_start(N, budget):
    """<J+(t + tau) J-(t)> from the excited state, t = 2 / N (the burst)."""
    system = laser(N)
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    tlist = [0.0, 2.0 / N]
    exact = qutip.correlation_2op_2t(system.liouvillian(), piqs.excited(N),
                                     tlist, TAU, [], jp, jm,
                                     options=OPTIONS)
    twa = correlation_2op_2t(system, piqs.excited(N), tlist, TAU, [], jp, jm,
                             ntraj=NTRAJ, seeds=N, full_output=True)
    assert twa.correlation.shape == (2, len(TAU))
    for k in range(2):
        assert_close_to_exact(twa.correlation[k] / N ** 2,
                              twa.stderr[k] / N ** 2, exact[k] / N ** 2,
                              budget, f"start t = {tlist[k]:g}, N = {N}")


def test_rotation_of_a_coherent_state_is_exact():
    """H = w Jz, no dissipation: <J+(tau) J-> = exp(i w tau) <J+ J->; each
    trajectory rotates, so the TWA curve is its tau = 0 value rotated, and
    that value is <J+J-> + 1/4 (the neglected Lambda^2 term)."""
    N, w = 20, 3.0
    rho = piqs.css(N, x=1 / np.sqrt(2), y=1 / np.sqrt(2))
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    taulist = np.linspace(0, 2, 11)
    twa = correlation_2op_1t(w * piqs.jspin(N, "z"), rho, taulist, [], jp, jm,
                             ntraj=2000, seeds=1, full_output=True)
    c, se = twa.correlation[0], twa.stderr[0]
    np.testing.assert_allclose(c, c[0] * np.exp(1j * w * taulist),
                               rtol=1e-4)
    exact = qutip.expect(jp * jm, rho)
    assert abs(c[0] - exact - 0.25) <= SAFETY * se[0]


def test_independent_emitters():
    """Local emission only from the excited state: <J+(t + tau) J-(t)> =
    N exp(-t) exp(-tau / 2) (single-emitter regression, no cross terms)."""
    N, t = 20, 0.5
    taulist = np.linspace(0, 3, 13)
    twa = correlation_2op_2t(piqs.Dicke(N, emission=1.0), piqs.excited(N),
                             [0.0, t], taulist, [], piqs.jspin(N, "+"),
                             piqs.jspin(N, "-"), ntraj=NTRAJ, seeds=2,
                             full_output=True)
    for k, start in enumerate((0.0, t)):
        exact = N * np.exp(-start) * np.exp(-taulist / 2)
        assert_close_to_exact(twa.correlation[k] / N, twa.stderr[k] / N,
                              exact / N, 0.03, f"t = {start}")


def test_emission_spectrum_of_the_laser():
    """spectrum (J+, J-) against the transform of the exact correlation on
    the same delays; the peak is at w = 0 and its half width is the
    laser's linewidth."""
    N = 10
    system = laser(N)
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    taulist = np.linspace(0, 4, 81)
    wlist = np.linspace(-6, 6, 25)
    S, se, result = spectrum(system, wlist, [], jp, jm, taulist=taulist,
                             ntraj=NTRAJ, seeds=3, full_output=True)
    exact_c = exact_1t(system, exact_steady(system), taulist, jp, jm)
    weights = np.full(len(taulist), taulist[1])
    weights[[0, -1]] /= 2
    exact = 2 * np.real(np.exp(-1j * np.outer(wlist, taulist))
                        @ (weights * exact_c))
    assert np.argmax(exact) == 12  # the line is at w = 0
    # measured: peak 0.133 (se 0.012) against 0.150
    assert_close_to_exact(S / N ** 2, se / N ** 2, exact / N ** 2, 0.02,
                          "laser spectrum N = 10")


def steady_linewidth(N, options, ntraj, seeds):
    """The laser's FWHM 2 / int g1 dtau (pump 0.25 N Gamma, symmetric
    ordering) and its standard error (delta method over trajectories)."""
    ens = qt.Ensembles([N])
    solver = qt.TwaSolver(0 * ens.identity(), [ens.jm()], pumping=0.25 * N,
                          options=options)
    taulist = np.linspace(0, 4, 41)
    res = solver.correlation(None, None, taulist, ens.jp(), ens.jm(), ntraj,
                             seeds=seeds, keep_runs=True,
                             ordering="symmetric")
    weights = np.full(len(taulist), taulist[1])  # the trapezoid rule
    weights[[0, -1]] /= 2
    runs = res.runs[:, 0, :].real
    area = runs @ weights
    G0 = runs[:, 0]
    width = 2 * G0.mean() / area.mean()
    grad = np.array([2 / area.mean(), -width / area.mean()])
    cov = np.cov(np.vstack([G0, area])) / ntraj
    return width, float(np.sqrt(grad @ cov @ grad))


@pytest.mark.filterwarnings("ignore:.*J < 1")
def test_laser_linewidth_at_large_N():
    """The steady-state superradiant laser's linewidth is of order Gamma
    and nearly independent of N (Meiser et al., PRL 102, 163601 (2009));
    two steps per dissipation time give the default steps' linewidth
    (measured with 2000 trajectories: 1.08 and 1.04 at N = 1000, 1.00 at
    N = 10^4)."""
    coarse = {"steps_per_rate": (100, 2)}
    fine, se_fine = steady_linewidth(1000, None, 400, seeds=1)
    w3, se3 = steady_linewidth(1000, coarse, 400, seeds=2)
    w4, se4 = steady_linewidth(10 ** 4, coarse, 400, seeds=3)
    print(f"linewidths {fine:.3f} ({se_fine:.3f}), {w3:.3f} ({se3:.3f}), "
          f"{w4:.3f} ({se4:.3f})")
    assert abs(w3 - fine) <= SAFETY * np.hypot(se3, se_fine)
    assert abs(w4 - w3) <= 0.1 + SAFETY * np.hypot(se4, se3)
    assert 0.5 < w4 < 2.0


# N -> budget on |<J+(0) J+J-(tau) J-(0)>| / N^4 (measured with 8000 and
# 4000 trajectories over 0 <= tau <= 2: 0.00088, 0.00046)
G2_BUDGET = {10: 0.0012, 30: 0.0007}


@pytest.mark.parametrize("N", list(G2_BUDGET))
def test_intensity_correlation_of_the_laser(N):
    """The numerator of g2(tau), a three-operator correlation, in the
    steady state; g2 itself falls to about 1 within 2 / Gamma."""
    system = laser(N)
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    taulist = TAU[:13:2]
    rho = exact_steady(system)
    exact = qutip.correlation_3op_1t(system.liouvillian(), rho, taulist, [],
                                     jp, jp * jm, jm, options=OPTIONS)
    twa = correlation_3op_1t(system, None, taulist, [], jp, jp * jm, jm,
                             ntraj=NTRAJ // (N // 10), seeds=N,
                             full_output=True)
    assert_close_to_exact(twa.correlation[0] / N ** 4, twa.stderr[0] / N ** 4,
                          exact / N ** 4, G2_BUDGET[N], f"G2 N = {N}")


def test_g2_in_the_steady_state():
    N = 10
    g2, G2 = coherence_function_g2(laser(N), None, TAU[::4], [],
                                   piqs.jspin(N, "-"), ntraj=1000, seeds=5)
    np.testing.assert_allclose(g2 / G2, g2[0] / G2[0])  # one <J+J->^2
    assert 1.2 < g2[0].real < 2.0    # exact 1.49: bunched
    assert abs(g2[-1] - 1) < 0.3     # exact 1.00 at tau = 2


def test_g1_is_normalised_in_the_steady_state():
    N = 10
    g1, G1 = coherence_function_g1(laser(N), None, TAU, [],
                                   piqs.jspin(N, "-"), ntraj=1000, seeds=4)
    assert g1[0] == pytest.approx(1.0)
    np.testing.assert_allclose(g1, G1 / G1[0].real)
    assert abs(g1[-1]) < 0.5


@pytest.mark.parametrize("options", [{"batch_size": 256},
                                     {"map": "serial"},
                                     {"map": "loky", "num_cpus": 2}])
def test_seeded_correlations_are_reproducible(options):
    N = 10
    ens = qt.Ensembles([N])
    args = (ens.excited(), [0.0, 0.1], TAU[:6], ens.jp(), ens.jm(), 600)
    solver = qt.TwaSolver(0 * ens.jz(), [ens.jm()], pumping=2.5)
    first = solver.correlation(*args, seeds=7)
    solver.options = options
    again = solver.correlation(*args, seeds=7)
    np.testing.assert_array_equal(first.correlation, again.correlation)
    assert first.stats["num_trajectories"] == 600


def test_symmetric_ordering_accepts_nonlinear_b_op():
    N = 6
    system = laser(N)
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    c = correlation_2op_1t(system, piqs.excited(N), TAU[:3], [], jp * jm,
                           jp * jm, ordering="symmetric", ntraj=256, seeds=1)
    assert c.shape == (3,)
    with pytest.raises(ValueError, match="b_op.*linear"):
        correlation_2op_1t(system, piqs.excited(N), TAU[:3], [], jp, jp * jm,
                           ntraj=256)


def test_reverse_is_the_conjugate_of_swapped_operators():
    N = 6
    system = laser(N)
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    kw = dict(ntraj=256, seeds=1)
    rev = correlation_2op_1t(system, piqs.excited(N), TAU[:4], [], jm, jp,
                             reverse=True, **kw)
    fwd = correlation_2op_1t(system, piqs.excited(N), TAU[:4], [], jm, jp,
                             **kw)
    swapped = correlation_2op_1t(system, piqs.excited(N), TAU[:4], [],
                                 jp.dag(), jm.dag(), **kw)
    np.testing.assert_allclose(rev, np.conj(swapped))
    assert rev[0] == pytest.approx(fwd[0], rel=1e-3)  # <A B> either way


@pytest.mark.parametrize("kwargs, error, match", [
    ({"ordering": "normal"}, ValueError, "ordering must be one of"),
    ({"taulist": [0.1, 0.2]}, ValueError, "taulist must start at 0"),
    ({"taulist": [0.0, 0.2, 0.1]}, ValueError, "taulist must be strictly"),
    ({"a_op": lambda t, s: s.Sz}, TypeError, "a_op must be an operator"),
    ({"ntraj": 0}, ValueError, "ntraj"),
    ({"solver": "mc"}, ValueError, "solver must be one of"),
    ({"solver": None}, TypeError, "solver must be one of"),
])
def test_bad_requests(kwargs, error, match):
    N = 4
    call = dict(taulist=TAU[:3], a_op=piqs.jspin(N, "+"),
                b_op=piqs.jspin(N, "-"), solver="me", ntraj=16)
    ordering = kwargs.pop("ordering", "quantum")
    call.update(kwargs)
    with pytest.raises(error, match=match):
        correlation_2op_1t(laser(N), piqs.excited(N), call["taulist"], [],
                           call["a_op"], call["b_op"], call["solver"],
                           ntraj=call["ntraj"], ordering=ordering)


@pytest.mark.filterwarnings("ignore::qutip_twa.TwaValidityWarning")
def test_qutips_positional_arguments():
    """QuTiP's calls, solver name and options positional, run unchanged."""
    N = 10
    L = laser(N).liouvillian()
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    kw = dict(ntraj=64, seeds=3)
    named = correlation_2op_1t(L, piqs.excited(N), TAU[:3], [], jp, jm,
                               reverse=True, options={"store_states": True},
                               **kw)
    positional = correlation_2op_1t(L, piqs.excited(N), TAU[:3], [], jp, jm,
                                    "es", True, None, {"store_states": True},
                                    **kw)
    np.testing.assert_array_equal(named, positional)
    g2, _ = coherence_function_g2(L, None, TAU[:3], [], jm, "me", **kw)
    assert g2.shape == (3,) and np.all(np.isfinite(g2))
    wlist = np.linspace(-2, 2, 5)
    S = spectrum(L, wlist, [], jp, jm, "pi", taulist=TAU, **kw)
    assert S.shape == (5,) and np.all(np.isfinite(S))
    with pytest.raises(ValueError, match="solver must be one of"):
        spectrum(L, wlist, [], jp, jm, "me", taulist=TAU, **kw)


def test_time_dependent_system_is_refused():
    N = 4
    H = [piqs.jspin(N, "z"), [piqs.jspin(N, "x"), "cos(t)"]]
    with pytest.raises(ValueError, match="time-independent"):
        correlation_2op_1t(H, piqs.excited(N), TAU[:3], [],
                           piqs.jspin(N, "+"), piqs.jspin(N, "-"), ntraj=16)


def test_fixed_steps_agree_with_adaptive_steps():
    """options adaptive=False (fixed steps on each stage's own grid)."""
    N = 6
    system = laser(N)
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    runs = [correlation_2op_2t(system, piqs.excited(N), [0.0, 0.3, 0.9],
                               TAU[:6], [], jp, jm, ntraj=1000, seeds=s,
                               options=o, full_output=True)
            for s, o in ((1, None), (2, {"adaptive": False}))]
    diff = np.abs(runs[0].correlation - runs[1].correlation)
    se = np.hypot(runs[0].stderr, runs[1].stderr)
    assert np.all(diff <= SAFETY * se + 1e-3 * N ** 2)
