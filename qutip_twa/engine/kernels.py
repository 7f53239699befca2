"""The numba engine: Stratonovich Heun steps for M ensembles' amplitudes.

State of one trajectory: complex amplitudes a[m], b[m] for m < M sites (the
last ``n_modes`` of them bosonic modes, a = 1 and b the mode's amplitude).
The model is an ``EngineModel`` (contract.py), a named tuple of arrays: emitter
numbers, local rates, collective jumps, the Hamiltonian symbol as monomials
with their time-coefficient rows, and constant couplings between ensembles
as a dense matrix (one matrix-vector product, O(n^2) for n coupled
variables) or as a semiseparable exchange (two running sums, O(M r)).

One complex Wiener increment per channel, E[dW dW*] = 2 dt, shared by the two
Heun stages.  Whatever turns an ensemble's (a, b) by a U(2) matrix (the
Hamiltonian's gradient, every collective channel, the local channels'
common phase of docs/theory.md Section 5.2) is applied as that exact
rotation, with the corrector of Section 5.3, so collective dynamics keeps
every J exactly and a linear Hamiltonian precesses exactly at any step;
the local channels' other increments are added, and local rates and the
closed j = +1 channels follow Section 5.4.

Entry points (``propagate``, ``propagate_adaptive``, ``sample_initial``)
are Python functions that spread rows over threads (threads.py); each
thread runs one compiled row function, ``_advance_rows`` or
``_sample_rows``.
"""

from typing import NamedTuple

import numba as nb
import numpy as np

from .contract import DEPHASING, EMISSION, PUMPING
from .rng import normal_pair, uniform
from .threads import over_rows

__all__ = ["propagate", "propagate_adaptive", "sample_initial"]

_NO_RATES = np.zeros(0)
_NO_RULE = np.zeros(4)
_NO_STEPS = np.zeros(0, dtype=np.int64)


@nb.njit(inline="always", cache=True)
def _abs2(z):
    """|z|^2 without the square root of abs."""
    return z.real * z.real + z.imag * z.imag


@nb.njit(inline="always", cache=True)
def _hamiltonian_gradient(a, b, model, tg, work):
    """Real gradient of the Hamiltonian symbol w.r.t. (Sx, Sy, Sz, s):
    monomials in Sz and s only into ``work.zgrad``, the rest into
    ``work.grad``; ``work.var`` gets the variables of (a, b)."""
    var, grad, zgrad = work.var, work.grad, work.zgrad
    M = a.shape[0]
    for m in range(M):
        sp = np.conj(a[m]) * b[m]
        na, nb_ = _abs2(a[m]), _abs2(b[m])
        var[4 * m] = sp.real
        var[4 * m + 1] = sp.imag
        var[4 * m + 2] = 0.5 * (na - nb_)
        var[4 * m + 3] = 0.5 * (na + nb_)
    mono_var, mono_coef = model.mono_var, model.mono_coef
    mono_chan, chan_val = model.mono_chan, model.chan_val
    grad[:] = 0.0
    zgrad[:] = 0.0
    for i in range(mono_var.shape[0]):
        c = mono_coef[i] * chan_val[mono_chan[i], tg]
        target = zgrad if work.mono_z[i] else grad
        for slot in range(4):
            v = mono_var[i, slot]
            if v < 0:
                break
            prod = c
            for other in range(4):
                w = mono_var[i, other]
                if w < 0:
                    break
                if other != slot:
                    prod *= var[w]
            target[v] += prod.real
    exchange_var, exchange_mat = model.exchange_var, model.exchange_mat
    n = exchange_var.shape[0]
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += exchange_mat[i, j] * var[exchange_var[j]]
        grad[exchange_var[i]] += acc
    if model.sep_u.shape[1]:
        _separable_gradient(var, model.sep_u, model.sep_v, grad, work.lower,
                            work.acc)


def _in_sz_and_s(mono_var):
    """Per monomial, True when its variables are all Sz or s: its flow
    turns each ensemble about z by an angle that the flow keeps constant.
    This and the other model flags (``_linear_field``, ``_z_rate``) are
    plain numpy, worked out before the engine runs: compiled, they cost a
    second of the first call's compilation."""
    return np.all((mono_var < 0) | (mono_var % 4 >= 2), axis=1)


