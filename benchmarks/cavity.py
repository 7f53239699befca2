"""Cost per trajectory-step with and without a cavity mode (prints a table).

    python benchmarks/cavity.py [--ntraj 4096] [--steps 1000]

Fixed steps on one thread, excited start:

- the superradiant laser (collective emission + local pumping), N = 100;
- the same emitters in a cavity, H = g (a^+ J- + a J+), decay kappa D[a]
  instead of the collective emission, N = 100;
- the PIQS open-Dicke tutorial's model (one mode, three local rates);
- M ensembles of N = 10 in one cavity (Tavis-Cummings, local pumping):
  M = 1, 10, 100.
"""

import argparse
import time

from qutip import piqs

from qutip_twa import Ensembles, twasolve


def cases():
    N = 100
    laser = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    yield "laser, eliminated cavity (N = 100)", Ensembles(N), laser, [], {}
    ens = Ensembles(N, modes=1)
    a = ens.a()
    H = 5.0 * (a.dag() * ens.jm() + a * ens.jp())
    yield "laser with its cavity (N = 100)", ens, H, [10 * a], \
        dict(pumping=0.25 * N)
    H = ens.jz() + a.dag() * a + 0.2 * (a + a.dag()) * ens.jx()
    yield "open Dicke tutorial model (N = 100)", ens, H, [a], \
        dict(emission=0.1, dephasing=0.01, pumping=0.1)
    for M in (1, 10, 100):
        ens = Ensembles(10, M=M, modes=1)
        a = ens.a()
        H = 0.3 * (a.dag() * ens.lowering() + a * ens.raising())
        yield f"{M} ensembles of 10 in one cavity", ens, H, [a], \
            dict(pumping=1.0)


def step_time(ens, H, c_ops, rates, ntraj, steps):
    options = {"dt": 1.0 / steps, "adaptive": False, "num_cpus": 1}
    run = dict(c_ops=c_ops, options=options, **rates)
    twasolve(H, ens.excited(), [0.0, 1.0], ntraj=256, **run)  # compile
    start = time.perf_counter()
    twasolve(H, ens.excited(), [0.0, 1.0], ntraj=ntraj, seeds=1, **run)
    return (time.perf_counter() - start) / (ntraj * steps)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ntraj", type=int, default=4096)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'case':<40}{'ns per trajectory-step':>24}")
    for name, ens, H, c_ops, rates in cases():
        ntraj = max(256, args.ntraj // max(1, ens.M // 10))
        seconds = step_time(ens, H, c_ops, rates, ntraj, args.steps)
        print(f"{name:<40}{seconds * 1e9:>24.0f}", flush=True)


if __name__ == "__main__":
    main()
