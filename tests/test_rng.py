"""The ziggurat normal sampler of rng.py against the standard normal law.

Four million deviates from one stream: mean and variance within five
standard errors, a chi-square test over 200 bins of width 0.05 (which
resolves the ziggurat's layers and wedges), and the tail beyond the base
strip's edge r = 3.654 (its own branch) within five binomial standard
deviations.
"""

import numba as nb
import numpy as np
from scipy import special, stats

from qutip_twa.engine.rng import _ZIG_R, normal, root_key, seed_streams

N_DRAWS = 4_000_000


@nb.njit
def _draw(state, n):
    out = np.empty(n)
    for i in range(n):
        out[i] = normal(state)
    return out


def _sample(seed, n=N_DRAWS):
    key, _ = root_key(seed)
    state = np.empty((1, 4), dtype=np.uint64)
    seed_streams(key, 0, 1, state)
    return _draw(state[0], n)


def test_moments():
    x = _sample(11)
    n = len(x)
    assert abs(x.mean()) < 5 / np.sqrt(n)
    assert abs(x.var() - 1) < 5 * np.sqrt(2 / n)


def test_histogram_and_tail():
    x = _sample(12)
    n = len(x)
    edges = np.concatenate(([-np.inf], np.linspace(-5, 5, 201), [np.inf]))
    counts, _ = np.histogram(x, edges)
    expected = n * np.diff(special.ndtr(edges))
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert stats.chi2.sf(chi2, len(counts) - 1) > 1e-4
    p_tail = 2 * special.ndtr(-_ZIG_R)
    tail = np.count_nonzero(np.abs(x) > _ZIG_R)
    assert abs(tail - n * p_tail) < 5 * np.sqrt(n * p_tail)


def test_same_seed_same_deviates():
    np.testing.assert_array_equal(_sample(3, 1000), _sample(3, 1000))
    assert not np.array_equal(_sample(3, 1000), _sample(4, 1000))