@nb.njit(cache=True)
def _separable_gradient(var, U, V, grad, lower, acc):
    """Add the gradient of sum A[m, m'] S+_m S-_m' (see module docstring).

    With y = A S-: dH/dSx_m = 2 Re y_m and dH/dSy_m = -2 Im y_m.  ``lower``
    (M) and ``acc`` (r) are scratch arrays.
    """
    M, r = U.shape
    acc[:] = 0.0
    for m in range(M):          # y_m from m' < m: sum_k U[m,k] sum V x
        y = 0j
        for k in range(r):
            y += U[m, k] * acc[k]
        lower[m] = y
        x = var[4 * m] - 1j * var[4 * m + 1]
        for k in range(r):
            acc[k] += V[m, k] * x
    acc[:] = 0.0
    for m in range(M - 1, -1, -1):  # m' > m: conj(V[m,k]) sum conj(U) x
        y = lower[m]
        for k in range(r):
            y += np.conj(V[m, k]) * acc[k]
        grad[4 * m] += 2.0 * y.real
        grad[4 * m + 1] -= 2.0 * y.imag
        x = var[4 * m] - 1j * var[4 * m + 1]
        for k in range(r):
            acc[k] += np.conj(U[m, k]) * x


@nb.njit(inline="always", cache=True)
def _collective_channel(coef, size, var, a, b, dW, dt, Db, phi, n_ensembles):
    """Add the increments of the channel C = sum_m al S-_m + be S+_m + ga Sz_m
    (``coef[m]`` = (al, be, ga), ``size[m]`` = |al| + |be| + |ga|); returns
    C and its reach sum_m size[m] |Sz_m|, which sets the rate at which a
    small C grows (Sz > 0) or decays (Sz < 0).  ``var`` holds the (Sx, Sy,
    Sz, s) of (a, b).

    With u = C dt + i conj(dW), every channel adds
    dz += 1/2 (dP/dz* conj(u) - conj(dP/dz) u) for its symbol P (here C);
    for this P that is da = (b x + a z) / 2, db = (a y - b z) / 2 with
    x = be u* - al* u, y = al u* - be* u = -x*, z = (ga u* - ga* u) / 2 =
    i Im(ga u*): on an ensemble, the rotation -i phi.sigma with phi =
    -(Im x, Re x, Im(ga u*)) / 2 (added to ``phi``); on a mode (a = 1), the
    increment of b (added to ``Db``).
    """
    C = 0j
    reach = 0.0
    for m in range(a.shape[0]):
        sm = complex(var[4 * m], -var[4 * m + 1])
        C += coef[m, 0] * sm + coef[m, 1] * np.conj(sm) \
            + coef[m, 2] * var[4 * m + 2]
        reach += size[m] * abs(var[4 * m + 2])
    u = C * dt + 1j * np.conj(dW)
    uc = np.conj(u)
    for m in range(n_ensembles):
        al, be, ga = coef[m, 0], coef[m, 1], coef[m, 2]
        x = be * uc - np.conj(al) * u
        phi[1, m] -= 0.5 * x.imag
        phi[2, m] -= 0.5 * x.real
        phi[3, m] -= 0.5 * (ga * uc).imag
    for m in range(n_ensembles, a.shape[0]):
        al, be, ga = coef[m, 0], coef[m, 1], coef[m, 2]
        y = al * uc - np.conj(be) * u
        z = 0.5 * (ga * uc - np.conj(ga) * u)
        Db[m] += 0.5 * (a[m] * y - b[m] * z)
    return C, reach


@nb.njit(inline="always", cache=True)
def _local_channel(q, j, a, b, ac, bc, k, dt, dW):
    """Increments (da, db) and P of local channel (process q, jump j).

    The channel of ``_collective_channel`` with C = k P, written out for
    each P of docs/theory.md Section 4 so that only its non-zero derivatives
    cost.
    """
    if q == DEPHASING:
        if j == 0:
            P = a.real * a.real + a.imag * a.imag \
                - b.real * b.real - b.imag * b.imag + 0j
        elif j == 1:
            P = a * b
        else:
            P = ac * bc
    elif j == 0:
        P = a * bc if q == EMISSION else ac * b
    elif j == 1:
        P = a * a if q == EMISSION else b * b
    else:
        P = bc * bc if q == EMISSION else ac * ac
    u = k * P * dt + 1j * np.conj(dW)
    h = 0.5 * k
    if q == EMISSION:
        if j == 0:      # P = a conj(b)
            return -h * b * u, h * a * np.conj(u), P
        if j == 1:      # P = a^2
            return -2 * h * ac * u, 0j, P
        return 0j, 2 * h * bc * np.conj(u), P        # P = conj(b)^2
    if q == PUMPING:
        if j == 0:      # P = conj(a) b
            return h * b * np.conj(u), -h * a * u, P
        if j == 1:      # P = b^2
            return 0j, -2 * h * bc * u, P
        return 2 * h * ac * np.conj(u), 0j, P        # P = conj(a)^2
    if j == 0:          # P = |a|^2 - |b|^2
        return h * a * (np.conj(u) - u), -h * b * (np.conj(u) - u), P
    if j == 1:          # P = a b
        return -h * bc * u, -h * ac * u, P
    return h * bc * np.conj(u), h * ac * np.conj(u), P  # conj(a) conj(b)


