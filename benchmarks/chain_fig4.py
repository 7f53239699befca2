"""The paper's Fig. 4a-c chain: run time and step convergence.

M = 100 sites of N = 250 emitters, phi = pi/10, Gamma = 1, pumping 250,
from the ground state to t = 2/Gamma (tutorial 5).  For each
``steps_per_rate`` given, runs ``--ntraj`` trajectories (independent seeds)
and prints the wall time, the steps per trajectory, and the time that 1000
trajectories take at that rate.  The first value is the reference (run with
``--ref-ntraj`` trajectories, default ``--ntraj``): for the
others it prints the largest difference of I_F / N_tot^2, I_B / N_tot^2
and I_m / N^2 (m = 1, 50, 100) from it over the run, in absolute terms and
in units of the combined standard error.

    python benchmarks/chain_fig4.py [--ntraj 128] [--ref-ntraj 128]
        [--spr 10 10,5 40:heun 10,3:tol=1e-2]
"""

import argparse
import time
import warnings

import numpy as np

from qutip_twa import models, twasolve
from qutip_twa import TwaValidityWarning
from step_accuracy import step_options

M, N, PHI = 100, 250, np.pi / 10


def run(ch, tlist, e_ops, ntraj, spr, seed):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TwaValidityWarning)
        res = twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                       e_ops=e_ops, ntraj=ntraj, seeds=seed,
                       options=step_options(spr),
                       **ch.rates)
    return res, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ntraj", type=int, default=128)
    parser.add_argument("--ref-ntraj", type=int, default=None)
    parser.add_argument("--spr", nargs="+", default=["10", "10,5"],
                        help="as in step_accuracy.py: n, n_p,n_d or default, "
                        "then :heun or :tol=X")
    parser.add_argument("--t-end", type=float, default=2.0)
    args = parser.parse_args()
    ch = models.chain(M, N, PHI, gamma=1.0, pumping=float(N))
    tlist = np.concatenate([[0.0], np.geomspace(1e-4, args.t_end, 40)])
    e_ops = {"I_F": ch.forward_emission(), "I_B": ch.backward_emission(),
             **{f"I_{m + 1}": ch.site_emission(m) for m in (0, 49, 99)}}
    norms = {k: (M * N) ** 2 if k in ("I_F", "I_B") else N ** 2
             for k in e_ops}
    run(ch, tlist[:2], e_ops, 16, args.spr[0], 0)  # compile
    ref_ntraj = args.ref_ntraj or args.ntraj
    print(f"chain M = {M}, N = {N}, phi = pi/10, pumping {N}, t <= "
          f"{args.t_end:g}, {args.ntraj} trajectories per run "
          f"({ref_ntraj} for the first)")
    print(f"{'steps_per_rate':>14} {'steps/traj':>11} {'wall [s]':>9} "
          f"{'1000 traj [min]':>16}  largest difference from the first")
    ref = None
    for k, spr in enumerate(args.spr):
        ntraj = args.ntraj if k else ref_ntraj
        res, seconds = run(ch, tlist, e_ops, ntraj, spr, seed=100 + k)
        line = (f"{spr:>14} {res.stats['steps']:11.0f} {seconds:9.1f} "
                f"{seconds * 1000 / ntraj / 60:16.1f}")
        if ref is None:
            ref = res
        else:
            parts = []
            for key, n in norms.items():
                diff = np.abs(res.e_data[key] - ref.e_data[key]) / n
                se = np.hypot(res.stderr_e_data[key],
                              ref.stderr_e_data[key]) / n
                parts.append(f"{key} {diff.max():.4f} "
                             f"({np.max(diff / np.maximum(se, 1e-300)):.1f} se)")
            line += "  " + ", ".join(parts)
        print(line, flush=True)


if __name__ == "__main__":
    main()
