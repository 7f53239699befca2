"""The numba engine: Stratonovich Heun steps for M ensembles' amplitudes.

State of one trajectory: complex amplitudes a[m], b[m] for m < M.  The model
is an ``EngineModel`` (contract.py), a named tuple of arrays: emitter
numbers, local rates, collective jumps, the Hamiltonian symbol as monomials
with their time-coefficient rows, and constant couplings between ensembles
as a dense matrix (one matrix-vector product, O(n^2) for n coupled
variables) or as a semiseparable exchange (two running sums, O(M r)).

One complex Wiener increment per channel, E[dW dW*] = 2 dt, shared by the two
Heun stages; local channels' common-phase part is applied as the exact
rotation of docs/theory.md Section 5.2, with the corrector of Section 5.3;
local rates and the closed j = +1 channels follow Section 5.4.
"""

import numba as nb
import numpy as np

from .contract import DEPHASING, EMISSION, PUMPING
from .rng import normal_pair, uniform

__all__ = ["propagate", "propagate_adaptive", "sample_initial"]

_CHUNK = 16


@nb.njit(inline="always", cache=True)
def _abs2(z):
    """|z|^2 without the square root of abs."""
    return z.real * z.real + z.imag * z.imag


@nb.njit(inline="always", cache=True)
def _hamiltonian_gradient(a, b, model, tg, var, grad):
    """Real gradient of the Hamiltonian symbol w.r.t. (Sx, Sy, Sz, s)."""
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
    for i in range(mono_var.shape[0]):
        c = mono_coef[i] * chan_val[mono_chan[i], tg]
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
            grad[v] += prod.real
    exchange_var, exchange_mat = model.exchange_var, model.exchange_mat
    n = exchange_var.shape[0]
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += exchange_mat[i, j] * var[exchange_var[j]]
        grad[exchange_var[i]] += acc
    if model.sep_u.shape[1]:
        _separable_gradient(var, model.sep_u, model.sep_v, grad)


@nb.njit(cache=True)
def _separable_gradient(var, U, V, grad):
    """Add the gradient of sum A[m, m'] S+_m S-_m' (see module docstring).

    With y = A S-: dH/dSx_m = 2 Re y_m and dH/dSy_m = -2 Im y_m.
    """
    M, r = U.shape
    lower = np.empty(M, dtype=np.complex128)
    acc = np.zeros(r, dtype=np.complex128)
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
def _collective_channel(coef, var, a, b, dW, dt, Da, Db):
    """Add the increments of the channel C = sum_m al S-_m + be S+_m + ga Sz_m
    (``coef[m]`` = (al, be, ga)); returns C.  ``var`` holds the (Sx, Sy,
    Sz, s) of (a, b).

    With u = C dt + i conj(dW), every channel adds
    dz += 1/2 (dP/dz* conj(u) - conj(dP/dz) u) for its symbol P (here C);
    for this P that is da = (b x + a z) / 2, db = (a y - b z) / 2 with
    x = be u* - al* u, y = al u* - be* u, z = (ga u* - ga* u) / 2.
    """
    C = 0j
    for m in range(a.shape[0]):
        sm = complex(var[4 * m], -var[4 * m + 1])
        C += coef[m, 0] * sm + coef[m, 1] * np.conj(sm) \
            + coef[m, 2] * var[4 * m + 2]
    u = C * dt + 1j * np.conj(dW)
    uc = np.conj(u)
    for m in range(a.shape[0]):
        al, be, ga = coef[m, 0], coef[m, 1], coef[m, 2]
        x = be * uc - np.conj(al) * u
        y = al * uc - np.conj(be) * u
        z = 0.5 * (ga * uc - np.conj(ga) * u)
        Da[m] += 0.5 * (b[m] * x + a[m] * z)
        Db[m] += 0.5 * (a[m] * y - b[m] * z)
    return C


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
def _rotation(theta):
    """exp(-i theta) for real theta, without the real exponential."""
    return complex(np.cos(theta), -np.sin(theta))


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