@nb.njit(inline="always", cache=True)
def _closed_drift(q, a, b, k2dt):
    """Increments (da, db) of the j = +1 channel of process q beyond its
    closing point (J > N/2): the drift of docs/theory.md Section 5.1,
    -1/2 (dC/dz)* C + 1/2 (dC/dz*) C*, which is linear in
    k2 = rate (N/2 - J_rates) / (2 s)^2, continued to k2 < 0, times dt; the
    noise, whose variance would be negative, is dropped (Section 5.4)."""
    if q == EMISSION:       # C = k conj(b)^2
        return 0j, k2dt * _abs2(b) * b
    if q == PUMPING:        # C = k conj(a)^2
        return k2dt * _abs2(a) * a, 0j
    return 0.5 * k2dt * _abs2(b) * a, 0.5 * k2dt * _abs2(a) * b  # conj(ab)


@nb.njit(inline="always", cache=True)
def _u2(f0, fx, fy, fz):
    """The rows (u, v) of exp(-i (f0 + f.sigma)) = [[u0, u1], [v0, v1]]:
    the exact U(2) rotation of one site's amplitudes (docs/theory.md
    Section 5.3)."""
    r = np.sqrt(fx * fx + fy * fy + fz * fz)
    s = np.sin(r) / r if r > 1e-6 else 1.0 - r * r / 6.0
    phase = complex(np.cos(f0), -np.sin(f0))
    c = phase * np.cos(r)
    sp = -1j * s * phase
    return c + sp * fz, sp * complex(fx, -fy), sp * complex(fx, fy), \
        c - sp * fz


@nb.njit(inline="always", cache=True)
def _amplitude(rate, chi2, dchi2, h, corr):
    """k(s) = sqrt(rate chi2) / (2 max(s, 1/2)) and its derivative.

    ``h`` = 1 / (2 max(s, 1/2)) and ``corr`` = 2 h for s > 1/2, else 0,
    are computed once per ensemble; ``rate`` > 0.
    """
    if chi2 <= 0.0:
        return 0.0, 0.0
    root = np.sqrt(rate * chi2)
    k = root * h
    if dchi2 == 0.0:
        return k, -k * corr
    return k, 0.5 * rate * dchi2 * h / root - k * corr


