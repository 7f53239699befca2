"""Engine throughput in trajectory-steps per second (prints a table).

    python benchmarks/throughput.py [--ntraj 8192] [--steps 2000]

Cases: (a) collective emission + local pumping; (b) all six rates and
H = Jx + Jz^2.  Runs once to compile (numba caches to disk), then times.
"""

import argparse
import time

import numba
import numpy as np
from qutip import piqs

from qutip_twa import twasolve


def cases(N):
    jx, jz = piqs.jspin(N, "x"), piqs.jspin(N, "z")
    return {
        "a: collective emission + local pumping":
            piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N),
        "b: six rates, H = Jx + Jz^2":
            piqs.Dicke(N, hamiltonian=jx + jz * jz, emission=1.0,
                       dephasing=1.0, pumping=1.0, collective_emission=1.0,
                       collective_dephasing=1.0, collective_pumping=1.0),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--N", type=int, default=20)
    parser.add_argument("--ntraj", type=int, default=8192)
    parser.add_argument("--steps", type=int, default=2000)
    opts = parser.parse_args()
    print(f"{'case':<40} {'threads':>7} {'traj-steps/s':>14}")
    for name, system in cases(opts.N).items():
        rho0 = piqs.excited(opts.N)
        tlist = [0.0, 1.0]
        options = {"dt": 1.0 / opts.steps, "adaptive": False}
        twasolve(system, rho0, tlist, ntraj=256, options=options)  # compile
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            start = time.perf_counter()
            twasolve(system, rho0, tlist, ntraj=opts.ntraj, seeds=1,
                     options=dict(options, num_cpus=threads))
            rate = opts.ntraj * opts.steps / (time.perf_counter() - start)
            print(f"{name:<40} {threads:>7} {rate:>14.3g}")


if __name__ == "__main__":
    main()
