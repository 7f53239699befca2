"""Wall times of the exact population solver (prints a table).

    python benchmarks/population.py [--N 100 500 1000 2000] [--no-local]

Cases, from the fully excited state |N/2, N/2>, e_ops <Jz> and <J+J->
(as functions of the Dicke labels), 161 output times:

- laser: collective_emission = 1, pumping = 0.25 N, t in [0, 8/N]
  (superradiant laser: stiff, rates ~ N^2);
- local: emission = 1, dephasing = 0.5, t in [0, 4].

"W build" is the time of ``population_rate_matrix`` alone (the sparse CSR
generator, not needed by the default uniformization method, which builds its
own stencil inside "solve"). The first call of the process also loads (or,
the very first time, compiles) the numba kernels; it is timed separately.
"""

import argparse
import time

import numpy as np
from qutip import piqs

from qutip_twa.operators.dicke import dicke_labels, num_dicke_states
from qutip_twa.exact import population_rate_matrix, population_solve


def case(name, N):
    if name == "laser":
        rates = dict(collective_emission=1.0, pumping=0.25 * N)
        tlist = np.linspace(0, 8 / N, 161)
    else:
        rates = dict(emission=1.0, dephasing=0.5)
        tlist = np.linspace(0, 4, 161)
    return rates, tlist


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--N", type=int, nargs="+",
                        default=[100, 500, 1000, 2000])
    parser.add_argument("--no-local", action="store_true",
                        help="time the laser case only")
    opts = parser.parse_args()
    e_ops = {"jz": lambda j, m: m,
             "jpjm": lambda j, m: (j + m) * (j - m + 1)}

    t0 = time.perf_counter()
    population_solve(piqs.Dicke(4, collective_emission=1.0),
                     piqs.excited(4), [0, 1], e_ops=e_ops)
    print(f"first call (numba load/compile): {time.perf_counter() - t0:.2f} s")

    cases = ["laser"] if opts.no_local else ["laser", "local"]
    print(f"{'case':<6} {'N':>5} {'dim':>9} {'W build/s':>10} "
          f"{'solve/s':>8} {'iters':>6} {'active':>8} {'<Jz>/N end':>11}")
    for name in cases:
        for N in opts.N:
            rates, tlist = case(name, N)
            dicke_labels(N)                 # cached labels, as in a session
            t0 = time.perf_counter()
            population_rate_matrix(N, **rates)
            t_build = time.perf_counter() - t0
            p0 = np.zeros(num_dicke_states(N))
            p0[0] = 1.0                     # |N/2, N/2>
            t0 = time.perf_counter()
            res = population_solve(piqs.Dicke(N, **rates), p0, tlist,
                                   e_ops=e_ops)
            t_solve = time.perf_counter() - t0
            print(f"{name:<6} {N:>5} {num_dicke_states(N):>9} "
                  f"{t_build:>10.2f} {t_solve:>8.2f} "
                  f"{res.stats.get('num_iterations', 0):>6} "
                  f"{res.stats.get('mean active states', 0):>8.0f} "
                  f"{res.e_data['jz'][-1] / N:>11.6f}")


if __name__ == "__main__":
    main()