@nb.njit(cache=True)
def _increment(a, b, tg, dt, model, work, Da, Db, phi):
    """Heun stage: the increments Da, Db that are not rotations, and the
    rotation exp(-i (phi[0] + phi[1:4].sigma)) of each ensemble's (a, b):
    the Hamiltonian's gradient, the collective channels' and the local
    channels' common phase (docs/theory.md Section 5.3).  On a mode
    (a = 1) only the Hamiltonian's Sz, s monomials turn b; the rest of its
    dynamics is an increment of b.

    Returns three local rates of the dynamics at (a, b): the ensembles'
    largest precession frequency; the modes' (the relative rate of change of
    a mode's amplitude); and the dissipation rate, kappa_k (max(2 |C_k|,
    R_k) + kappa_k) summed over the collective channels (kappa_k its largest
    coefficient, C_k its symbol, R_k its reach sum_m |coefficients_m|
    |Sz_m|, which keeps the fast growth or decay of a small field near a
    pole resolved) plus the largest sum of local rates, times
    sqrt((N + 1) / (2 s)) where an ensemble's s = J + 1/2 is below
    (N + 1) / 2.  At full coherence they are of the order of
    ``Model.rate_scales``.  A channel on modes only counts with kappa_k^2:
    it does not grow with the field.
    """
    M = a.shape[0]
    n_ensembles = M - model.n_modes
    n_emitters, local_rates, jumps = (model.n_emitters, model.local_rates,
                                      model.jumps)
    dW, var, grad = work.dW, work.var, work.grad
    kappa, sizes = work.kappa, work.sizes
    _hamiltonian_gradient(a, b, model, tg, work)
    zgrad = work.zgrad
    rate_h = rate_m = z_max = z_local = 0.0
    for m in range(M):
        gx, gy = grad[4 * m], grad[4 * m + 1]
        gz, gs = grad[4 * m + 2], grad[4 * m + 3]
        hz = hs = 0.0
        if zgrad.shape[0]:
            hz, hs = zgrad[4 * m + 2], zgrad[4 * m + 3]
        Da[m] = 0j
        if m < n_ensembles:
            Db[m] = 0j
            phi[0, m] = 0.5 * dt * (gs + hs)
            phi[1, m] = 0.5 * dt * gx
            phi[2, m] = 0.5 * dt * gy
            phi[3, m] = 0.5 * dt * (gz + hz)
            phi[4, m], phi[5, m], phi[6, m] = phi[1, m], phi[2, m], phi[3, m]
        else:   # a mode: b turns by dt (hs - hz) / 2
            Db[m] = -0.5j * dt * ((gx + 1j * gy) * a[m] + (gs - gz) * b[m])
            phi[0, m] = 0.25 * dt * (hs - hz)
            phi[1, m] = phi[2, m] = 0.0
            phi[3, m] = -phi[0, m]
        if work.z_rate:
            gz, gs = gz + hz, gs + hs
        elif m < n_ensembles:   # its frequency changes as Sz does
            z = abs(hz)
            z_max = max(z_max, z)
            z_local = max(z_local, z * (local_rates[m, EMISSION]
                                        + local_rates[m, PUMPING]))
        if m < n_ensembles:     # the precession frequency; gs turns the
            # common phase of a and b, which no symbol sees
            rate_h = max(rate_h, np.sqrt(gx * gx + gy * gy + gz * gz))
        else:   # a mode: the relative rate of change of its amplitude
            rate_m = max(rate_m, 0.5 * (np.sqrt(gx * gx + gy * gy)
                                        / max(abs(b[m]), 1.0) + abs(gs - gz)))
    # collective channels share one noise across ensembles
    K = jumps.shape[0]
    rate_c = 0.0
    for k in range(K):
        C, reach = _collective_channel(jumps[k], sizes[k], var, a, b, dW[k],
                                       dt, Db, phi, n_ensembles)
        if work.mode_only[k]:   # decays at kappa_k^2 whatever the field
            rate_c += kappa[k] * kappa[k]
        else:   # near a pole |C| is small but the field grows at kappa reach
            rate_c += kappa[k] * (max(2.0 * abs(C), reach) + kappa[k])
    # local channels: three per process and ensemble
    w = K
    rate_l = 0.0
    for m in range(M):
        am, bm = a[m], b[m]
        ac, bc = np.conj(am), np.conj(bm)
        s = var[4 * m + 3]
        J_rates = s - 1.0   # J - 1/2: cancels the noise-induced shift
        N = n_emitters[m]
        # they turn a short vector (J << N / 2) at up to their rate x
        # N / (2 J); the square root of that factor keeps it in range
        rate_l = max(rate_l, (local_rates[m, 0] + local_rates[m, 1]
                              + local_rates[m, 2])
                     * max(1.0, np.sqrt(0.5 * (N + 1) / s)))
        up = N / 2 - J_rates
        dup = -1.0 if up > 0.0 else 0.0
        h, corr = (0.5 / s, 1.0 / s) if s > 0.5 else (1.0, 0.0)
        for q in range(3):
            rate = local_rates[m, q]
            if rate <= 0.0:
                continue
            base = N + 2.0 if q != DEPHASING else (N + 2.0) / 4
            for j in range(3):
                if j == 0:
                    k, dk = _amplitude(rate, base, 0.0, h, corr)
                elif j == 1:
                    k, dk = _amplitude(rate, N / 2 + J_rates + 1.0, 1.0, h,
                                       corr)
                else:
                    k, dk = _amplitude(rate, up, dup, h, corr)
                if k != 0.0:
                    da, db, P = _local_channel(q, j, am, bm, ac, bc, k, dt,
                                               dW[w])
                    Da[m] += da
                    Db[m] += db
                    phi[0, m] += 0.5 * dk * (P * dW[w]).real
                elif j == 2 and up < 0.0:
                    da, db = _closed_drift(q, am, bm, rate * up * h * h * dt)
                    Da[m] += da
                    Db[m] += db
                w += 1
    # an exact z rotation left out of rate_h: its angle drifts at
    # (dw/dSz) dSz/dt ~ w r for the rates r that move Sz
    rate_l += np.sqrt(max(z_local, z_max * rate_c))
    if work.linear_field:   # turned exactly; counts as dissipation does
        return 0.0, 0.0, max(rate_h, rate_m) + rate_c + rate_l
    return rate_h, rate_m, rate_c + rate_l


@nb.njit(inline="always", cache=True)
def _rotation_as_increment(a, b, Da, Db, phi, n_ensembles):
    """Plain Heun (``scheme="heun"``): each ensemble's SU(2) rotation
    exp(-i phi[1:4].sigma) (the Hamiltonian's field, the collective
    channels, the monomials in Sz and s) replaced by its first-order
    increment -i (phi[1:4].sigma) (a, b); only the common phase phi[0]
    stays a rotation, as in the Heun scheme of ../shared/method.md
    Section 5 (docs/theory.md Section 5.3).  A flag of ``_increment`` or a
    field of ``_Work`` would do this inside ``_increment``, but either made
    every step three times slower (184 against 600 ns, an empty step), and
    so did calling this or ``_rotation_error`` without inlining it."""
    for m in range(n_ensembles):
        fx, fy, fz = phi[1, m], phi[2, m], phi[3, m]
        Da[m] -= 1j * (fz * a[m] + complex(fx, -fy) * b[m])
        Db[m] -= 1j * (complex(fx, fy) * a[m] - fz * b[m])
        phi[1, m] = phi[2, m] = phi[3, m] = 0.0