@nb.njit(inline="always", cache=True)
def _increment(a, b, tg, dt, dW, model, var, grad, Da, Db, theta, kappa):
    """Heun stage: non-rotation increments Da, Db and rotation angles theta.

    Returns the local rate of the dynamics at (a, b): the largest precession
    frequency, plus kappa_k (2 |C_k| + kappa_k) per collective channel
    (kappa_k its largest coefficient, C_k its symbol), plus the largest sum
    of local rates.  At full coherence this equals ``Model.rate_scale``.
    """
    M = a.shape[0]
    n_emitters, local_rates, jumps = (model.n_emitters, model.local_rates,
                                      model.jumps)
    _hamiltonian_gradient(a, b, model, tg, var, grad)
    rate_h = 0.0
    for m in range(M):
        gx, gy = grad[4 * m], grad[4 * m + 1]
        gz, gs = grad[4 * m + 2], grad[4 * m + 3]
        Da[m] = -0.5j * dt * ((gx - 1j * gy) * b[m] + (gz + gs) * a[m])
        Db[m] = -0.5j * dt * ((gx + 1j * gy) * a[m] + (gs - gz) * b[m])
        theta[m] = 0.0
        rate_h = max(rate_h, np.sqrt(gx * gx + gy * gy + gz * gz) + abs(gs))
    # collective channels share one noise across ensembles
    K = jumps.shape[0]
    rate_c = 0.0
    for k in range(K):
        C = _collective_channel(jumps[k], var, a, b, dW[k], dt, Da, Db)
        rate_c += kappa[k] * (2.0 * abs(C) + kappa[k])
    # local channels: three per process and ensemble
    w = K
    rate_l = 0.0
    for m in range(M):
        rate_l = max(rate_l, local_rates[m, 0] + local_rates[m, 1]
                     + local_rates[m, 2])
        am, bm = a[m], b[m]
        ac, bc = np.conj(am), np.conj(bm)
        s = var[4 * m + 3]
        J_rates = s - 1.0   # J - 1/2: cancels the noise-induced shift
        N = n_emitters[m]
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
                    theta[m] += 0.5 * dk * (P * dW[w]).real
                elif j == 2 and up < 0.0:
                    da, db = _closed_drift(q, am, bm, rate * up * h * h * dt)
                    Da[m] += da
                    Db[m] += db
                w += 1
    return rate_h + rate_c + rate_l


@nb.njit(cache=True)
def _n_noises(local_rates, jumps):
    n = jumps.shape[0]
    for m in range(local_rates.shape[0]):
        for q in range(3):
            if local_rates[m, q] > 0.0:
                n += 3
    return n


@nb.njit(cache=True)
def _work_arrays(M, n_noise, jumps):
    """Arrays of one thread: noises, variables, gradient, stages, and the
    largest coefficient sum |alpha| + |beta| + |gamma| of each channel."""
    c = np.complex128
    kappa = np.zeros(jumps.shape[0])
    for k in range(jumps.shape[0]):
        for m in range(jumps.shape[1]):
            kappa[k] = max(kappa[k], abs(jumps[k, m, 0]) + abs(jumps[k, m, 1])
                           + abs(jumps[k, m, 2]))
    return (np.empty(n_noise, dtype=c), np.empty(4 * M), np.empty(4 * M),
            np.empty(M, dtype=c), np.empty(M, dtype=c), np.empty(M, dtype=c),
            np.empty(M, dtype=c), np.empty(M), np.empty(M),
            np.empty(M, dtype=c), np.empty(M, dtype=c), kappa)


@nb.njit(inline="always", cache=True)
def _heun_step(ai, bi, st, dt, tg, work, model):
    """One Stratonovich Heun step of one trajectory, in place.

    ``model`` is an ``EngineModel``; the step uses coefficient columns tg (start) and tg + 1 (end).  Returns the
    local rate (see ``_increment``) at the predictor point.
    """
    dW, var, grad, D1a, D1b, D2a, D2b, th1, th2, pa, pb, kappa = work
    M = ai.shape[0]
    sqdt = np.sqrt(dt)
    for n in range(dW.shape[0]):
        x, y = normal_pair(st)
        dW[n] = sqdt * (x + 1j * y)
    _increment(ai, bi, tg, dt, dW, model, var, grad, D1a, D1b, th1, kappa)
    for m in range(M):
        rot = _rotation(th1[m])
        pa[m] = (ai[m] + D1a[m]) * rot
        pb[m] = (bi[m] + D1b[m]) * rot
    rate = _increment(pa, pb, tg + 1, dt, dW, model, var, grad, D2a, D2b,
                      th2, kappa)
    for m in range(M):
        back = np.conj(_rotation(th1[m]))
        rot = _rotation(0.5 * (th1[m] + th2[m]))
        ai[m] = (ai[m] + 0.5 * (D1a[m] + D2a[m] * back)) * rot
        bi[m] = (bi[m] + 0.5 * (D1b[m] + D2b[m] * back)) * rot
    return rate


@nb.njit(cache=True)
def _rate_at(ai, bi, work, model):
    """The local rate of ``_increment`` at (ai, bi), without a step."""
    dW, var, grad, Da, Db, _, _, theta, _, _, _, kappa = work
    dW[:] = 0.0
    return _increment(ai, bi, 0, 0.0, dW, model, var, grad, Da, Db, theta,
                      kappa)


