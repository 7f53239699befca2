"""TWA versus exact references for composite systems (numbers for the notes).

1. Two ensembles (paper Fig. 3b): N = 20 each, pump 10 G, ground state,
   phi in {0, pi/4, pi/2}: max |TWA - exact| of <I_F>/N_tot^2 and the
   steady-state suppression at phi = pi/2.
2. phi = 0 chains (Fig. 3b inset): M = 10, 100 ensembles of N = 10, pump
   0.25 N_tot G: max |TWA - exact| of the site-resolved <I_m>/N^2 (exact via
   the mapping onto one ensemble of N_tot = M N emitters).

    python benchmarks/composite_accuracy.py [--ntraj 4000] [--part 1 2]
        [--initial-sampling moments|ring]
"""

import argparse
import time

import numpy as np

from qutip_twa import models, twasolve
from qutip_twa.exact import pair_solve, uniform_chain_emission


def two_ensembles(ntraj, options, N=20, t_end=2.0):
    tlist = np.linspace(0, t_end, 101)
    n2 = (2 * N) ** 2
    print(f"two ensembles, N = {N} each, pump 10 G, {ntraj} trajectories")
    print(f"{'phi':>6} {'max err I_F/Ntot^2':>19} {'max stderr':>11} "
          f"{'peak exact':>11} {'steady exact':>13} {'steady TWA':>11} "
          f"{'t exact (s)':>12} {'t TWA (s)':>10}")
    steady = {}
    for phi in (0.0, np.pi / 4, np.pi / 2):
        ch = models.chain(2, N, phi, gamma=1.0, pumping=10.0)
        e_ops = {"I_F": ch.forward_emission()}
        start = time.perf_counter()
        exact = np.real(pair_solve(ch.H, ch.ensembles.ground(), tlist,
                                   ch.c_ops, e_ops, **ch.rates)
                        .e_data["I_F"]) / n2
        t_exact = time.perf_counter() - start
        start = time.perf_counter()
        twa = twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                       e_ops=e_ops, ntraj=ntraj, seeds=1, options=options,
                       **ch.rates)
        t_twa = time.perf_counter() - start
        mean = twa.e_data["I_F"].real / n2
        err = np.abs(mean - exact)
        steady[phi] = (exact[-1], mean[-1])
        print(f"{phi:6.3f} {err.max():19.4f} "
              f"{twa.stderr_expect[0].max() / n2:11.4f} {exact.max():11.4f} "
              f"{exact[-1]:13.4f} {mean[-1]:11.4f} {t_exact:12.1f} "
              f"{t_twa:10.1f}")
    for k, name in ((0, "exact"), (1, "TWA")):
        ratio = steady[np.pi / 2][k] / steady[0.0][k]
        print(f"steady-state suppression at phi = pi/2 ({name}): "
              f"{100 * (1 - ratio):.1f}%")


def uniform_chains(ntraj, options, N=10, sizes=(10, 100)):
    print(f"phi = 0 chains, N = {N} per site, pump 0.25 N_tot G, "
          f"{ntraj} trajectories")
    print(f"{'M':>5} {'max err I_m/N^2':>16} {'max stderr':>11} "
          f"{'peak exact':>11} {'t TWA (s)':>10}")
    for M in sizes:
        n_tot = M * N
        tlist = np.linspace(0, 8 / n_tot, 81)
        ch = models.chain(M, N, 0.0, gamma=1.0, pumping=0.25 * n_tot)
        exact = uniform_chain_emission(M, N, 1.0, 0.25 * n_tot, tlist)
        site = np.real(exact.e_data["I_m"]) / N ** 2
        sites = [0, M // 2, M - 1]
        start = time.perf_counter()
        twa = twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                       e_ops=[ch.site_emission(m) for m in sites],
                       ntraj=ntraj, seeds=1, options=options, **ch.rates)
        t_twa = time.perf_counter() - start
        err = max(np.abs(twa.expect[k].real / N ** 2 - site).max()
                  for k in range(len(sites)))
        se = max(twa.stderr_expect[k].max() for k in range(len(sites)))
        print(f"{M:5d} {err:16.4f} {se / N ** 2:11.4f} {site.max():11.4f} "
              f"{t_twa:10.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ntraj", type=int, default=4000)
    parser.add_argument("--part", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--initial-sampling", default="moments",
                        choices=["moments", "ring"])
    args = parser.parse_args()
    options = {"initial_sampling": args.initial_sampling}
    if 1 in args.part:
        two_ensembles(args.ntraj, options)
    if 2 in args.part:
        uniform_chains(args.ntraj, options)


if __name__ == "__main__":
    main()