@nb.njit(cache=True)
def _n_noises(local_rates, jumps):
    n = jumps.shape[0]
    for m in range(local_rates.shape[0]):
        for q in range(3):
            if local_rates[m, q] > 0.0:
                n += 3
    return n


class _Work(NamedTuple):
    """Arrays of one thread: noises, the variables (Sx, Sy, Sz, s) and the
    Hamiltonian's gradient (``grad``, and ``zgrad`` for the monomials in Sz
    and s, empty without them), the two stages' increments and rotations
    (first index the stage; ``phi[stage]`` is (phi_0, phi_x, phi_y, phi_z)
    per site, then the Hamiltonian's part of (phi_x, phi_y, phi_z)), the
    predictor and the first stage's rotations ``U``, the largest
    coefficient sum |alpha| + |beta| + |gamma| of each collective channel
    and its sizes per site (``sizes``), the scratch of
    ``_separable_gradient``, which monomials are in Sz and s only
    (``mono_z``), ``z_rate`` (``_z_rate``), which collective channels act on
    modes only (``mode_only``) and
    whether the Hamiltonian is linear in the variables (``linear_field``:
    its rotation is exact, so its frequency limits the step only through
    the dissipation that does not turn with it); for plain Heun neither
    exclusion applies."""

    dW: np.ndarray
    var: np.ndarray
    grad: np.ndarray
    zgrad: np.ndarray
    Da: np.ndarray
    Db: np.ndarray
    phi: np.ndarray
    pa: np.ndarray
    pb: np.ndarray
    U: np.ndarray
    kappa: np.ndarray
    sizes: np.ndarray
    lower: np.ndarray
    acc: np.ndarray
    mono_z: np.ndarray
    z_rate: bool
    mode_only: np.ndarray
    linear_field: bool


@nb.njit(cache=True)
def _work_arrays(model, mono_z, z_rate, linear_field):
    """A ``_Work`` for ``model`` with the flags of ``_model_flags``."""
    c = np.complex128
    M, jumps = model.n_emitters.shape[0], model.jumps
    kappa = np.zeros(jumps.shape[0])
    sizes = np.zeros(jumps.shape[:2])
    mode_only = np.ones(jumps.shape[0], dtype=np.bool_)
    for k in range(jumps.shape[0]):
        for m in range(jumps.shape[1]):
            size = abs(jumps[k, m, 0]) + abs(jumps[k, m, 1]) \
                + abs(jumps[k, m, 2])
            kappa[k] = max(kappa[k], size)
            if size > 0.0 and m < M - model.n_modes:
                sizes[k, m] = size      # a mode's Sz is not bounded
                mode_only[k] = False
    n_noise = _n_noises(model.local_rates, jumps)
    n_z = 4 * M if np.any(mono_z) else 0   # zgrad empty without them
    return _Work(np.empty(n_noise, dtype=c), np.empty(4 * M), np.empty(4 * M),
                 np.empty(n_z), np.empty((2, M), dtype=c),
                 np.empty((2, M), dtype=c), np.empty((2, 7, M)),
                 np.empty(M, dtype=c), np.empty(M, dtype=c),
                 np.empty((M, 4), dtype=c), kappa, sizes,
                 np.empty(M, dtype=c), np.empty(model.sep_u.shape[1], dtype=c),
                 mono_z, z_rate, mode_only, linear_field)


def _linear_field(model):
    """Whether every Hamiltonian monomial has at most one variable and no
    coupling joins ensembles: the field of each site is then constant (for
    constant coefficients) and ``_increment``'s rotation exact."""
    return bool(np.all(model.mono_var[:, 1:2] < 0)
                and model.exchange_var.shape[0] == 0
                and model.sep_u.shape[1] == 0)


def _z_rate(model, mono_z):
    """Whether the frequency of the Hamiltonian's Sz, s monomials counts in
    the local rate (``_increment``).

    Their flow is integrated exactly (a rotation of each ensemble about z),
    so it limits the step only through what does not turn with it: other
    Hamiltonian terms, and collective channels that touch several
    ensembles (turned by different angles) or mix S-, S+ and Sz (turned by
    different phases).  Without those, every symbol only takes a phase, and
    the frequency does not count: one-axis twisting steps as if H were 0.
    """
    if not np.all(mono_z):
        return True
    if model.exchange_var.shape[0] or model.sep_u.shape[1]:
        return True
    nonzero = model.jumps != 0      # (channel, site, part)
    kinds = nonzero.any(axis=1).sum(axis=1)
    touched = nonzero.any(axis=2).sum(axis=1)
    return bool(np.any((kinds > 1) | (touched > 1)))


