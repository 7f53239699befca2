"""Which positive distribution stands for each Fock state of the start.

The Wigner function of a Fock state n > 0 is not positive.  Its moments of
x = |z|^2 are n + 1/2 (mean) and 1/4 (variance); a sampling that keeps both
reproduces every first and second moment of the collective spin of every
Dicke state and coherent spin state (theory page, Section 6).  "moments"
draws x uniformly from n + 1/2 +- sqrt(3)/2 (variance 1/4); "ring" is the
fixed modulus x = n + 1/2 of the paper, which misses <Jz^2> by 1/16 per
occupied mode.  The vacuum is its own (Gaussian, positive) Wigner function
in both.
"""

import numpy as np

from ..engine import SamplingTables

__all__ = ["INITIAL_SAMPLINGS", "sampling_tables"]

INITIAL_SAMPLINGS = {"moments": np.sqrt(3.0) / 2.0, "ring": 0.0}


def sampling_tables(state, sampling="moments"):
    """``SamplingTables`` of a ``ProductState`` for the named sampling."""
    cum, n_a, n_b, theta, phi, shift = state.sampling_tables()
    return SamplingTables(cum, n_a, n_b, theta, phi,
                          spread=INITIAL_SAMPLINGS[sampling], shift=shift,
                          n_modes=state.ensembles.modes)
