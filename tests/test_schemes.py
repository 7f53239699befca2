"""The step options besides ``steps_per_rate`` (docs/theory.md Section 10):
plain Heun for comparison (``options["scheme"] = "heun"``) and a tolerance
on the error of the Hamiltonian's rotations (``options["tol"]``)."""

import numpy as np
import pytest
from qutip import piqs

from qutip_twa import Ensembles, models, twasolve
from qutip_twa.exact import pair_solve

from conftest import NTRAJ, assert_close_to_exact
from test_composite_accuracy import PAIR_BUDGET, PAIR_N

# at N = 10 the pair passes through J < 1 (the budget allows for it)
pytestmark = pytest.mark.filterwarnings("ignore:.*trajectories have J < 1")


def _laser(options, N=20, ntraj=NTRAJ // 2):
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    jpjm = piqs.jspin(N, "+") * piqs.jspin(N, "-") / N ** 2
    return twasolve(system, piqs.excited(N), np.linspace(0, 8 / N, 21),
                    e_ops=[jpjm], ntraj=ntraj, seeds=4, options=options)


def test_heun_converges_to_the_rotation_scheme():
    """At fine steps both schemes integrate the same equations: the same
    trajectories (same seeds) end within the statistics plus a step-error
    budget of 0.002 in <J+J->/N^2."""
    rotation = _laser({"steps_per_rate": 100})
    heun = _laser({"steps_per_rate": 100, "scheme": "heun"})
    assert heun.stats["steps"] > rotation.stats["steps"]  # n_p counts too
    se = np.hypot(rotation.stderr_expect[0], heun.stderr_expect[0])
    assert_close_to_exact(heun.expect[0], se, rotation.expect[0], 0.002,
                          "Heun against the rotation scheme")


@pytest.mark.parametrize("steps", [{"steps_per_rate": 2},
                                   {"adaptive": False, "dt": 0.5}])
def test_only_the_rotation_scheme_precesses_exactly(steps):
    """H = Jx from the ground state at 2 steps per rate, adaptive or fixed
    (20 steps to t = 10): the exact rotation follows <Jz> = -(N/2) cos t
    within the statistics; Heun's phase error, theta^3 / 3 per step that
    turns the amplitudes by theta = 1/4, adds up to about 0.1 rad."""
    N = 30
    ens = Ensembles(N)
    tlist = np.linspace(0, 10, 11)
    exact = -N / 2 * np.cos(tlist)
    runs = {scheme: twasolve(ens.jx(), ens.ground(), tlist,
                             e_ops=[ens.jz()], ntraj=2000, seeds=2,
                             options={**steps, "scheme": scheme})
            for scheme in ("rotation", "heun")}
    for run in runs.values():
        assert run.stats["steps"] == 20
    rotation, heun = (runs[k] for k in ("rotation", "heun"))
    assert_close_to_exact(rotation.expect[0], rotation.stderr_expect[0],
                          exact, 1e-9, "exact rotation")
    assert np.max(np.abs(heun.expect[0] - exact)
                  - 10 * heun.stderr_expect[0]) > 0.5


def test_tol_leaves_a_field_of_fixed_direction_alone():
    """Collective emission and pumping without a Hamiltonian: no field
    turns, so the tolerance changes nothing (the rotation-error estimate is
    0 and the dissipation sets every step)."""
    ref = _laser({}, ntraj=512)
    tol = _laser({"tol": 1e-3}, ntraj=512)
    assert tol.stats["steps"] == ref.stats["steps"]
    assert np.array_equal(tol.expect[0], ref.expect[0])


def _pair(options, ntraj=NTRAJ, seeds=11):
    ch = models.chain(2, PAIR_N, np.pi / 2, gamma=1.0, pumping=10.0)
    e_ops = {"I_F": ch.forward_emission() / (2 * PAIR_N) ** 2}
    tlist = np.linspace(0, 2.0, 41)
    twa = twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops, e_ops=e_ops,
                   ntraj=ntraj, seeds=seeds, options=options, **ch.rates)
    return twa, ch, tlist, e_ops


def test_tol_steps_follow_the_exchange_field_and_stay_accurate():
    """Paper Fig. 3b (two ensembles, phi = pi/2): the exchange precession
    sets the default step; with a tolerance the step follows how fast the
    exchange field turns.  Fewer steps as tol grows, and each run within
    the pair's TWA budget of the exact solution (measured at N = 20:
    steps 2710 default, 2271 / 1562 / 1357 at tol 1e-4 / 1e-3 / 1e-2, the
    largest error 0.0022-0.0028 against 0.0021 at 400 steps per rate)."""
    default, ch, tlist, e_ops = _pair({})
    exact = np.real(pair_solve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                               e_ops, **ch.rates).e_data["I_F"])
    steps = [default.stats["steps"]]
    for tol in (1e-4, 1e-3, 1e-2):
        twa, *_ = _pair({"tol": tol})
        steps.append(twa.stats["steps"])
        assert_close_to_exact(twa.e_data["I_F"].real, twa.stderr_expect[0],
                              exact, PAIR_BUDGET[PAIR_N], f"tol = {tol}")
    assert steps == sorted(steps, reverse=True)
    assert steps[2] < 0.75 * steps[0]


def test_tol_runs_are_bit_identical_whatever_the_batching():
    ref, *_ = _pair({"tol": 1e-3}, ntraj=600, seeds=3)
    for options in [dict(batch_size=256), dict(map="serial")]:
        other, *_ = _pair({"tol": 1e-3, **options}, ntraj=600, seeds=3)
        assert np.array_equal(other.expect[0], ref.expect[0]), options
        assert other.stats["steps"] == ref.stats["steps"]


def test_tol_needs_the_rotation_scheme():
    with pytest.raises(ValueError, match="tol.*scheme"):
        _pair({"tol": 1e-3, "scheme": "heun"}, ntraj=10)
