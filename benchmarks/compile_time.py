"""JIT compile time of the engine: cold (empty numba cache) and warm.

Each measurement runs a fresh Python process that imports qutip_twa and
makes one small ``twasolve`` call (one ensemble, then two ensembles with
an exchange), with ``NUMBA_CACHE_DIR`` pointing at a private directory: the
first run compiles and writes the cache, the second loads it.

    python benchmarks/compile_time.py
"""

import os
import subprocess
import sys
import tempfile
import time

SNIPPET = """
import time
t0 = time.perf_counter()
import numpy as np
from qutip import piqs
from qutip_twa import Ensembles, twasolve
t1 = time.perf_counter()
twasolve(piqs.Dicke(4, collective_emission=1.0, pumping=1.0),
         piqs.excited(4), [0, 0.1], ntraj=256, seeds=1)
t2 = time.perf_counter()
ens = Ensembles(4, M=2)
twasolve(ens.jp(0) * ens.jm(1) + ens.jp(1) * ens.jm(0), ens.ground(),
         [0, 0.1], [ens.lowering(1.0)], e_ops=[ens.jz(0)], ntraj=256,
         seeds=1, pumping=1.0)
t3 = time.perf_counter()
print(f"{t1 - t0:.2f} {t2 - t1:.2f} {t3 - t2:.2f}")
"""


def run(cache):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SNIPPET], env=env,
                         capture_output=True, text=True, check=True)
    total = time.perf_counter() - start
    return [float(x) for x in out.stdout.split()] + [total]


def main():
    print(f"{'cache':<6} {'import (s)':>10} {'1st solve (s)':>14} "
          f"{'2-ensemble solve (s)':>21} {'process (s)':>12}")
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold", "warm"):
            imp, one, two, total = run(cache)
            print(f"{label:<6} {imp:10.2f} {one:14.2f} {two:21.2f} "
                  f"{total:12.2f}")


if __name__ == "__main__":
    main()
