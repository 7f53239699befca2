"""How many steps a given accuracy takes: steps_per_rate against its bias.

    python benchmarks/step_accuracy.py [--ntraj 40000]
        [--spr default 100,5 100,10 5 20 100 100:heun 100,20:tol=1e-3]

A ``--spr`` value is one number (steps per precession and per dissipation
rate alike), a pair ``n_p,n_d``, or ``default`` (the package's default),
optionally followed by ``:heun`` (``options["scheme"] = "heun"``, plain
Heun) and ``:tol=X`` (``options["tol"]``).

For each model, the run at steps_per_rate = 400 is the converged TWA; each
coarser run (other seeds) prints its steps per trajectory, wall time, the
largest |TWA - converged| over the output times with the standard error of
that difference, and the largest |TWA - exact|.  The step-size target of
the integrator issue is the coarsest rule whose difference from the
converged run is below 0.001 beyond the statistics.  Models (normalised
observables):

- laser: collective emission 1, pumping 0.25 N, N = 100, excited, to
  N t = 8, <J+J->/N^2 (exact: ``population_solve``);
- time crystal: paper Fig. 5 with local dephasing, N = 50, to N t = 10,
  <Jz>/(N/2) (exact: ``mesolve``);
- two ensembles: paper Fig. 3b, N = 20 each, phi = pi/2, pump 10, to t = 2,
  I_F / N_tot^2 (exact: ``pair_solve``).
"""

import argparse
import time
import warnings

import numpy as np
import qutip
from qutip import piqs

from qutip_twa import models, twasolve
from qutip_twa.exact import pair_solve, population_solve


def laser():
    N = 100
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    tlist = np.linspace(0, 8 / N, 41)
    e_op = piqs.jspin(N, "+") * piqs.jspin(N, "-") / N ** 2
    exact = population_solve(system, piqs.excited(N), tlist,
                             e_ops=[e_op]).expect[0]

    def run(ntraj, seeds, options):
        res = twasolve(system, piqs.excited(N), tlist, e_ops=[e_op],
                       ntraj=ntraj, seeds=seeds, options=options)
        return res, res.expect[0].real, res.stderr_expect[0]
    return run, np.real(exact)


def time_crystal():
    N = 50
    jx, jz = piqs.jspin(N, "x"), piqs.jspin(N, "z")
    system = piqs.Dicke(N, hamiltonian=N * jx, collective_emission=1.0,
                        dephasing=4 * 0.2 * N)
    tlist = np.linspace(0, 10 / N, 41)
    exact = qutip.mesolve(system.liouvillian(), piqs.excited(N), tlist,
                          e_ops=[jz]).expect[0] / (N / 2)

    def run(ntraj, seeds, options):
        res = twasolve(system, piqs.excited(N), tlist, e_ops=[jz],
                       ntraj=ntraj, seeds=seeds, options=options)
        return res, res.expect[0].real / (N / 2), \
            res.stderr_expect[0] / (N / 2)
    return run, exact


def two_ensembles():
    N = 20
    ch = models.chain(2, N, np.pi / 2, gamma=1.0, pumping=10.0)
    tlist = np.linspace(0, 2.0, 41)
    e_ops = {"I_F": ch.forward_emission()}
    n2 = (2 * N) ** 2
    exact = np.real(pair_solve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                               e_ops, **ch.rates).e_data["I_F"]) / n2

    def run(ntraj, seeds, options):
        res = twasolve(ch.H, ch.ensembles.ground(), tlist, ch.c_ops,
                       e_ops=e_ops, ntraj=ntraj, seeds=seeds,
                       options=options, **ch.rates)
        return res, res.expect[0].real / n2, res.stderr_expect[0] / n2
    return run, exact


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ntraj", type=int, default=40_000)
    parser.add_argument("--spr", nargs="*",
                        default=["default", "100,5", "100,10", "5", "20",
                                 "100"])
    parser.add_argument("--models", nargs="*",
                        default=["laser", "time_crystal", "two_ensembles"])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    for name in args.models:
        run, exact = globals()[name]()
        _, ref, ref_se = run(args.ntraj, 1000, {"steps_per_rate": 400})
        print(f"\n{name}: converged (steps_per_rate 400) max |TWA - exact| "
              f"{np.max(np.abs(ref - exact)):.4f}")
        print(f"{'steps_per_rate':>14} {'steps/traj':>10} {'wall (s)':>9} "
              f"{'max |d|':>8} {'se of d':>8} {'max |TWA - exact|':>18}")
        for seeds, spr in enumerate(args.spr, start=1):
            start = time.perf_counter()
            res, mean, se = run(args.ntraj, seeds, step_options(spr))
            wall = time.perf_counter() - start
            d = np.abs(mean - ref)
            worst = np.argmax(d)
            print(f"{spr:>14} {res.stats['steps']:10.0f} {wall:9.2f} "
                  f"{d[worst]:8.4f} {np.hypot(se, ref_se)[worst]:8.4f} "
                  f"{np.max(np.abs(mean - exact)):18.4f}", flush=True)


def step_options(text):
    """The step options of a ``--spr`` argument."""
    spr, *extra = text.split(":")
    options = {}
    if spr != "default":
        values = [float(v) for v in spr.split(",")]
        options["steps_per_rate"] = values[0] if len(values) == 1 \
            else tuple(values)
    for item in extra:
        if item == "heun":
            options["scheme"] = "heun"
        else:
            key, value = item.split("=")
            options[key] = float(value)
    return options


if __name__ == "__main__":
    main()