@nb.njit(parallel=True, cache=True)
def propagate(a, b, rng, n_steps, dt, tg0, model):
    """Advance every trajectory (rows of a, b, rng) by n_steps Heun steps.

    ``model`` is an ``EngineModel``.  The step k uses coefficient columns
    tg0 + k (start) and tg0 + k + 1 (end).
    """
    ntraj, M = a.shape
    n_noise = _n_noises(model.local_rates, model.jumps)
    n_chunks = (ntraj + _CHUNK - 1) // _CHUNK
    for c in nb.prange(n_chunks):
        work = _work_arrays(M, n_noise, model.jumps)
        for i in range(c * _CHUNK, min((c + 1) * _CHUNK, ntraj)):
            for step in range(n_steps):
                _heun_step(a[i], b[i], rng[i], dt, tg0 + step, work, model)


@nb.njit(parallel=True, cache=True)
def propagate_adaptive(a, b, rng, span, dt_max, steps_per_rate, rate, steps,
                       model, group):
    """Advance every trajectory by the time ``span``, each with its own steps.

    Each step is ``min(dt_max, 1 / (steps_per_rate * r))``, r the local rate
    (``_increment``) at the previous step's predictor point, kept in
    ``rate`` between calls (negative: not known yet); the last step is
    shortened to end at ``span``.  The step depends only on the
    trajectory's past, so the Heun scheme stays a Stratonovich scheme.
    ``steps[i]`` counts the steps.  The ``EngineModel`` must be
    time-independent (its coefficient columns 0 and 1 are used).

    Groups of ``group`` consecutive rows take the same steps, set by the
    fastest row's rate (kept in the group's first entry of ``rate``): rows
    that start with equal ``rng`` states see the same noise (the kicked
    copies of a correlation run); ``group=1`` for independent rows.
    """
    ntraj, M = a.shape
    n_noise = _n_noises(model.local_rates, model.jumps)
    n_groups = ntraj // group
    n_chunks = (n_groups + _CHUNK - 1) // _CHUNK
    for c in nb.prange(n_chunks):
        work = _work_arrays(M, n_noise, model.jumps)
        for g in range(c * _CHUNK, min((c + 1) * _CHUNK, n_groups)):
            _advance_group(a, b, rng, g * group, group, span, dt_max,
                           steps_per_rate, rate, steps, work, model)


@nb.njit(inline="always", cache=True)
def _advance_group(a, b, rng, first, group, span, dt_max, steps_per_rate,
                   rate, steps, work, model):
    """Rows first .. first + group - 1 over ``span`` in common steps."""
    if rate[first] < 0.0:
        for i in range(first, first + group):
            rate[first] = max(rate[first], _rate_at(a[i], b[i], work, model))
    t = 0.0
    last = False
    while not last:
        dt = dt_max
        if rate[first] > 0.0:
            dt = min(dt, 1.0 / (steps_per_rate * rate[first]))
        last = t + dt >= span * (1.0 - 1e-12)
        if last:
            dt = span - t
        fastest = 0.0
        for i in range(first, first + group):
            fastest = max(fastest, _heun_step(a[i], b[i], rng[i], dt, 0,
                                              work, model))
            steps[i] += 1
        rate[first] = fastest
        t += dt


@nb.njit(inline="always", cache=True)
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


@nb.njit(parallel=True, cache=True)
def sample_initial(rng, a, b, tables):
    """Sample amplitudes of each trajectory and ensemble.

    ``tables`` is a ``SamplingTables``: ensemble m draws a Dicke state
    (J, M) from the cumulative populations ``cum_prob[m]``, giving Fock
    numbers n_a = J + M, n_b = J - M, then applies the SU(2) rotation by
    (theta[m], phi[m]).
    """
    cum_prob, n_a, n_b = tables.cum_prob, tables.n_a, tables.n_b
    theta, phi = tables.theta, tables.phi
    ntraj, M = a.shape
    for i in nb.prange(ntraj):
        st = rng[i]
        for m in range(M):
            u = uniform(st)
            idx = np.searchsorted(cum_prob[m], u, side="right")
            idx = min(idx, cum_prob.shape[1] - 1)
            za = _fock(st, n_a[m, idx], tables.spread)
            zb = _fock(st, n_b[m, idx], tables.spread)
            c, s = np.cos(0.5 * theta[m]), np.sin(0.5 * theta[m])
            e = np.exp(1j * phi[m])
            a[i, m] = c * za - s * np.conj(e) * zb
            b[i, m] = s * e * za + c * zb
