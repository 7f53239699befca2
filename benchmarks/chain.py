"""Chain of M ensembles (paper Eq. 8): wall time per trajectory-step vs M.

Prints, for M = 10, 100, 500, the time to build the model operators, and the
engine time per trajectory-step (one Heun step of one trajectory), measured
on a short run after a warm-up call has compiled everything.

    python benchmarks/chain.py [--ntraj 256] [--steps 200] [--threads 2]
                               [--dense]

``--dense`` switches off the O(M) running sums for the exchange, to show the
O(M^2) dense coupling matrix it replaces.
"""

import argparse
import time

import numba
import numpy as np

from qutip_twa import models, twasolve
from qutip_twa.assembly import couplings


def measure(M, N, ntraj, steps):
    start = time.perf_counter()
    ch = models.chain(M, N, np.pi / 10, pumping=1.0 * N)
    e_ops = {"I_F": ch.forward_emission(), "I_B": ch.backward_emission()}
    build = time.perf_counter() - start
    tlist = np.linspace(0, 1e-3, 2)
    dt = tlist[-1] / steps
    kw = dict(e_ops=e_ops, ntraj=ntraj, seeds=1, options={"dt": dt, "adaptive": False},
              **ch.rates)
    twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops, **kw)  # warm up
    start = time.perf_counter()
    res = twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops, **kw)
    total = time.perf_counter() - start
    return build, total / (ntraj * res.stats["steps"])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ntraj", type=int, default=256)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10, 100, 500])
    parser.add_argument("--dense", action="store_true")
    args = parser.parse_args()
    if args.dense:
        couplings.lower_generators = lambda A: None
    if args.threads:
        numba.set_num_threads(args.threads)
    print(f"threads: {numba.get_num_threads()}, ntraj {args.ntraj}, "
          f"{args.steps} steps, exchange: "
          f"{'dense' if args.dense else 'running sums'}")
    print(f"{'M':>5} {'build (s)':>10} {'us / traj-step':>15} "
          f"{'us / (traj-step x M)':>21}")
    for M in args.sizes:
        build, per = measure(M, 250, args.ntraj, args.steps)
        print(f"{M:5d} {build:10.3f} {per * 1e6:15.2f} "
              f"{per * 1e6 / M:21.4f}")


if __name__ == "__main__":
    main()
