"""The initial sampling ("moments" against the paper's "ring").

1. One-axis twisting, H = chi Jz^2 from the coherent state along x, without
   dissipation and with local dephasing 0.1 chi N: the minimum over time of
   Wineland's squeezing parameter xi_R^2 = N Var_min(J_perp) / |<J>|^2,
   exact (mesolve on the PIQS Liouvillian) against the TWA, with the
   spread of the TWA minimum over independent seeds.
2. The single-ensemble accuracy table (docs/theory.md Section 8): max |TWA
   - exact| of the laser's <J+J->/N^2 and the time crystals' <Jz>/N.
3. The bound on any sampling: one-axis twisting from the exact, not
   positive, Wigner function of the coherent state (Fock N times vacuum in
   the Schwinger modes), by quadrature (Gauss-Laguerre for the radial
   quasi-density 2 (-1)^N exp(-2x) L_N(4x) of x = |a|^2, Gauss-Hermite for
   the vacuum), each point carried by the truncated equations, which for
   H = chi Jz^2 rotate a and b by -+chi Sz t.  A positive sampling that
   matches the Wigner function's moments cannot do better than this.

The composite table is ``composite_accuracy.py --initial-sampling ...``.

    python benchmarks/initial_sampling.py [--ntraj 20000] [--part 1 2 3]
"""

import argparse

import numpy as np
import qutip
from numpy.polynomial.hermite import hermgauss
from qutip import piqs
from scipy.special import eval_laguerre, roots_laguerre

from qutip_twa import twasolve

SAMPLINGS = ("ring", "moments")


def squeezing(e, N):
    """xi_R^2 per time from <Jx>, <Jy>, <Jz>, <Jy^2>, <Jz^2>, <{Jy,Jz}>/2
    (the mean spin stays along x)."""
    ex, ey, ez, yy, zz, yz = (np.real(np.asarray(v)) for v in e)
    vy, vz, c = yy - ey ** 2, zz - ez ** 2, yz - ey * ez
    vmin = 0.5 * (vy + vz - np.sqrt((vy - vz) ** 2 + 4 * c ** 2))
    return N * vmin / (ex ** 2 + ey ** 2 + ez ** 2)


def twisting(ntraj, sizes=(10, 20, 40), seeds=4):
    print("one-axis twisting, chi = 1, CSS along x; min over t of xi_R^2 "
          f"(TWA: mean and spread over {seeds} seeds of {ntraj} "
          "trajectories)")
    print(f"{'N':>4} {'dephasing':>10} {'exact':>8} "
          + " ".join(f"{s:>16} {'rel':>7}" for s in SAMPLINGS))
    for N in sizes:
        jx, jy, jz = (piqs.jspin(N, a) for a in "xyz")
        e_ops = [jx, jy, jz, jy * jy, jz * jz, (jy * jz + jz * jy) / 2]
        rho0 = piqs.css(N, np.pi / 2, 0, coordinates="polar")
        tlist = np.linspace(0, 2.5 / N ** (2 / 3), 126)
        for gamma in (0.0, 0.1 * N):
            system = piqs.Dicke(N, hamiltonian=jz * jz, dephasing=gamma)
            L = system.liouvillian()
            exact = squeezing(qutip.mesolve(L, rho0, tlist,
                                            e_ops=e_ops).expect, N)
            row = f"{N:4d} {gamma:10.1f} {exact.min():8.4f}"
            for sampling in SAMPLINGS:
                mins = [squeezing(twasolve(
                    L, rho0, tlist, e_ops=e_ops, ntraj=ntraj, seeds=s,
                    options={"initial_sampling": sampling}).expect,
                    N).min() for s in range(seeds)]
                mean, spread = np.mean(mins), np.std(mins, ddof=1)
                row += (f" {mean:9.4f}({spread / np.sqrt(seeds):.4f})"
                        f" {mean / exact.min() - 1:+7.3f}")
            print(row)


