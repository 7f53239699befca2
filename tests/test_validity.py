"""The dark-edge diagnostic (docs/theory.md, Section 13).

Calibrated on the paper's Fig. 2b setting, where the TWA misses the
subradiant trough; the accuracy-table cases (test_accuracy.py,
test_composite_accuracy.py) turn its warning into an error.
"""

import warnings

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import TwaValidityWarning, twasolve
from qutip_twa.diagnostics import EDGE_OCCUPATION_THRESHOLD, EDGE_SAFETY

from conftest import SAFETY

EDGE = "the trajectories sit at a dark edge"


def flagged_times(result):
    occupation = result.stats["mean_edge_occupation"]
    stderr = result.stats["stderr_edge_occupation"]
    return occupation + EDGE_SAFETY * stderr < EDGE_OCCUPATION_THRESHOLD


@pytest.mark.parametrize("N", [25, 40])
def test_fig2b_trough_is_flagged_where_the_twa_fails(N):
    """Collective emission 1, local pumping 0.4, start excited: after the
    burst the ensemble sits at M = -J and the TWA gives 0.05-0.6 of the
    exact <J+J-> in the trough; the warning names that interval."""
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.4)
    tlist = np.linspace(0, 2, 41)
    jp = piqs.jspin(N, "+")
    A = jp * jp.dag()
    exact = np.real(qutip.mesolve(system.liouvillian(), piqs.excited(N),
                                  tlist, e_ops=[A]).expect[0])
    with pytest.warns(TwaValidityWarning, match=EDGE):
        twa = twasolve(system, piqs.excited(N), tlist, e_ops=[A],
                       ntraj=20000, seeds=N)  # resolves the failure
    flagged = flagged_times(twa)
    assert not flagged[0] and flagged.sum() >= 15
    err = np.abs(twa.expect[0].real - exact)
    failed = err > SAFETY * twa.stderr_expect[0]
    assert np.any(failed & flagged)
    # low in the flagged interval: never above by more than the noise, and
    # below at three quarters of its times or more (no bias: 1.5% chance)
    below = (twa.expect[0].real - exact)[flagged]
    assert np.all(below < SAFETY * twa.stderr_expect[0][flagged])
    assert np.mean(below < 0) >= 0.75
    trough = np.argmin(np.where((tlist > 0.3) & (tlist < 1.5), exact,
                                np.inf))
    assert flagged[trough]


def test_mirrored_model_is_flagged_at_the_upper_edge():
    """Collective pumping with local emission from the ground state: the
    same physics at M = +J."""
    N = 25
    system = piqs.Dicke(N, collective_pumping=1.0, emission=0.4)
    with pytest.warns(TwaValidityWarning, match=EDGE):
        twa = twasolve(system, piqs.ground(N), np.linspace(0, 2, 41),
                       ntraj=1000, seeds=1)
    assert flagged_times(twa)[10:20].all()


def test_pumped_start_from_the_edge_is_not_flagged():
    """The laser from the ground state passes the edge within about one
    return time, shorter than EDGE_DWELL."""
    N = 30
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", EDGE)
        twa = twasolve(system, piqs.ground(N), np.linspace(0, 8 / N, 161),
                       ntraj=1000, seeds=1)
    assert flagged_times(twa)[0]
    assert twa.stats["edge_return_time"] == pytest.approx(1 / N)


@pytest.mark.parametrize("rates", [
    {"collective_emission": 1.0},
    {"collective_emission": 1.0, "emission": 1.0, "dephasing": 1.0},
    {"collective_emission": 1.0, "collective_pumping": 0.5, "pumping": 1.0},
    {"pumping": 1.0}])
def test_no_diagnostic_without_a_fed_dark_edge(rates):
    """A dark edge needs collective jumps one way only and a local process
    that leaves it the other way."""
    N = 10
    twa = twasolve(piqs.Dicke(N, **rates), piqs.excited(N), [0, 0.1],
                   ntraj=256, seeds=1)
    assert "mean_edge_occupation" not in twa.stats