@nb.njit(inline="always", cache=True)
def _heun_step(ai, bi, st, dt, tg, work, model, rule):
    """One Stratonovich Heun step of one trajectory, in place.

    ``model`` is an ``EngineModel``; the step uses coefficient columns tg
    (start) and tg + 1 (end).  Returns the step rate for the next step
    (``_step_rate``).
    """
    dW, Da, Db, phi, pa, pb = (work.dW, work.Da, work.Db, work.phi, work.pa,
                               work.pb)
    sqdt = np.sqrt(dt)
    for n in range(dW.shape[0]):
        x, y = normal_pair(st)
        dW[n] = sqdt * (x + 1j * y)
    n_ensembles = ai.shape[0] - model.n_modes
    _increment(ai, bi, tg, dt, model, work, Da[0], Db[0], phi[0])
    if rule[3] > 0.0:
        _rotation_as_increment(ai, bi, Da[0], Db[0], phi[0], n_ensembles)
    _predict(ai, bi, Da[0], Db[0], phi[0], pa, pb, work.U)
    rate_h, rate_m, rate_d = _increment(pa, pb, tg + 1, dt, model, work,
                                        Da[1], Db[1], phi[1])
    if rule[3] > 0.0:
        _rotation_as_increment(pa, pb, Da[1], Db[1], phi[1], n_ensembles)
    elif rule[2] > 0.0:     # the rotations' error instead of their frequency
        rate_h = np.sqrt(_rotation_error(phi, n_ensembles) / rule[2]) \
            / (rule[0] * dt)
    _correct(ai, bi, Da, Db, phi[0], phi[1], work.U)
    return _step_rate(rule, rate_h, rate_m, rate_d)


@nb.njit(inline="always", cache=True)
def _step_rate(rule, rate_h, rate_m, rate_d):
    """The step rate n_p max(r_h, r_m) + n_d r_d of the ensembles'
    precession, the modes' and the dissipation rates of ``_increment``, for
    ``rule`` = (n_p, n_d, tol, heun) (``Stepping.rule``)."""
    return rule[0] * max(rate_h, rate_m) + rule[1] * rate_d


@nb.njit(inline="always", cache=True)
def _rotation_error(phi, n_ensembles):
    """The largest relative error of a step's Hamiltonian rotations over the
    ensembles: |phi_1 x phi_2| / (6 |phi_1 + phi_2| / 2), phi_1 and phi_2
    the two stages' rotation vectors by the Hamiltonian's field
    (``phi[stage, 4:]``).  The corrector turns by their mean; the exact
    turn of a rotation vector that changes linearly over the step differs
    by the rotation (phi_2 x phi_1) / 6 (the second Magnus term), against
    the step's turn |phi_1 + phi_2|.  A field that keeps its direction
    gives 0: its turn is exact."""
    worst = 0.0
    for m in range(n_ensembles):
        x1, y1, z1 = phi[0, 4, m], phi[0, 5, m], phi[0, 6, m]
        x2, y2, z2 = phi[1, 4, m], phi[1, 5, m], phi[1, 6, m]
        cx, cy, cz = y1 * z2 - z1 * y2, z1 * x2 - x1 * z2, x1 * y2 - y1 * x2
        sx, sy, sz = x1 + x2, y1 + y2, z1 + z2
        turn = np.sqrt(sx * sx + sy * sy + sz * sz)
        if turn > 0.0:
            worst = max(worst, np.sqrt(cx * cx + cy * cy + cz * cz)
                        / (3.0 * turn))
    return worst


@nb.njit(cache=True)
def _predict(a, b, Da, Db, phi, pa, pb, U):
    """Heun's predictor with the rotation split off: U (z + D) for each
    site, U = exp(-i (phi[0] + phi[1:4].sigma)) kept in ``U`` (rows u0, u1,
    v0, v1) for ``_correct`` (docs/theory.md Section 5.3).  Not inlined:
    numba's inlining of these loops made the step four times slower."""
    for m in range(a.shape[0]):
        u0, u1, v0, v1 = _u2(phi[0, m], phi[1, m], phi[2, m], phi[3, m])
        p, q = a[m] + Da[m], b[m] + Db[m]
        pa[m] = u0 * p + u1 * q
        pb[m] = v0 * p + v1 * q
        U[m, 0], U[m, 1], U[m, 2], U[m, 3] = u0, u1, v0, v1


