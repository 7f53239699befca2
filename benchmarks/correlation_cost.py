"""Cost of a correlation run against a plain twasolve run.

The superradiant laser (collective emission 1, pumping 0.25 N) at N = 10,
100 and 1000: <J+(tau) J-> in the steady state over 0 <= tau <= 2 (41
delays), against twasolve of <J+J-> from the excited state to the steady
start time plus 2.  Prints the wall time and steps per trajectory of each;
the ratio is the price of the kicked copies (1 + 2K trajectories, K = 2
for B = J-) and of the steady-state search.  Two cheaper settings follow
(tutorial 8's linewidths from N = 1000): the symmetric ordering (no
copies), and that with 2 steps per dissipation time.  A delay of 1/Gamma
takes a number of steps proportional to N (the collective rate sets the
step), so every run grows with N.

    python benchmarks/correlation_cost.py [--ntraj 400] [--sizes 10 100 1000]
"""

import argparse
import time
import warnings

import numpy as np

import qutip_twa as qt


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ntraj", type=int, default=400)
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[10, 100, 1000])
    args = parser.parse_args()
    taulist = np.linspace(0, 2, 41)
    print(f"{'N':>8} {'run':>22} {'wall [s]':>9} {'steps/traj':>11}")
    for N in args.sizes:
        ens = qt.Ensembles([N])
        solver = qt.TwaSolver(ens.jz() * 0, [ens.jm()], pumping=0.25 * N)
        solver.correlation(None, None, taulist[:2], ens.jp(), ens.jm(), 16)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", qt.TwaValidityWarning)
            start = time.perf_counter()
            corr = solver.correlation(None, None, taulist, ens.jp(),
                                      ens.jm(), args.ntraj, seeds=1)
            t_corr = time.perf_counter() - start
            t_ss = corr.stats["t_steady"]
            start = time.perf_counter()
            plain = solver.run(ens.excited(), t_ss + taulist, args.ntraj,
                               e_ops=[ens.jp() * ens.jm()], seeds=1)
            t_plain = time.perf_counter() - start
        print(f"{N:8d} {'correlation (quantum)':>22} {t_corr:9.2f} "
              f"{corr.stats['steps']:11.0f}")
        print(f"{N:8d} {'twasolve to t_ss + 2':>22} {t_plain:9.2f} "
              f"{plain.stats['steps']:11.0f}   ratio "
              f"{t_corr / t_plain:.1f}")
        for label, options in (("symmetric", None),
                               ("symmetric, (100, 2)",
                                {"steps_per_rate": (100, 2)})):
            solver.options = options  # None: the defaults
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", qt.TwaValidityWarning)
                start = time.perf_counter()
                cheap = solver.correlation(None, None, taulist, ens.jp(),
                                           ens.jm(), args.ntraj, seeds=1,
                                           ordering="symmetric")
                t_cheap = time.perf_counter() - start
            print(f"{N:8d} {label:>22} {t_cheap:9.2f} "
                  f"{cheap.stats['steps']:11.0f}   ratio "
                  f"{t_cheap / t_plain:.1f}")


if __name__ == "__main__":
    main()
