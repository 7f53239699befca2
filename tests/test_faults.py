"""Numerical faults, the validity warning, timeouts and interrupts."""

import warnings

import numpy as np
import pytest
from qutip import piqs

from qutip_twa import twasolve
from qutip_twa.run import BatchJob
from qutip_twa import TwaFaultWarning, TwaValidityWarning
from qutip_twa.diagnostics import (EXCESS_MARGIN, EXCESS_SAFETY,
                                   warn_if_unreliable)

N = 6
SYSTEM = piqs.Dicke(N, collective_emission=1.0, pumping=5.0)
TLIST = np.linspace(0, 5, 6)
# local processes at steps far too large: about 10% of trajectories blow up
# (collective ones only turn the amplitudes, exactly, and cannot)
FAULTY = piqs.Dicke(N, emission=5.0, pumping=5.0)
COARSE = {"dt": 0.5, "adaptive": False}


def test_faults_raise_by_default():
    with pytest.raises(FloatingPointError, match=r"smaller options\['dt'\]"):
        twasolve(FAULTY, piqs.excited(N), TLIST, ntraj=256, seeds=1,
                 options=COARSE)


def test_faults_can_be_excluded():
    opts = dict(COARSE, faults="exclude", batch_size=512)
    with pytest.warns(TwaFaultWarning, match="excluded"):
        res = twasolve(FAULTY, piqs.excited(N), TLIST, ntraj=1024, seeds=1,
                       e_ops=[piqs.jspin(N, "z")], options=opts)
    counts = res.stats["faulty_trajectories"]
    assert counts[0] == 0 and np.all(np.diff(counts) >= 0)
    assert counts[-1] == res.stats["excluded_trajectories"] > 0
    assert res.num_trajectories == 1024 - counts[-1]
    assert np.all(np.isfinite(res.expect[0]))
    # the kept set, and so the result, does not depend on the batching
    with pytest.warns(TwaFaultWarning):
        again = twasolve(FAULTY, piqs.excited(N), TLIST, ntraj=1024,
                         seeds=1, e_ops=[piqs.jspin(N, "z")],
                         options=dict(opts, batch_size=256))
    np.testing.assert_array_equal(res.expect[0], again.expect[0])


def test_healthy_run_has_no_faults():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = twasolve(SYSTEM, piqs.excited(N), np.linspace(0, 1, 5),
                       ntraj=256, seeds=1, e_ops=[piqs.jspin(N, "z")])
    assert res.stats["excluded_trajectories"] == 0
    assert not res.stats["faulty_trajectories"].any()


def test_validity_warning_in_deep_subradiance():
    """|j=0, m=0> of two emitters: every trajectory starts with J < 1."""
    rho = piqs.dicke(2, 0, 0)
    with pytest.warns(TwaValidityWarning, match="J < 1"):
        twasolve(piqs.Dicke(2, emission=1.0), rho, [0.0, 0.1], ntraj=256,
                 seeds=1)


def test_non_finite_coefficient_is_rejected():
    H = [piqs.jspin(N, "z"), [piqs.jspin(N, "x"), lambda t: 1 / (t - 0.5)]]
    with pytest.raises(ValueError, match="non-finite value"):
        twasolve(H, piqs.excited(N), np.linspace(0, 1, 5), ntraj=4)


def test_timeout_returns_finished_batches():
    res = twasolve(SYSTEM, piqs.excited(N), np.linspace(0, 0.2, 3),
                   ntraj=1024, seeds=1, timeout=0.0,
                   options={"batch_size": 256})
    assert res.stats["end_condition"] == "timeout"
    assert res.num_trajectories == 256


def test_keyboard_interrupt_returns_finished_batches(monkeypatch):
    calls = []
    original = BatchJob.__call__

    def interrupted(self, *args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(BatchJob, "__call__", interrupted)
    res = twasolve(SYSTEM, piqs.excited(N), np.linspace(0, 0.2, 3),
                   ntraj=1024, seeds=1, e_ops=[piqs.jspin(N, "z")],
                   options={"batch_size": 256})
    assert res.stats["end_condition"] == "interrupted"
    assert res.num_trajectories == 256
    calls.clear()
    calls.append(1)  # the next call is the second: nothing finished yet
    with pytest.raises(KeyboardInterrupt):
        twasolve(SYSTEM, piqs.excited(N), np.linspace(0, 0.2, 3), ntraj=512,
                 options={"batch_size": 256})


@pytest.mark.parametrize("dt", [0.1, 0.05, 0.02, None])
def test_coarse_collective_steps_stay_on_the_sphere(dt):
    """Dicke(20, collective_emission=1) with steps up to a sixth of the run:
    the collective channel turns each trajectory exactly (theory Section
    5.3), so J keeps its start and |<Jz>| <= N/2 holds, where the former
    Heun scheme reached <Jz> = -12.6 at t = 0.6 with dt = 0.1; the mean
    excess check stays quiet."""
    n = 20
    system = piqs.Dicke(n, collective_emission=1.0)
    opts = {"adaptive": False, "dt": dt} if dt else None
    with warnings.catch_warnings():
        warnings.simplefilter("error", TwaFaultWarning)
        res = twasolve(system, piqs.excited(n), np.linspace(0, 0.6, 7),
                       ntraj=1000, seeds=1, e_ops=[piqs.jspin(n, "z")],
                       options=dict(opts or {}, store_states=True))
    J = np.array([state.J for state in res.states])
    np.testing.assert_allclose(J, J[:1].repeat(len(J), axis=0), rtol=1e-12)
    assert np.all(np.abs(res.expect[0].real) <= n / 2 + 0.1)


def test_leaving_the_sphere_on_average_warns():
    """The check itself: a mean of J - N/2 above EXCESS_MARGIN by more
    than EXCESS_SAFETY standard errors warns, one just below does not."""
    res = twasolve(SYSTEM, piqs.excited(N), np.linspace(0, 0.6, 4),
                   ntraj=256, seeds=1)
    se = res.stats["stderr_J_excess"]
    for shift, warns in [(0.0, False), (1.0, True)]:
        res.stats["mean_J_excess"] = EXCESS_MARGIN + EXCESS_SAFETY * se \
            + shift - 1e-9
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_if_unreliable(res, 0, res.num_trajectories, "a hint")
        flagged = any("physical region J <= N/2" in str(w.message)
                      for w in caught if w.category is TwaFaultWarning)
        assert flagged == warns
