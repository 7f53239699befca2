"""Numerical faults, the validity warning, timeouts and interrupts."""

import warnings

import numpy as np
import pytest
from qutip import piqs

from qutip_twa import twasolve
from qutip_twa.run import BatchJob
from qutip_twa import TwaFaultWarning, TwaValidityWarning

N = 6
SYSTEM = piqs.Dicke(N, collective_emission=1.0, pumping=5.0)
TLIST = np.linspace(0, 5, 6)
COARSE = {"dt": 0.5, "adaptive": False}  # far too large: many blow up


def test_faults_raise_by_default():
    with pytest.raises(FloatingPointError, match=r"smaller options\['dt'\]"):
        twasolve(SYSTEM, piqs.excited(N), TLIST, ntraj=256, seeds=1,
                 options=COARSE)


def test_faults_can_be_excluded():
    opts = dict(COARSE, faults="exclude", batch_size=512)
    with pytest.warns(TwaFaultWarning, match="excluded"):
        res = twasolve(SYSTEM, piqs.excited(N), TLIST, ntraj=1024, seeds=1,
                       e_ops=[piqs.jspin(N, "z")], options=opts)
    counts = res.stats["faulty_trajectories"]
    assert counts[0] == 0 and np.all(np.diff(counts) >= 0)
    assert counts[-1] == res.stats["excluded_trajectories"] > 0
    assert res.num_trajectories == 1024 - counts[-1]
    assert np.all(np.isfinite(res.expect[0]))
    # the kept set, and so the result, does not depend on the batching
    with pytest.warns(TwaFaultWarning):
        again = twasolve(SYSTEM, piqs.excited(N), TLIST, ntraj=1024,
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


@pytest.mark.parametrize("dt, outside", [(0.1, True), (0.05, True),
                                         (0.02, False), (None, False)])
def test_coarse_steps_that_leave_the_sphere_on_average_warn(dt, outside):
    """Dicke(20, collective_emission=1) with dt = 0.1 gives <Jz> = -12.6 at
    t = 0.6 (exact -9.98) without any trajectory past the fault bound; the
    mean of J - N/2 (exactly <= 0; healthy TWA runs <= 0.17) catches it."""
    n = 20
    system = piqs.Dicke(n, collective_emission=1.0)
    opts = {"adaptive": False, "dt": dt} if dt else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = twasolve(system, piqs.excited(n), np.linspace(0, 0.6, 7),
                       ntraj=1000, seeds=1, options=opts)
    flagged = any("physical region J <= N/2" in str(w.message)
                  for w in caught if w.category is TwaFaultWarning)
    assert flagged == outside, res.stats["mean_J_excess"]
