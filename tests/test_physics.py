"""More models against mesolve: superradiant decay, all six rates with a
nonlinear Hamiltonian from a coherent state, and a time-dependent pulse.

Budgets are the systematic TWA errors measured with 8000 trajectories,
rounded up (closing note of the core issue).
"""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import twasolve

from conftest import assert_close_to_exact


def test_superradiant_decay(ntraj):
    N = 20
    jp, jm, jz = piqs.jspin(N, "+"), piqs.jspin(N, "-"), piqs.jspin(N, "z")
    system = piqs.Dicke(N, collective_emission=1.0)
    tlist = np.linspace(0, 6 * np.log(N) / N, 61)
    e_ops = [jp * jm, jz]
    exact = qutip.mesolve(system.liouvillian(), piqs.excited(N), tlist,
                          e_ops=e_ops)
    twa = twasolve(system, piqs.excited(N), tlist, e_ops=e_ops, ntraj=ntraj,
                   seeds=2)
    for k, (norm, budget) in enumerate([(N ** 2, 0.003), (N, 0.002)]):
        assert_close_to_exact(twa.expect[k] / norm,
                              twa.stderr_expect[k] / norm,
                              exact.expect[k] / norm, budget, f"decay {k}")


def test_all_six_rates_nonlinear_hamiltonian_coherent_state(ntraj):
    N = 10
    jx, jy, jz = piqs.jspin(N)
    H = 1.0 * N * jx + 0.5 * N * jz + 0.8 * jz * jz
    system = piqs.Dicke(N, hamiltonian=H, emission=0.3 * N,
                        dephasing=0.4 * N, pumping=0.2 * N,
                        collective_emission=1.0, collective_dephasing=0.2,
                        collective_pumping=0.3)
    rho0 = piqs.css(N, np.pi / 3, 0.4, coordinates="polar")
    tlist = np.linspace(0, 4 / N, 41)
    e_ops = [jx, jy, jz, jz * jz]
    exact = qutip.mesolve(system.liouvillian(), rho0, tlist, e_ops=e_ops)
    twa = twasolve(system, rho0, tlist, e_ops=e_ops, ntraj=ntraj, seeds=3)
    norms = [N, N, N, N ** 2]
    budgets = [0.010, 0.013, 0.007, 0.003]  # measured 0.0097, 0.0123, 0.0062, 0.0030
    for k, (norm, budget) in enumerate(zip(norms, budgets)):
        assert_close_to_exact(twa.expect[k] / norm,
                              twa.stderr_expect[k] / norm,
                              exact.expect[k] / norm, budget, f"e_ops[{k}]")


def gaussian(t, A, t0, w):
    return A * np.exp(-((t - t0) / w) ** 2)


@pytest.mark.parametrize("form", ["function", "string", "array"])
def test_time_dependent_drive_pulse(form, ntraj):
    N = 20
    jx, jy, jz = piqs.jspin(N)
    tlist = np.linspace(0, 6 / N, 61)
    args = {"A": 2.0 * N, "t0": 2 / N, "w": 0.7 / N}
    coeff = {"function": gaussian,
             "string": "A * exp(-((t - t0) / w)**2)",
             "array": gaussian(tlist, **args)}[form]
    H = [[jx, coeff]]
    lindblad = piqs.Dicke(N, collective_emission=1.0,
                          dephasing=0.5 * N).lindbladian()
    e_ops = [jz, jx, jy]
    exact = qutip.mesolve(H, piqs.ground(N), tlist, c_ops=[lindblad],
                          e_ops=e_ops, args=args)
    twa = twasolve(H, piqs.ground(N), tlist, c_ops=[lindblad], e_ops=e_ops,
                   args=args, ntraj=ntraj, seeds=4)
    for k, budget in enumerate([0.008, 0.004, 0.012]):
        assert_close_to_exact(twa.expect[k] / N, twa.stderr_expect[k] / N,
                              exact.expect[k] / N, budget, f"{form} {k}")
    assert np.max(exact.expect[0]) > -N / 4  # the pulse did excite


def test_function_and_string_coefficients_give_identical_runs():
    N = 8
    jx, jz = piqs.jspin(N, "x"), piqs.jspin(N, "z")
    tlist = np.linspace(0, 1, 11)
    args = {"A": 1.5, "t0": 0.4, "w": 0.3}
    runs = [twasolve([[jx, c]], piqs.ground(N), tlist, e_ops=[jz], args=args,
                     ntraj=256, seeds=5, emission=0.3).expect[0]
            for c in (gaussian, "A * exp(-((t - t0) / w)**2)")]
    np.testing.assert_allclose(runs[0], runs[1], rtol=0, atol=1e-12)