def accuracy_table(ntraj):
    print(f"\nsingle-ensemble accuracy table, {ntraj} trajectories, "
          "max |TWA - exact|")
    print(f"{'case':>22} " + " ".join(f"{s:>9}" for s in SAMPLINGS)
          + f" {'stderr':>8}")
    cases = []
    for N in (10, 40):
        system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
        cases.append((f"laser N={N}", system, np.linspace(0, 8 / N, 81),
                       piqs.jspin(N, "+") * piqs.jspin(N, "-"), N ** 2))
    for local in ("dephasing", "emission"):
        for N in (10, 30):
            rates = {"dephasing": 0.8 * N} if local == "dephasing" \
                else {"emission": 0.2 * N}
            system = piqs.Dicke(N, hamiltonian=N * piqs.jspin(N, "x"),
                                collective_emission=1.0, **rates)
            cases.append((f"BTC {local} N={N}", system,
                          np.linspace(0, 10 / N, 101), piqs.jspin(N, "z"), N))
    for name, system, tlist, op, scale in cases:
        rho0 = piqs.excited(system.N)
        exact = qutip.mesolve(system.liouvillian(), rho0, tlist,
                              e_ops=[op]).expect[0].real / scale
        row = f"{name:>22}"
        for sampling in SAMPLINGS:
            twa = twasolve(system, rho0, tlist, e_ops=[op], ntraj=ntraj,
                           seeds=system.N,
                           options={"initial_sampling": sampling})
            row += f" {np.abs(twa.expect[0].real / scale - exact).max():9.4f}"
        print(row + f" {twa.stderr_expect[0].max() / scale:8.4f}")


def exact_wigner_twisting(sizes=(10, 20, 40), points=120, nodes=24):
    print("\none-axis twisting from the exact Wigner function, by quadrature")
    print(f"{'N':>4} {'exact':>8} {'TWA':>8} {'rel':>7}")
    y, w = hermgauss(nodes)
    re, im = np.meshgrid(y / np.sqrt(2), y / np.sqrt(2))  # variance 1/4
    zb = (re + 1j * im).ravel()
    wb = np.outer(w, w).ravel() / np.pi
    for N in sizes:
        jx, jy, jz = (piqs.jspin(N, a) for a in "xyz")
        e_ops = [jx, jy, jz, jy * jy, jz * jz, (jy * jz + jz * jy) / 2]
        tlist = np.linspace(0, 2.5 / N ** (2 / 3), 126)
        exact = squeezing(qutip.mesolve(
            piqs.Dicke(N, hamiltonian=jz * jz).liouvillian(),
            piqs.css(N, np.pi / 2, 0, coordinates="polar"), tlist,
            e_ops=e_ops).expect, N)
        y, wy = roots_laguerre(points)  # weight exp(-y), y = 2 x
        x, wx = y / 2, (-1) ** N * wy * eval_laguerre(N, 2 * y)
        weight = np.outer(wx, wb)
        # |N/2, N/2> rotated to x: a = (za - zb) / sqrt(2), b = (za + zb) / ..
        za = np.sqrt(x)[:, None]
        a, b = (za - zb) / np.sqrt(2), (za + zb) / np.sqrt(2)
        sz = (abs(a) ** 2 - abs(b) ** 2) / 2
        twa = []
        for t in tlist:
            jp = np.conj(a) * b * np.exp(2j * sz * t)
            sx, sy = jp.real, jp.imag
            mean = lambda f: np.sum(weight * f)  # noqa: E731
            twa.append([mean(sx), mean(sy), mean(sz), mean(sy * sy) - 1 / 8,
                        mean(sz * sz) - 1 / 8, mean(sy * sz)])
        twa = squeezing(np.transpose(twa), N)
        print(f"{N:4d} {exact.min():8.4f} {twa.min():8.4f} "
              f"{twa.min() / exact.min() - 1:+7.3f}  (norm {weight.sum():.6f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ntraj", type=int, default=20000)
    parser.add_argument("--part", type=int, nargs="*", default=[1, 2, 3])
    args = parser.parse_args()
    if 1 in args.part:
        twisting(args.ntraj)
    if 2 in args.part:
        accuracy_table(args.ntraj)
    if 3 in args.part:
        exact_wigner_twisting()


if __name__ == "__main__":
    main()
