"""Long runs stay physical (docs/theory.md Sections 5.3-5.4).

Local processes alone, from fully polarised states, to hundreds of
lifetimes.  Exact: local dephasing leaves the excited state unchanged;
local emission (pumping) ends in the ground (excited) state, |<Jz>| = N/2.
Before the fixes of Sections 5.3-5.4, <Jz>/(N/2) reached -2.9 (emission,
N = 10), 2.9 (pumping) and 2 (dephasing, N = 20) by t = 400.
"""

import numpy as np
import pytest

from qutip_twa import Ensembles, twasolve

from conftest import SAFETY

T_END = 400.0
# |<Jz>| of a polarised stationary state overshoots N/2 by about 0.1 (Section 5.4)
JZ_MARGIN = 0.2
# largest J - N/2 of any trajectory (Section 5.4: the vacuum tail, 6.4 at 10^6 trajectories)
J_MARGIN = 8.0

CASES = [("emission", 10, "excited", -1), ("emission", 100, "excited", -1),
         ("pumping", 10, "excited", 1), ("pumping", 100, "excited", 1),
         ("dephasing", 20, "excited", 1), ("emission", 20, "ground", -1)]


@pytest.mark.filterwarnings("error::qutip_twa.TwaFaultWarning")
@pytest.mark.parametrize("process, N, start, sign", CASES)
def test_polarised_states_stay_physical_for_400_lifetimes(process, N, start,
                                                          sign):
    ens = Ensembles([N])
    rho0 = ens.excited() if start == "excited" else ens.ground()
    tlist = np.array([0.0, 5, 20, 50, 100, 200, 400])
    result = twasolve(0 * ens.jz(0), rho0, tlist, e_ops=[ens.jz(0)],
                      ntraj=512, seeds=N, options={"store_states": True},
                      **{process: 1.0})
    jz, se = result.expect[0].real, result.stderr_expect[0]
    assert np.all(np.abs(jz) <= N / 2 + JZ_MARGIN + SAFETY * se), jz
    late = tlist >= 20
    assert np.all(np.abs(sign * jz[late] - N / 2)
                  <= JZ_MARGIN + SAFETY * se[late]), jz
    worst = max(np.max(state.J) for state in result.states)
    assert worst <= N / 2 + J_MARGIN, worst


def test_local_dephasing_keeps_the_excited_state():
    """An exact invariant of the Stratonovich equations: the j = 0 channel
    only turns phases, so <Jz> stays N/2 (Section 5.3)."""
    N = 20
    ens = Ensembles([N])
    tlist = np.linspace(0, 100, 11)
    result = twasolve(0 * ens.jz(0), ens.excited(), tlist, e_ops=[ens.jz(0)],
                      ntraj=512, seeds=3, dephasing=1.0)
    err = np.abs(result.expect[0].real - N / 2)
    assert np.all(err <= 0.02 + SAFETY * result.stderr_expect[0]), err


@pytest.mark.filterwarnings("error::qutip_twa.TwaFaultWarning")
@pytest.mark.parametrize("N", [10 ** 4, 10 ** 6])
def test_superradiance_stays_at_the_ground_state_for_200_lifetimes(N):
    """Collective emission from the excited state: after the burst (t about
    ln N / N) the exact state is M = -N/2.  There the field C = J- is small
    but decays at N/2, which the step must resolve (kernels._increment, the
    channel's reach); before, <Jz>/N reached -0.5025 at N = 10^4 and every
    trajectory left J <= N/2 at N = 10^6."""
    ens = Ensembles([N])
    tlist = np.array([0.0, 50, 100, 200]) / N
    result = twasolve(0 * ens.jz(0), ens.excited(), tlist, c_ops=[ens.jm(0)],
                      e_ops=[ens.jz(0)], ntraj=256, seeds=4,
                      options={"store_states": True})
    jz, se = result.expect[0].real, result.stderr_expect[0]
    assert np.all(np.abs(jz[1:] + N / 2) <= JZ_MARGIN + SAFETY * se[1:]), jz
    worst = max(np.max(state.J) for state in result.states)
    assert worst <= N / 2 + J_MARGIN, worst


@pytest.mark.filterwarnings("error::qutip_twa.TwaFaultWarning")
@pytest.mark.filterwarnings("ignore::qutip_twa.TwaValidityWarning")
def test_weakly_pumped_laser_at_a_million_emitters_stays_physical():
    """Collective emission and local pumping 0.01 N from the excited state,
    20 pumping lifetimes.  The steady state has J of about 0.07 N, and some
    trajectories pass through J of a few, where the pumping turns the short
    vector at about its rate x N / (2 J); before the step counted that,
    5 of these 200 trajectories left J <= N/2 at the default steps."""
    N = 10 ** 6
    ens = Ensembles([N])
    result = twasolve(0 * ens.jz(0), ens.excited(), np.linspace(0, 2e-3, 161),
                      c_ops=[ens.jm(0)], e_ops=[ens.jz(0)], ntraj=200,
                      seeds=0, pumping=0.01 * N,
                      options={"store_states": True})
    assert result.stats["excluded_trajectories"] == 0
    worst = max(np.max(state.J) for state in result.states)
    assert worst <= N / 2 + J_MARGIN, worst
