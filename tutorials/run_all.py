"""Run every tutorial as a script and print its wall time.

``python tutorials/run_all.py`` runs them at the paper's sizes;
``QUTIP_TWA_TUTORIAL_QUICK=1 python tutorials/run_all.py`` at reduced size.
Figures go to ``tutorials/figures`` (or ``$QUTIP_TWA_FIGURES``); each
tutorial's output, including its error tables, goes to the terminal.
Names given on the command line (``python tutorials/run_all.py 02 05``)
select tutorials by prefix.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(prefixes):
    scripts = sorted(p for p in HERE.glob("[0-9][0-9]_*.py")
                     if not prefixes or p.name.startswith(tuple(prefixes)))
    env = dict(os.environ, MPLBACKEND="Agg")
    times = []
    for script in scripts:
        print(f"=== {script.name}", flush=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, script.name], cwd=HERE, env=env,
                       check=True)
        times.append((script.name, time.perf_counter() - start))
    print("\ntutorial                        wall time [s]")
    for name, seconds in times:
        print(f"{name:<32}{seconds:>13.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