@nb.njit(cache=True)
def _correct(a, b, Da, Db, phi1, phi2, U):
    """Heun's corrector with the rotation split off, in place: the second
    stage's increments, evaluated at the predictor, are turned back by the
    first stage's rotation U (the inverse, U^+), and the sum turned by the
    rotation of the mean angles."""
    for m in range(a.shape[0]):
        u0, u1, v0, v1 = U[m, 0], U[m, 1], U[m, 2], U[m, 3]
        p = a[m] + 0.5 * (Da[0, m] + np.conj(u0) * Da[1, m]
                          + np.conj(v0) * Db[1, m])
        q = b[m] + 0.5 * (Db[0, m] + np.conj(u1) * Da[1, m]
                          + np.conj(v1) * Db[1, m])
        u0, u1, v0, v1 = _u2(0.5 * (phi1[0, m] + phi2[0, m]),
                             0.5 * (phi1[1, m] + phi2[1, m]),
                             0.5 * (phi1[2, m] + phi2[2, m]),
                             0.5 * (phi1[3, m] + phi2[3, m]))
        a[m] = u0 * p + u1 * q
        b[m] = v0 * p + v1 * q


@nb.njit(inline="always", cache=True)
def _rate_at(ai, bi, tg, work, model, rule):
    """The step rate of ``_heun_step`` at (ai, bi), without a step: with a
    tolerance, the first step resolves the precession frequency."""
    work.dW[:] = 0.0
    rate_h, rate_m, rate_d = _increment(ai, bi, tg, 0.0, model, work,
                                        work.Da[0], work.Db[0], work.phi[0])
    return _step_rate(rule, rate_h, rate_m, rate_d)


@nb.njit(cache=True, _nrt=False)
def _advance_rows(a, b, rng, lo, hi, group, n_fixed, tg0, dt_max, span,
                  rule, rate, steps, model, work):
    """Advance rows lo .. hi - 1, in groups of ``group`` taking common steps.

    ``n_fixed`` >= 0: that many steps of dt_max, step k on coefficient
    columns tg0 + k (``rate`` and ``steps`` untouched).  ``n_fixed`` < 0:
    adaptive steps over ``span`` as ``propagate_adaptive`` describes.

    It runs without numba's reference counting (``_nrt=False``: it
    allocates nothing), which would otherwise cost an atomic increment and
    decrement per array variable and step, more than the arithmetic; the
    functions it calls (``_increment``) inherit that.  Integer arguments of
    ``_increment`` are never literals (the adaptive steps pass tg0, not 0):
    numba would compile a literal's own specialization.
    """
    for first in range(lo, hi, group):
        if n_fixed < 0 and rate[first] < 0.0:
            for i in range(first, first + group):
                rate[first] = max(rate[first], _rate_at(a[i], b[i], tg0,
                                                        work, model, rule))
        t = 0.0
        k = 0
        last = n_fixed == 0
        while not last:     # one call site of _heun_step: compiled once
            dt, tg = dt_max, tg0
            if n_fixed > 0:
                tg += k
                last = k + 1 == n_fixed
            else:
                if rate[first] > 0.0:
                    dt = min(dt, 1.0 / rate[first])
                last = t + dt >= span * (1.0 - 1e-12)
                if last:
                    dt = span - t
            fastest = 0.0
            for i in range(first, first + group):
                fastest = max(fastest, _heun_step(a[i], b[i], rng[i], dt, tg,
                                                  work, model, rule))
            if n_fixed < 0:     # with a tolerance, steps at most double
                rate[first] = max(fastest, 0.5 * rate[first]) \
                    if rule[2] > 0.0 else fastest
                for i in range(first, first + group):
                    steps[i] += 1
            t += dt
            k += 1


@nb.njit(nogil=True, cache=True)
def _rows(a, b, rng, lo, hi, group, n_fixed, tg0, dt_max, span, rule,
          rate, steps, model, flags):
    """``_advance_rows`` with this thread's work arrays (``flags``:
    ``_model_flags``)."""
    mono_z, z_rate, linear_field = flags
    _advance_rows(a, b, rng, lo, hi, group, n_fixed, tg0, dt_max, span, rule,
                  rate, steps, model,
                  _work_arrays(model, mono_z, z_rate, linear_field))


def _model_flags(model, heun):
    """(mono_z, z_rate, linear_field) of ``_Work`` for ``model``; plain
    Heun (``heun``) makes no exact rotation, so no rate is left out."""
    mono_z = _in_sz_and_s(model.mono_var)
    return (mono_z, bool(heun) or _z_rate(model, mono_z),
            not heun and _linear_field(model))


