"""Engine throughput in trajectory-steps per second (prints two tables).

    python benchmarks/throughput.py [--ntraj 8192] [--steps 2000]

Cases: (a) collective emission + local pumping; (b) all six rates and
H = Jx + Jz^2.  Runs once to compile (numba caches to disk), then times.
The second table takes case a apart on one thread: the step with each part
switched off, and the random numbers alone (a bare loop drawing the same
normals from the same generator), the floor under any step.
"""

import argparse
import time

import numba
import numpy as np
from qutip import piqs

from qutip_twa import twasolve
from qutip_twa.engine.rng import normal, root_key, seed_streams


def cases(N):
    jx, jz = piqs.jspin(N, "x"), piqs.jspin(N, "z")
    return {
        "a: collective emission + local pumping":
            piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N),
        "b: six rates, H = Jx + Jz^2":
            piqs.Dicke(N, hamiltonian=jx + jz * jz, emission=1.0,
                       dephasing=1.0, pumping=1.0, collective_emission=1.0,
                       collective_dephasing=1.0, collective_pumping=1.0),
    }


def step_time(system, N, ntraj, steps, threads):
    """Seconds per trajectory-step of ``system`` from the excited state."""
    options = {"dt": 1.0 / steps, "adaptive": False, "num_cpus": threads}
    twasolve(system, piqs.excited(N), [0.0, 1.0], ntraj=256,
             options=options)  # compile
    start = time.perf_counter()
    twasolve(system, piqs.excited(N), [0.0, 1.0], ntraj=ntraj, seeds=1,
             options=options)
    return (time.perf_counter() - start) / (ntraj * steps)


@numba.njit(_nrt=False)  # as the engine: no reference counting
def _draw_normals(state, count):
    total = 0.0
    for i in range(state.shape[0]):
        for _ in range(count):
            total += normal(state[i])
    return total


def normal_time(ntraj, per_step, steps):
    """Seconds per trajectory-step for drawing ``per_step`` normals."""
    state = np.empty((ntraj, 4), dtype=np.uint64)
    seed_streams(root_key(1)[0], 0, ntraj, state)
    _draw_normals(state[:1], 1)
    start = time.perf_counter()
    _draw_normals(state, per_step * steps)
    return (time.perf_counter() - start) / (ntraj * steps)


def parts(N, ntraj, steps):
    """Case a on one thread, part by part, in ns per trajectory-step."""
    jz = piqs.jspin(N, "z")
    rows = {
        "case a": piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N),
        "without the pumping": piqs.Dicke(N, collective_emission=1.0),
        "without the collective channel": piqs.Dicke(N, pumping=0.25 * N),
        "empty step (H = Jz, no channels)": piqs.Dicke(N, hamiltonian=jz),
    }
    print(f"\n{'case a on 1 thread':<40} {'ns / step':>10}")
    for name, system in rows.items():
        ns = 1e9 * step_time(system, N, ntraj, steps, 1)
        print(f"{name:<40} {ns:>10.0f}")
    # 4 complex noises per step (1 collective + 3 pumping): 8 normals
    ns = 1e9 * normal_time(ntraj, 8, steps)
    print(f"{'random numbers alone (8 normals)':<40} {ns:>10.0f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--N", type=int, default=20)
    parser.add_argument("--ntraj", type=int, default=8192)
    parser.add_argument("--steps", type=int, default=2000)
    opts = parser.parse_args()
    print(f"{'case':<40} {'threads':>7} {'traj-steps/s':>14}")
    for name, system in cases(opts.N).items():
        for threads in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            seconds = step_time(system, opts.N, opts.ntraj, opts.steps,
                                threads)
            print(f"{name:<40} {threads:>7} {1 / seconds:>14.3g}")
    parts(opts.N, opts.ntraj // 4, opts.steps)


if __name__ == "__main__":
    main()
