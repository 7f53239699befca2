"""Per-trajectory random streams (xoshiro256**), usable inside numba kernels.

Trajectory g of a run with root key (k0, k1) gets a stream seeded from
splitmix64 of (k0, k1, g) only, so its noise does not depend on how the
trajectories are batched or on the number of threads or processes.
Normal deviates come from Marsaglia and Tsang's ziggurat (256 layers, one
64-bit draw for 99% of them), about six times cheaper than Box-Muller.
"""

import numba as nb
import numpy as np

__all__ = ["root_key", "seed_streams", "uniform", "normal", "normal_pair"]

_U = nb.uint64


_ZIG_R = 3.6541528853610088    # edge of the base strip, for 256 layers


def _ziggurat_tables(layers=256, r=_ZIG_R, v=4.92867323399e-3):
    """Marsaglia-Tsang tables for 52-bit abscissas.

    Layer i >= 1 is the rectangle of width x_i between f(x_i) and
    f(x_(i-1)) (x_0 = 0 < x_1 < ... < x_(layers-1) = r, f(x) = exp(-x^2/2)),
    each of area v; layer 0 is the base strip of width v / f(r), the part
    beyond r being the tail.  A draw U x_i in layer i is accepted at once
    when below x_(i-1): ``k[i]`` holds x_(i-1) / x_i in units of 2^-52.
    """
    x = np.zeros(layers)
    x[-1] = r
    for i in range(layers - 2, 0, -1):
        x[i] = np.sqrt(-2.0 * np.log(v / x[i + 1]
                                     + np.exp(-0.5 * x[i + 1] ** 2)))
    width = x.copy()
    width[0] = v / np.exp(-0.5 * r * r)
    below = np.concatenate(([r], x[:-1]))
    k = np.floor(below / width * 2.0 ** 52).astype(np.uint64)
    return k, width / 2.0 ** 52, np.exp(-0.5 * x * x)


_ZIG_K, _ZIG_W, _ZIG_F = _ziggurat_tables()


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
def _layer_draw(st):
    """One ziggurat draw: (layer, signed abscissa, accepted at once, bits)."""
    r = _next(st)
    i = r & _U(0xFF)
    mag = (r >> _U(9)) & _U(0xFFFFFFFFFFFFF)
    x = mag * _ZIG_W[i]
    if (r >> _U(8)) & _U(1):
        x = -x
    return i, x, mag < _ZIG_K[i], r >> _U(61)


@nb.njit(cache=True)
def _normal_slow(st, i, x, bits):
    """The ziggurat's rare branches: layer i's wedge, or the tail (i = 0),
    then fresh draws until one is accepted."""
    while True:
        if i == 0:
            while True:
                xx = -np.log1p(-uniform(st)) / _ZIG_R
                yy = -np.log1p(-uniform(st))
                if yy + yy > xx * xx:
                    return -(_ZIG_R + xx) if bits & _U(1) else _ZIG_R + xx
        if (_ZIG_F[i - 1] - _ZIG_F[i]) * uniform(st) + _ZIG_F[i] \
                < np.exp(-0.5 * x * x):
            return x
        i, x, accepted, bits = _layer_draw(st)
        if accepted:
            return x


@nb.njit(inline="always", cache=True)
def normal(st):
    """A standard normal deviate (ziggurat)."""
    i, x, accepted, bits = _layer_draw(st)
    if accepted:
        return x
    return _normal_slow(st, i, x, bits)


@nb.njit(inline="always", cache=True)
def normal_pair(st):
    """Two independent standard normals."""
    return normal(st), normal(st)