def propagate(a, b, rng, n_steps, dt, tg0, model, heun=False):
    """Advance every trajectory (rows of a, b, rng) by n_steps Heun steps
    (plain Heun steps if ``heun``: no rotation applied exactly).

    ``model`` is an ``EngineModel``.  The step k uses coefficient columns
    tg0 + k (start) and tg0 + k + 1 (end).
    """
    rule = _NO_RULE.copy()
    rule[3] = heun
    flags = _model_flags(model, heun)

    def rows(lo, hi):
        _rows(a, b, rng, lo, hi, 1, n_steps, tg0, dt, 0.0, rule,
              _NO_RATES, _NO_STEPS, model, flags)
    over_rows(rows, a.shape[0])


def propagate_adaptive(a, b, rng, span, dt_max, rule, rate, steps, model,
                       group):
    """Advance every trajectory by the time ``span``, each with its own steps.

    ``rule`` = (n_p, n_d, tol, heun), a float array (``Stepping.rule``).
    Each step is ``min(dt_max, 1 / r)``, r the step rate n_p r_p + n_d r_d
    of the precession and dissipation rates of ``_increment`` at the
    previous step's predictor point.  With tol > 0, n_p r_p is
    sqrt(e / tol) / dt for the previous step's relative rotation error e
    (``_rotation_error``, of order dt^2), which makes e about tol, and a
    step is at most twice the previous one.  r is kept in ``rate`` between
    calls (negative: not known yet); the last step is shortened to end at
    ``span``.  The step depends only on the trajectory's past, so the Heun
    scheme stays a Stratonovich scheme.  heun = 1: plain Heun steps, no
    rotation applied exactly.
    ``steps[i]`` counts the steps.  The ``EngineModel`` must be
    time-independent (its coefficient columns 0 and 1 are used).

    Groups of ``group`` consecutive rows take the same steps, set by the
    fastest row's rate (kept in the group's first entry of ``rate``): rows
    that start with equal ``rng`` states see the same noise (the kicked
    copies of a correlation run); ``group=1`` for independent rows.
    """
    flags = _model_flags(model, rule[3] > 0.0)

    def rows(lo, hi):
        _rows(a, b, rng, lo, hi, group, -1, 0, dt_max, span, rule, rate,
              steps, model, flags)
    over_rows(rows, a.shape[0], group)


@nb.njit(inline="always", cache=True)
def _bisect_right(values, x):
    """The index of the first of the sorted ``values`` above x
    (``np.searchsorted(values, x, side="right")``)."""
    lo, hi = 0, values.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if x < values[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@nb.njit(cache=True)
def _fock(st, n, spread):
    """Amplitude sampling Fock state n: |z|^2 uniform on n + 1/2 +- spread
    (a ring where spread = 0) with a uniform phase, or a vacuum Gaussian."""
    if n > 0:
        x = n + 0.5
        if spread > 0.0:
            x += spread * (2.0 * uniform(st) - 1.0)
        return np.sqrt(x) * np.exp(2j * np.pi * uniform(st))
    x, y = normal_pair(st)
    return 0.5 * (x + 1j * y)


def sample_initial(rng, a, b, tables):
    """Sample amplitudes of each trajectory and ensemble.

    ``tables`` is a ``SamplingTables``: ensemble m draws a Dicke state
    (J, M) from the cumulative populations ``cum_prob[m]``, giving Fock
    numbers n_a = J + M, n_b = J - M, then applies the SU(2) rotation by
    (theta[m], phi[m]).
    """
    over_rows(lambda lo, hi: _sample_rows(rng, a, b, tables, lo, hi),
              a.shape[0])


@nb.njit(nogil=True, cache=True)
def _sample_rows(rng, a, b, tables, lo, hi):
    """``sample_initial`` for rows lo .. hi - 1."""
    cum_prob, n_a, n_b = tables.cum_prob, tables.n_a, tables.n_b
    theta, phi = tables.theta, tables.phi
    M = a.shape[1]
    for i in range(lo, hi):
        st = rng[i]
        for m in range(M):
            u = uniform(st)
            idx = min(_bisect_right(cum_prob[m], u), cum_prob.shape[1] - 1)
            if m >= M - tables.n_modes:
                a[i, m] = 1.0
                b[i, m] = tables.shift[m] + _fock(st, n_b[m, idx],
                                                  tables.spread)
                continue
            za = _fock(st, n_a[m, idx], tables.spread)
            zb = _fock(st, n_b[m, idx], tables.spread)
            c, s = np.cos(0.5 * theta[m]), np.sin(0.5 * theta[m])
            e = np.exp(1j * phi[m])
            a[i, m] = c * za - s * np.conj(e) * zb
            b[i, m] = s * e * za + c * zb
