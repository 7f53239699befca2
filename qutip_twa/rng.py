"""Per-trajectory random streams (xoshiro256**), usable inside numba kernels.

Trajectory g of a run with root key (k0, k1) gets a stream seeded from
splitmix64 of (k0, k1, g) only, so its noise does not depend on how the
trajectories are batched or on the number of threads or processes.
"""

import numba as nb
import numpy as np

__all__ = ["root_key", "seed_streams", "uniform", "normal_pair"]

_U = nb.uint64


def root_key(seed):
    """Two uint64 words from an int, a SeedSequence or None (fresh entropy).

    Returns the key and the ``SeedSequence`` it came from.
    """
    if isinstance(seed, np.random.SeedSequence):
        seq = seed
    elif seed is None or isinstance(seed, (int, np.integer)):
        if seed is not None and seed < 0:
            raise ValueError(f"seeds must be a non-negative integer, got {seed}")
        seq = np.random.SeedSequence(seed)
    else:
        raise TypeError("seeds must be None, a non-negative int or a "
                        f"numpy.random.SeedSequence, got {type(seed).__name__}")
    return seq.generate_state(2, np.uint64), seq


@nb.njit(inline="always", cache=True)
def _rotl(x, k):
    return (x << _U(k)) | (x >> _U(64 - k))


@nb.njit(inline="always", cache=True)
def _splitmix(x):
    x = x + _U(0x9E3779B97F4A7C15)
    z = x
    z = (z ^ (z >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> _U(27))) * _U(0x94D049BB133111EB)
    return x, z ^ (z >> _U(31))


@nb.njit(cache=True)
def seed_streams(key, first, count, state):
    """Fill ``state[i]`` (uint64[4]) for trajectories first .. first+count-1."""
    for i in range(count):
        x = key[0] ^ (_U(first + i) * _U(0xD1342543DE82EF95))
        x, _ = _splitmix(x)
        x = x ^ key[1]
        for w in range(4):
            x, z = _splitmix(x)
            state[i, w] = z


@nb.njit(inline="always", cache=True)
def _next(st):
    result = _rotl(st[1] * _U(5), 7) * _U(9)
    t = st[1] << _U(17)
    st[2] ^= st[0]
    st[3] ^= st[1]
    st[1] ^= st[2]
    st[0] ^= st[3]
    st[2] ^= t
    st[3] = _rotl(st[3], 45)
    return result


@nb.njit(inline="always", cache=True)
def uniform(st):
    """Uniform double in [0, 1)."""
    return (_next(st) >> _U(11)) * (1.0 / 9007199254740992.0)


@nb.njit(inline="always", cache=True)
def normal_pair(st):
    """Two independent standard normals (Box-Muller)."""
    r = np.sqrt(-2.0 * np.log(1.0 - uniform(st)))
    phi = 2.0 * np.pi * uniform(st)
    return r * np.cos(phi), r * np.sin(phi)
