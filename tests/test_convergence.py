"""The default steps: refining them does not move the results.

By default each trajectory takes steps of 1 / (100 r(x)), r(x) its local
rate of change (precession frequency, collective coupling times the
channel's symbol, local rates; see docs/theory.md).  With
``adaptive=False`` the step is fixed at 1 / (100 r), r the worst case of
r(x).  Heun is weakly second order, so the bias left at the default is
about 1/16 of the difference between the default and a four times finer
step, which is what these tests bound.
"""

import numpy as np
import pytest
from qutip import piqs

from qutip_twa import Ensembles, models, twasolve

CASES = {
    "laser N=10": (piqs.Dicke(10, collective_emission=1.0, pumping=2.5),
                   np.linspace(0, 0.8, 41)),
    "time crystal N=10": (piqs.Dicke(10, hamiltonian=10 * piqs.jspin(10, "x"),
                                     collective_emission=1.0, dephasing=8.0),
                          np.linspace(0, 1.0, 41)),
}


def _assert_agree(coarse, fine, norms, budget=0.001):
    for k, n in enumerate(norms):
        diff = np.abs(coarse.expect[k] - fine.expect[k]) / n
        bound = 4 * np.hypot(coarse.stderr_expect[k],
                             fine.stderr_expect[k]) / n
        assert np.all(diff <= bound + budget), (k, np.max(diff - bound))


def _run(case, ntraj, seeds, **options):
    system, tlist = CASES[case]
    N = system.N
    e_ops = [piqs.jspin(N, "z"), piqs.jspin(N, "+") * piqs.jspin(N, "-")]
    return twasolve(system, piqs.excited(N), tlist, e_ops=e_ops, ntraj=ntraj,
                    seeds=seeds, options=options)


@pytest.mark.parametrize("case", list(CASES))
def test_default_fixed_step_is_converged(case, ntraj):
    coarse = _run(case, ntraj, 21, adaptive=False)
    fine = _run(case, ntraj, 22, adaptive=False, dt=coarse.stats["dt"] / 4)
    assert fine.stats["steps"] >= 4 * coarse.stats["steps"]
    N = CASES[case][0].N
    # 0.001 of <Jz>/N and <J+J->/N^2: a third of the N = 30 budget
    _assert_agree(coarse, fine, [N, N ** 2])


@pytest.mark.parametrize("case", list(CASES))
def test_adaptive_step_is_converged(case, ntraj):
    coarse = _run(case, ntraj, 23)
    assert coarse.stats["adaptive"] and coarse.stats["dt"] is None
    fine = _run(case, ntraj, 24, steps_per_rate=400)
    assert fine.stats["steps"] >= 3.9 * coarse.stats["steps"]
    fixed = _run(case, ntraj, 25, adaptive=False)
    assert coarse.stats["steps"] < fixed.stats["steps"]
    N = CASES[case][0].N
    _assert_agree(coarse, fine, [N, N ** 2])
    _assert_agree(coarse, fixed, [N, N ** 2])


def test_adaptive_steps_follow_the_burst():
    """Superradiant decay of N = 10^4: the dissipation rate is N only
    where the field is largest or changes fastest (the burst, the two
    poles), so the adaptive steps are fewer than the fixed ones, which take
    that rate all along, and agree with them."""
    N = 10_000
    ens = Ensembles([N])
    tlist = np.linspace(0, 2 * np.log(N) / N, 7)
    kw = dict(e_ops=[ens.jz(0)], ntraj=256, seeds=1)
    res = twasolve(0 * ens.jz(0), ens.excited(), tlist, [ens.jm(0)], **kw)
    fixed = twasolve(0 * ens.jz(0), ens.excited(), tlist, [ens.jm(0)],
                     options={"adaptive": False}, **kw)
    assert res.stats["steps"] < 0.7 * fixed.stats["steps"]
    assert res.expect[0][-1] / N < -0.45  # decayed to the ground state
    se = np.hypot(res.stderr_expect[0], fixed.stderr_expect[0])
    assert np.all(np.abs(res.expect[0] - fixed.expect[0]) <= 4 * se + 1e-3 * N)


def _chain_runs(*settings):
    """The 8-site Fig. 4 chain (N = 20, pump 20 per site) to t = 0.3, one
    run for each (seeds, options) of ``settings``; compare them with
    ``_assert_agree`` and ``CHAIN_NORMS``."""
    ch = models.chain(8, 20, np.pi / 10, gamma=1.0, pumping=20.0)
    tlist = np.concatenate([[0], np.geomspace(1e-3, 0.3, 12)])
    e_ops = [ch.forward_emission(), ch.site_emission(0), ch.site_emission(4),
             ch.ensembles.inversion(np.ones(8))]
    return [twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                     e_ops=e_ops, ntraj=1024, seeds=seeds, options=options,
                     **ch.rates)
            for seeds, options in settings]


CHAIN_NORMS = [(8 * 20) ** 2, 20 ** 2, 20 ** 2, 8 * 20]


def test_chain_steps_per_rate_10_is_converged():
    """The chain of Fig. 4 (tutorial 5, benchmarks/chain.py) runs with
    ``steps_per_rate=10``: four times finer steps agree within the
    statistical error plus 0.001 of the normalised emission."""
    runs = _chain_runs((31, {"steps_per_rate": 10}),
                       (32, {"steps_per_rate": 40}))
    assert runs[1].stats["steps"] >= 3.9 * runs[0].stats["steps"]
    _assert_agree(*runs, CHAIN_NORMS)


def test_chain_tolerance_setting_agrees_with_fine_heun():
    """The fastest converged setting of the Fig. 4 chain
    (benchmarks/chain_fig4.py: 2 steps per dissipation rate, the exchange
    precession by the tolerance 1e-2, about 5 times fewer steps than
    ``steps_per_rate=10``) against plain Heun at 40 steps per rate, the
    integrator issue's reference, on an 8-site chain."""
    runs = _chain_runs((33, {"steps_per_rate": (10, 2), "tol": 1e-2}),
                       (34, {"steps_per_rate": 40, "scheme": "heun"}))
    assert runs[1].stats["steps"] >= 10 * runs[0].stats["steps"]
    _assert_agree(*runs, CHAIN_NORMS)
