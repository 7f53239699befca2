"""population_montecarlo: the exact jump process of the Dicke populations.

Checked against ``population_solve`` (the same rate equation integrated
deterministically): the Monte Carlo means must agree within SAFETY standard
errors, with no other budget (both are exact).
"""

import numpy as np
import pytest
from qutip import piqs

from qutip_twa import Ensembles
from qutip_twa.exact import montecarlo, population_montecarlo, \
    population_solve
from qutip_twa.operators.dicke import num_dicke_states

from conftest import NTRAJ, SAFETY


def _compare(system, rho0, tlist, e_ops, ntraj, seeds=1):
    exact = population_solve(system, rho0, tlist, e_ops=e_ops)
    mc = population_montecarlo(system, rho0, tlist, e_ops=e_ops,
                               ntraj=ntraj, seeds=seeds)
    for k in exact.e_data:
        err = np.abs(np.asarray(mc.e_data[k]) - np.asarray(exact.e_data[k]))
        bound = SAFETY * mc.stderr_e_data[k] + 1e-9 * np.abs(exact.e_data[k])
        assert np.all(err <= bound), (k, err.max(), bound[np.argmax(err)])
    return mc


@pytest.mark.parametrize("N", [100, 2000])
def test_superradiant_laser_matches_population_solve(N):
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    ens = Ensembles([N])
    e_ops = {"jz": ens.jz(0), "jpjm": ens.jp(0) * ens.jm(0),
             "j2": lambda j, m: j * (j + 1)}
    mc = _compare(system, ens.excited(), np.linspace(0, 8 / N, 9), e_ops,
                  ntraj=min(NTRAJ, 2000))
    assert mc.stats["jumps"] > 0


def test_all_processes_from_a_mixture():
    N = 12
    system = piqs.Dicke(N, emission=0.7, dephasing=0.5, pumping=0.3,
                        collective_emission=0.2, collective_pumping=0.1)
    dim = num_dicke_states(N)
    p0 = np.zeros(dim)
    p0[[0, 5, dim - 1]] = [0.5, 0.3, 0.2]
    _compare(system, p0, np.linspace(0, 2.0, 6),
             [piqs.jspin(N, "z"), lambda j, m: m ** 2, lambda j, m: j],
             ntraj=NTRAJ)


def test_seeded_runs_do_not_depend_on_the_batching(monkeypatch):
    N = 30
    system = piqs.Dicke(N, collective_emission=1.0, pumping=5.0,
                        dephasing=1.0)
    run = lambda: population_montecarlo(  # noqa: E731
        system, Ensembles([N]).excited(), np.linspace(0, 0.5, 5),
        [lambda j, m: m], ntraj=600, seeds=7)
    ref = run()
    monkeypatch.setattr(montecarlo, "BATCH", 256)
    other = run()
    np.testing.assert_array_equal(ref.expect[0], other.expect[0])
    assert ref.stats["jumps"] == other.stats["jumps"]
    assert not np.array_equal(
        ref.expect[0], population_montecarlo(
            system, Ensembles([N]).excited(), np.linspace(0, 0.5, 5),
            [lambda j, m: m], ntraj=600, seeds=8).expect[0])


def test_state_forms_agree():
    N = 8
    system = piqs.Dicke(N, emission=1.0)
    tlist = np.linspace(0, 1, 3)
    ens = Ensembles([N])
    results = [population_montecarlo(system, rho0, tlist, [ens.jz(0)],
                                     ntraj=300, seeds=3)
               for rho0 in (ens.dicke(3, 1), piqs.dicke(N, 3, 1))]
    np.testing.assert_array_equal(results[0].expect[0],
                                  results[1].expect[0])
    assert results[0].expect[0][0] == 1.0


def test_large_N_runs_without_matrices():
    N = 10 ** 5
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    ens = Ensembles([N])
    res = population_montecarlo(system, ens.excited(), [0.0, 1 / N],
                                [ens.jz(0)], ntraj=4, seeds=1)
    assert res.expect[0][0] == N / 2 and res.expect[0][1] < N / 2


@pytest.mark.parametrize("rho0, e_ops, exc, match", [
    (Ensembles([6]).css(1.0), None, ValueError, "coherences"),
    (Ensembles([7]).excited(), None, ValueError, "N = 6"),
    (Ensembles([6]).excited(), ["jz"], TypeError, r"e_ops\[0\]"),
    (Ensembles([6]).excited(), [lambda j, m: 1j * m], ValueError,
     "complex diagonal"),
    (Ensembles([6]).excited(), [piqs.jspin(5, "z")], ValueError, "shape"),
])
def test_rejections(rho0, e_ops, exc, match):
    system = piqs.Dicke(6, emission=1.0)
    with pytest.raises(exc, match=match):
        population_montecarlo(system, rho0, [0.0, 1.0], e_ops, ntraj=2)


def test_uniform_chain_emission_by_montecarlo():
    """The phi = 0 chain's site emission from the Monte Carlo (what the
    Fig. 3b inset uses at M = 1000) agrees with the integrated one."""
    from qutip_twa.exact import uniform_chain_emission
    tlist = np.linspace(0, 0.3, 16)
    exact = uniform_chain_emission(10, 10, 1.0, 25.0, tlist)
    mc = uniform_chain_emission(10, 10, 1.0, 25.0, tlist, ntraj=NTRAJ,
                                seeds=1)
    for key in ("I_m", "I_F", "Jz"):
        err = np.abs(mc.e_data[key] - np.real(exact.e_data[key]))
        assert np.all(err <= SAFETY * mc.stderr_e_data[key] + 1e-9), key
