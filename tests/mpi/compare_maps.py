"""Run under ``mpiexec -n 2 python -m mpi4py.futures compare_maps.py``.

Rank 0 runs this script, the other ranks serve as the workers of
``options["map"] = "mpi"``.  Prints "identical" when the MPI run equals the
in-process run bit for bit (tests/test_mpi.py checks that).
"""

import numpy as np
from qutip import piqs

from qutip_twa import twasolve

N = 8
SYSTEM = piqs.Dicke(N, hamiltonian=N * piqs.jspin(N, "x"),
                    collective_emission=1.0, pumping=0.5 * N)
T = np.linspace(0, 2 / N, 9)


def run(**options):
    return twasolve(SYSTEM, piqs.excited(N), T, e_ops=[piqs.jspin(N, "z")],
                    ntraj=700, seeds=5, options=options)


if __name__ == "__main__":
    local = run()
    remote = run(map="mpi", num_cpus=1, batch_size=256)
    same = (np.array_equal(local.expect[0], remote.expect[0])
            and np.array_equal(local.stderr_expect[0],
                               remote.stderr_expect[0])
            and remote.num_trajectories == 700)
    print("identical" if same else "different")
