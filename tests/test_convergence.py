"""The default step: refining it four times does not move the results.

The default largest step is 1 / (100 r), r the model's rate scale
(collective rates times N, local rates, Hamiltonian frequencies).  Heun is
weakly second order, so the bias left at the default step is about 1/16 of
the difference measured here.
"""

import numpy as np
import pytest
from qutip import piqs

from qutip_twa import twasolve

CASES = {
    "laser N=10": (piqs.Dicke(10, collective_emission=1.0, pumping=2.5),
                   np.linspace(0, 0.8, 41)),
    "time crystal N=10": (piqs.Dicke(10, hamiltonian=10 * piqs.jspin(10, "x"),
                                     collective_emission=1.0, dephasing=8.0),
                          np.linspace(0, 1.0, 41)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_default_step_is_converged(case, ntraj):
    system, tlist = CASES[case]
    N = system.N
    jz = piqs.jspin(system.N, "z")
    jp, jm = piqs.jspin(system.N, "+"), piqs.jspin(system.N, "-")
    e_ops = [jz, jp * jm]
    coarse = twasolve(system, piqs.excited(system.N), tlist, e_ops=e_ops,
                      ntraj=ntraj, seeds=21)
    fine = twasolve(system, piqs.excited(system.N), tlist, e_ops=e_ops,
                    ntraj=ntraj, seeds=22,
                    options={"dt": coarse.stats["dt"] / 4})
    assert fine.stats["steps"] >= 4 * coarse.stats["steps"]
    for k in range(2):
        diff = np.abs(coarse.expect[k] - fine.expect[k])
        bound = 4 * np.hypot(coarse.stderr_expect[k], fine.stderr_expect[k])
        # 0.001 of <Jz>/N and <J+J->/N^2: a third of the N = 30 budget
        assert np.all(diff <= bound + 0.001 * N ** (k + 1))
