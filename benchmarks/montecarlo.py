"""Exact population Monte Carlo: cost per trajectory against N.

The superradiant laser (collective emission 1, local pumping 0.25 N, from
the excited state, to t = (8 + ln N) / N: through the superradiant burst
at t ~ ln(N) / N and into lasing), ``population_montecarlo`` with the
package's own state and operators (no matrices), and, where it fits,
``population_solve`` for comparison.  Prints the transitions and the time
per trajectory, and the largest deviation from ``population_solve`` in
standard errors.
"""

import argparse
import time

import numpy as np
from qutip import piqs

from qutip_twa import Ensembles
from qutip_twa.exact import population_montecarlo, population_solve


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*",
                        default=[100, 1000, 2000, 10 ** 4, 10 ** 5, 10 ** 6])
    parser.add_argument("--ntraj", type=int, default=1000)
    parser.add_argument("--exact-max", type=int, default=2000)
    args = parser.parse_args()
    print(f"{'N':>8} {'ntraj':>6} {'jumps/traj':>11} {'us/traj':>9} "
          f"{'ns/jump':>8} {'<J+J->/N^2 max':>15} {'max dev (se)':>13}")
    for N in args.sizes:
        system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
        ens = Ensembles([N])
        tlist = np.linspace(0, (8 + np.log(N)) / N, 41)  # through the burst
        e_ops = [ens.jp(0) * ens.jm(0)]
        population_montecarlo(system, ens.excited(), tlist, e_ops, ntraj=2,
                              seeds=0)  # compile
        start = time.perf_counter()
        mc = population_montecarlo(system, ens.excited(), tlist, e_ops,
                                   ntraj=args.ntraj, seeds=1)
        wall = time.perf_counter() - start
        dev = "-"
        if N <= args.exact_max:
            exact = population_solve(system, ens.excited(), tlist, e_ops)
            se = np.maximum(mc.stderr_expect[0], 1e-300)
            dev = f"{np.max(np.abs(mc.expect[0] - exact.expect[0]) / se):.2f}"
        jumps = mc.stats["jumps"]
        print(f"{N:>8} {args.ntraj:>6} {jumps:>11.0f} "
              f"{1e6 * wall / args.ntraj:>9.1f} "
              f"{1e9 * wall / args.ntraj / max(jumps, 1):>8.1f} "
              f"{np.max(mc.expect[0]) / N ** 2:>15.4f} {dev:>13}")


if __name__ == "__main__":
    main()
