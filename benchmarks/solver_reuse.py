"""Parameter sweeps: twasolve each time against one TwaSolver run many times.

``TwaSolver`` identifies the operators (a Liouvillian's decomposition, a
tensor-product Qobj's projection) once; each ``run`` only reads the state
and e_ops.  Two sweeps over initial states and seeds:

- the superradiant laser given as a PIQS Liouvillian (N = 40);
- two ensembles given as tensor-product Qobjs (N = 10 each).

Prints the wall time of the sweep both ways and the identification time.
"""

import argparse
import time

import numpy as np
from qutip import piqs

from qutip_twa import Ensembles, TwaSolver, twasolve

M_SIZE = 10  # emitters per ensemble in the two-ensemble sweep


def cases(N):
    system = piqs.Dicke(N, hamiltonian=0.1 * piqs.jspin(N, "z") ** 2,
                        collective_emission=1.0, pumping=0.25 * N)
    tlist = np.linspace(0, 4 / N, 21)
    states = [piqs.css(N, th, 0.0, coordinates="polar")
              for th in np.linspace(0.3, 2.8, 5)] + [piqs.excited(N)]
    yield ("laser, Liouvillian", (system.liouvillian(),), {}, states,
           tlist, [piqs.jspin(N, "z")])
    ens = Ensembles([M_SIZE, M_SIZE])
    H = (0.5 * (ens.jp(0) * ens.jm(1) + ens.jp(1) * ens.jm(0))).to_qobj()
    c_ops = [ens.lowering([1.0, 1j]).to_qobj()]
    states = [ens.css([th, np.pi - th], 0.0).to_qobj()
              for th in np.linspace(0.3, 2.8, 5)] + [ens.excited().to_qobj()]
    yield ("two ensembles, tensor Qobjs", (H, c_ops), {"pumping": 2.0},
           states, np.linspace(0, 1, 21), [ens.jz(0).to_qobj()])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--N", type=int, default=40)
    parser.add_argument("--ntraj", type=int, default=256)
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    print(f"{'sweep':<28} {'runs':>5} {'twasolve (s)':>13} "
          f"{'TwaSolver (s)':>14} {'of which init (s)':>18} {'saving':>7}")
    for name, system, rates, states, tlist, e_ops in cases(args.N):
        runs = [(s, seed) for s in states for seed in range(args.seeds)]
        # warm numba and caches once, outside the timings
        twasolve(*system[:1], states[0], tlist, *system[1:], e_ops=e_ops,
                 ntraj=args.ntraj, seeds=0, **rates)
        start = time.perf_counter()
        for state, seed in runs:
            twasolve(system[0], state, tlist, *system[1:], e_ops=e_ops,
                     ntraj=args.ntraj, seeds=seed, **rates)
        each = time.perf_counter() - start
        start = time.perf_counter()
        solver = TwaSolver(*system, **rates)
        init = time.perf_counter() - start
        for state, seed in runs:
            solver.run(state, tlist, args.ntraj, e_ops=e_ops, seeds=seed)
        once = time.perf_counter() - start
        print(f"{name:<28} {len(runs):>5} {each:>13.2f} {once:>14.2f} "
              f"{init:>18.2f} {each / once:>6.1f}x")


if __name__ == "__main__":
    main()
