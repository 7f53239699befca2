"""TWA versus mesolve for the superradiant laser at matched accuracy.

Collective emission G = 1, local pumping 0.25 N G, start excited, output
times 0 <= N G t <= 8.  ``mesolve`` runs on ``piqs.Dicke(...).liouvillian()``;
``twasolve`` runs with ``target_tol`` so that the standard error of
<J+J->/N^2 is below 0.005 at every time (trajectories added in batches of
256 until it is).  Prints both wall times, their ratio and the TWA error
against mesolve.

    python benchmarks/versus_mesolve.py [--N 20 50 100]
"""

import argparse
import time

import numpy as np
import qutip
from qutip import piqs

from qutip_twa import twasolve


def compare(N):
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    tlist = np.linspace(0, 8 / N, 81)
    e_op = piqs.jspin(N, "+") * piqs.jspin(N, "-") / N ** 2
    start = time.perf_counter()
    exact = qutip.mesolve(system.liouvillian(), piqs.excited(N), tlist,
                          e_ops=[e_op]).expect[0]
    t_exact = time.perf_counter() - start
    start = time.perf_counter()
    twa = twasolve(system, piqs.excited(N), tlist, e_ops=[e_op],
                   ntraj=10 ** 6, target_tol=0.005, seeds=1,
                   options={"batch_size": 256})
    t_twa = time.perf_counter() - start
    err = np.max(np.abs(twa.expect[0].real - exact))
    return t_exact, t_twa, twa.num_trajectories, err, \
        np.max(twa.stderr_expect[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--N", type=int, nargs="*", default=[20, 50, 100])
    args = parser.parse_args()
    twasolve(piqs.Dicke(4, collective_emission=1.0), piqs.excited(4),
             [0, 0.1], ntraj=256)  # compile
    print(f"{'N':>4} {'mesolve (s)':>12} {'TWA (s)':>8} {'ratio':>7} "
          f"{'ntraj':>6} {'max err':>8} {'max stderr':>11}")
    for N in args.N:
        t_exact, t_twa, ntraj, err, se = compare(N)
        print(f"{N:4d} {t_exact:12.2f} {t_twa:8.2f} {t_exact / t_twa:7.1f} "
              f"{ntraj:6d} {err:8.4f} {se:11.4f}", flush=True)


if __name__ == "__main__":
    main()
