"""Steps per trajectory and wall time of one-axis twisting against N.

    python benchmarks/twisting.py [--ntraj 500]

H = chi Jz^2 (chi = 1) from the coherent state along x, local dephasing
gamma = 0.1, to t = 1/chi (the twisting frequency 2 chi Sz grows as
sqrt(N) in this state, the dephasing rate does not), N = 10 ... 10^4; and
for comparison two-axis countertwisting H = (J+^2 - J-^2) / (2i), which is
not a rotation about z and still steps with its frequency (N = 10 and 100:
at N = 1000 its trajectories leave the physical range before t = 1, a
fault the solver reports).
"""

import argparse
import time
import warnings

import numpy as np

from qutip_twa import Ensembles, twasolve


def run(N, hamiltonian, ntraj):
    ens = Ensembles(N)
    tlist = np.linspace(0, 1.0, 11)
    start = time.perf_counter()
    res = twasolve(hamiltonian(ens), ens.css(np.pi / 2, 0.0), tlist,
                   e_ops=[ens.jx()], ntraj=ntraj, seeds=1, dephasing=0.1)
    return res.stats["steps"], time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ntraj", type=int, default=500)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    models = {
        "one-axis twisting Jz^2": lambda e: e.jz() ** 2,
        "two-axis countertwisting": lambda e: (e.jp() ** 2 - e.jm() ** 2)
        / 2j,
    }
    run(10, models["one-axis twisting Jz^2"], 16)  # compile
    print(f"{'model':<26} {'N':>6} {'steps / traj':>13} {'wall (s)':>9}")
    sizes = {"one-axis twisting Jz^2": (10, 100, 1000, 10_000),
             "two-axis countertwisting": (10, 100)}
    for name, hamiltonian in models.items():
        for N in sizes[name]:
            steps, wall = run(N, hamiltonian, args.ntraj)
            print(f"{name:<26} {N:>6} {steps:>13.0f} {wall:>9.2f}")


if __name__ == "__main__":
    main()
