"""Limits where the TWA is exact."""

import numpy as np
import qutip
from qutip import piqs

from qutip_twa import twasolve

from conftest import assert_close_to_exact


def test_linear_hamiltonian_precession_is_exact():
    """H linear in J, no dissipation: the mean spin precesses exactly and
    every trajectory keeps its total spin J."""
    N = 30
    jx, jy, jz = piqs.jspin(N)
    H = 2.0 * jx + 0.7 * jy + 1.3 * jz
    rho0 = piqs.css(N, 1.0, 0.5, coordinates="polar")
    tlist = np.linspace(0, 5, 51)
    e_ops = [jx, jy, jz]
    exact = qutip.mesolve(H, rho0, tlist, e_ops=e_ops)
    twa = twasolve(H, rho0, tlist, e_ops=e_ops, ntraj=2000, seeds=6,
                   options={"store_final_state": True})
    for k in range(3):
        assert_close_to_exact(twa.expect[k], twa.stderr_expect[k],
                              exact.expect[k], 0.0, f"J[{k}]")
    # the initial sampling error rotates rigidly: the deviation of the mean
    # from the exact curve keeps its length
    dev = np.array(twa.expect) - np.array(exact.expect)
    np.testing.assert_allclose(np.linalg.norm(dev, axis=0),
                               np.linalg.norm(dev[:, 0]), rtol=2e-2,
                               atol=1e-9)
    a, b = twa.final_state["a"], twa.final_state["b"]
    s_final = (np.abs(a) ** 2 + np.abs(b) ** 2) / 2
    assert s_final.shape == (2000, 1)
    start = twasolve(H, rho0, tlist[:1], ntraj=2000, seeds=6,
                     options={"store_final_state": True}).final_state
    s_start = (np.abs(start["a"]) ** 2 + np.abs(start["b"]) ** 2) / 2
    np.testing.assert_allclose(s_final, s_start, rtol=1e-5)  # Heun: O(dt^4)


def test_excited_state_emission_symbol_exact_at_t0():
    """Fock sampling reproduces <J+J-> = N exactly for |N/2, N/2>, on
    average, and <Jz> = N/2 for every trajectory."""
    N = 12
    jp, jm, jz = piqs.jspin(N, "+"), piqs.jspin(N, "-"), piqs.jspin(N, "z")
    twa = twasolve(0 * jz, piqs.excited(N), [0.0], e_ops=[jp * jm, jz],
                   ntraj=20000, seeds=1, options={"keep_runs_results": True})
    assert_close_to_exact(twa.average_expect[0],
                          twa.stderr_expect[0], [N], 0.0, "J+J-")
    runs = twa.runs_expect[1][:, 0]
    # Sz fluctuates only through the vacuum mode b: mean N/2 within error
    assert abs(runs.mean() - N / 2) < 4 * runs.std() / np.sqrt(len(runs))
