"""options["map"] = "mpi": two MPI processes give the in-process result.

Needs mpi4py and an MPI library (the ``test`` extra installs mpi4py and
mpich from PyPI); runs ``mpiexec -n 2 python -m mpi4py.futures``.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="the mpi map needs mpi4py")
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) \
    or shutil.which("mpiexec")


@pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec")
def test_mpi_map_is_bit_identical_to_in_process_run():
    script = Path(__file__).parent / "mpi" / "compare_maps.py"
    done = subprocess.run(
        [MPIEXEC, "-n", "2", sys.executable, "-m", "mpi4py.futures",
         str(script)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "identical", done.stdout
