"""Shared helpers: exact references and the statistical test criterion.

``QUTIP_TWA_TEST_NTRAJ`` sets the trajectories of the accuracy tests
(default 4000).  Tolerances scale with the measured standard error, so fewer
trajectories give looser, still meaningful, checks.
"""

import os

import numpy as np
import pytest

NTRAJ = int(os.environ.get("QUTIP_TWA_TEST_NTRAJ", "4000"))
SAFETY = 4.0  # standard errors allowed on top of the TWA error budget


def assert_close_to_exact(twa_mean, twa_stderr, exact, budget, name=""):
    """Assert |TWA - exact| <= budget + SAFETY * stderr at every time.

    Returns the maximum absolute error, for reporting.
    """
    twa_mean, exact = np.asarray(twa_mean), np.asarray(exact)
    err = np.abs(twa_mean - exact)
    allowed = budget + SAFETY * np.asarray(twa_stderr)
    worst = np.argmax(err - allowed)
    assert err[worst] <= allowed[worst], (
        f"{name}: |TWA - exact| = {err[worst]:.4g} at index {worst} exceeds "
        f"budget {budget} + {SAFETY} x stderr {twa_stderr[worst]:.3g}")
    return err.max()


@pytest.fixture(scope="session")
def ntraj():
    return NTRAJ
