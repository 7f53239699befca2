r"""Exact population dynamics in the PIQS Dicke basis (rate equations).

For N two-level emitters with the permutation-invariant master equation of
:class:`qutip.piqs.Dicke`,

.. math::

    \dot\rho = -i[H, \rho]
        + \sum_n \left(\gamma_E D[\sigma^-_n] + \gamma_P D[\sigma^+_n]
                       + \gamma_D D[\sigma^z_n / 2]\right)\rho
        + \Gamma_E D[J_-]\rho + \Gamma_P D[J_+]\rho + \Gamma_D D[J_z]\rho,

with :math:`D[A]\rho = A\rho A^\dagger - \{A^\dagger A, \rho\}/2`, a density
matrix that is diagonal in the Dicke basis stays diagonal when H is zero or a
function of Jz and J^2 only. Its diagonal, the populations p(j, m), then obeys
the linear rate equation dp/dt = W p. The local rates are those of Chase and
Geremia, Phys. Rev. A 78, 052101 (2008) and Shammah et al., Phys. Rev. A 98,
063815 (2018), as implemented (with Python loops) by :class:`qutip.piqs.Pim`;
here they are built vectorised. Collective emission moves (j, m) to
(j, m - 1) at the rate Gamma_E (j + m)(j - m + 1), collective pumping moves
(j, m) to (j, m + 1) at Gamma_P (j - m)(j + m + 1), and collective dephasing
leaves the populations unchanged. The basis ordering is that of PIQS:
blocks j = N/2, N/2 - 1, ..., and m = j, j - 1, ..., -j inside a block.

The default integrator is *uniformization* (Jensen's method): with D the
largest total out-rate, P = I + W / D is a column-stochastic matrix and

.. math::

    p(t) = \sum_k \mathrm{Poisson}(k; D t)\, P^k p(0),

a sum of non-negative terms that needs no step-size control and has a
rigorous error bound (the truncated Poisson mass). One sequence P^k p(0)
serves all output times at once, and each product only touches the states
that are populated (above ~1e-20), which brings N = 2000 (10^6 Dicke states)
to a few seconds. Its cost grows like D (t_end - t_0), so for very long times
(steady states) a stiff integrator ("bdf", sparse LU) is used instead.
"""

import time
import warnings

import numba
import numpy as np
import scipy.sparse as sp
from numba import njit, prange
from qutip import Qobj, QobjEvo, qdiags
from qutip.solver import Result

from ..checks import check_tlist
from ..operators.dicke import dicke_index, dicke_labels, num_dicke_states

__all__ = ["population_rate_matrix", "population_solve", "PopulationResult"]

DEFAULT_OPTIONS = {
    "store_states": None,
    "store_final_state": False,
    "store_populations": False,
    "method": "auto",
    "atol": 1e-10,
    "rtol": 1e-8,
}
_METHODS = ("auto", "uniformization", "bdf", "expm")
# "auto" uses uniformization up to this many matrix-vector products
_AUTO_MAX_ITERATIONS = 50_000
# with store_states=None and no e_ops, states are stored only below this dim
_AUTO_STORE_MAX_DIM = 20_000
# populated states above which a uniformization step uses numba threads
_PARALLEL_MIN = 300_000
_NUM_CHUNKS = 16           # blocks are dealt cyclically to this many chunks
_DIAGONAL_TOL = 1e-12      # relative off-diagonal norm for H and rho0
_NEGATIVE_TOL = 1e-12      # most negative population accepted
_TRACE_TOL = 1e-8          # |sum(p) - 1| accepted
_RATE_NAMES = ("emission", "dephasing", "pumping", "collective_emission",
               "collective_pumping")


# ---------------------------------------------------------------------------
# The rate matrix
# ---------------------------------------------------------------------------

def _check_rates(rates):
    out = []
    for name, value in zip(_RATE_NAMES, rates):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a real number, got {value!r}")
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite rate >= 0, got {value}")
        out.append(value)
    return out


def _check_N(N):
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
        raise ValueError(f"N must be a positive integer, got {N!r}")
    return int(N)


def _transitions(N, emission, dephasing, pumping, collective_emission,
                 collective_pumping):
    """The transitions of W, one term per displacement, and the out-rates.

    Returns ``(terms, out)``: ``terms`` is a list of ``(dj, dm, source,
    target, rate)`` for the transitions (j, m) -> (j + dj, m + dm) (index
    arrays and rates), ``out[i]`` the total rate out of state i. Rates are
    written from the source state; a transition is kept when its target
    exists. The formulas are PIQS's ``Pim.tau*`` functions evaluated at the
    source (``tau3`` at (j, m) is the rate (j, m) -> (j - 1, m - 1), and so
    on).
    """
    ge, gd, gp, GE, GP = emission, dephasing, pumping, collective_emission, \
        collective_pumping
    j, m = dicke_labels(N)
    dim = j.size
    h = N / 2
    h1 = h + 1.0
    out = np.zeros(dim)
    terms = []

    # (dj, dm, active, rate(j, m)); denominators vanish only for j = 0,
    # whose transitions with such denominators have no target.
    table = (
        (-1, -1, ge > 0,
         lambda j, m: ge * (h + j + 1) * (j + m) * (j + m - 1)
         / (2 * j * (2 * j + 1))),
        (0, -1, ge > 0 or GE > 0,
         lambda j, m: (j + m) * (j - m + 1)
         * (ge * h1 / (2 * j * (j + 1)) + GE)),
        (1, -1, ge > 0,
         lambda j, m: ge * (h - j) * (j - m + 1) * (j - m + 2)
         / (2 * (j + 1) * (2 * j + 1))),
        (-1, 0, gd > 0,
         lambda j, m: gd * (h + j + 1) * (j - m) * (j + m)
         / (2 * j * (2 * j + 1))),
        (1, 0, gd > 0,
         lambda j, m: gd * (h - j) * (j - m + 1) * (j + m + 1)
         / (2 * (j + 1) * (2 * j + 1))),
        (-1, 1, gp > 0,
         lambda j, m: gp * (h + j + 1) * (j - m) * (j - m - 1)
         / (2 * j * (2 * j + 1))),
        (0, 1, gp > 0 or GP > 0,
         lambda j, m: (j - m) * (j + m + 1)
         * (gp * h1 / (2 * j * (j + 1)) + GP)),
        (1, 1, gp > 0,
         lambda j, m: gp * (h - j) * (j + m + 1) * (j + m + 2)
         / (2 * (j + 1) * (2 * j + 1))),
    )
    for dj, dm, active, rate in table:
        if not active:
            continue
        jt, mt = j + dj, m + dm
        ok = (jt >= 0) & (jt <= h) & (np.abs(mt) <= jt)
        r = rate(j[ok], m[ok])
        out[ok] += r
        terms.append((dj, dm, np.flatnonzero(ok),
                      dicke_index(N, jt[ok], mt[ok]), r))
    return terms, out


def population_rate_matrix(N, emission=0., dephasing=0., pumping=0.,
                           collective_emission=0., collective_pumping=0.):
    """Generator W of the Dicke-basis population dynamics, dp/dt = W p.

    The rates follow :class:`qutip.piqs.Dicke` (and its ``Pim`` class, of
    which this is a vectorised re-implementation): local emission
    ``emission * D[s-_n]``, local pumping ``pumping * D[s+_n]`` and local
    dephasing ``dephasing * D[sz_n / 2]`` on every emitter, collective
    emission ``collective_emission * D[J-]`` and collective pumping
    ``collective_pumping * D[J+]``. Collective dephasing does not change
    populations and has no argument here.

    Parameters
    ----------
    N : int
        Number of emitters.
    emission, dephasing, pumping : float, default 0
        Local (single-emitter) rates.
    collective_emission, collective_pumping : float, default 0
        Collective rates.

    Returns
    -------
    W : scipy.sparse.csr_matrix
        Real ``(dim, dim)`` matrix, ``dim = num_dicke_states(N)``, in the
        PIQS basis ordering (see :func:`qutip_twa.operators.dicke.dicke_labels`).
        ``W[a, b]`` (a != b) is the rate b -> a and is >= 0; every column
        sums to zero. At most 9 entries per column: transitions only connect
        (j, m) to (j + dj, m + dm) with dj, dm in {-1, 0, 1}.

    Examples
    --------
    >>> W = population_rate_matrix(4, collective_emission=1.0)
    >>> W.shape
    (9, 9)
    """
    N = _check_N(N)
    rates = _check_rates((emission, dephasing, pumping, collective_emission,
                          collective_pumping))
    dim = num_dicke_states(N)
    terms, out = _transitions(N, *rates)
    diag = np.arange(dim, dtype=np.int64)
    W = sp.csr_matrix((np.concatenate([t[4] for t in terms] + [-out]),
                       (np.concatenate([t[3] for t in terms] + [diag]),
                        np.concatenate([t[2] for t in terms] + [diag]))),
                      shape=(dim, dim))
    W.sort_indices()
    return W


def _uniformized(N, rates):
    """The matrix P = I + W / D as a 9-point stencil on the (j, m) grid.

    Returns ``(coef, dj, dm, D)``: ``coef[d, i]`` is the element of P from
    state (j - dj[d], m - dm[d]) into state i = (j, m) (0 where there is no
    such transition), ``(dj, dm) = (0, 0)`` being the diagonal
    ``1 - out_rate / D``; D is the largest out-rate. Every element is
    >= 0 and the columns of P sum to 1. ``coef`` is None when D = 0.
    """
    dim = num_dicke_states(N)
    terms, out = _transitions(N, *rates)
    D = float(out.max())
    if D == 0.0:
        return None, None, None, 0.0
    coef = np.zeros((len(terms) + 1, dim))
    coef[0] = (D - out) / D
    for d, (_, _, _, target, rate) in enumerate(terms, start=1):
        coef[d, target] = rate / D
    dj = np.array([0] + [t[0] for t in terms], dtype=np.int64)
    dm = np.array([0] + [t[1] for t in terms], dtype=np.int64)
    return coef, dj, dm, D


# ---------------------------------------------------------------------------
# Uniformization kernels
# ---------------------------------------------------------------------------

@njit(cache=True)
def _initial_ranges(v, starts, sizes, lo, hi):
    """Per block, the first and last local index with v != 0."""
    for b in range(starts.shape[0]):
        s0, size = starts[b], sizes[b]
        a, z = size, -1
        for k in range(size):
            if v[s0 + k] != 0.0:
                a = k
                break
        for k in range(size - 1, a - 1, -1):
            if v[s0 + k] != 0.0:
                z = k
                break
        if z < a:
            a, z = size, -1
        lo[b] = a
        hi[b] = z


@njit(cache=True)
def _axpy_mul(y, a, x):
    """y += a * x, elementwise (separate function: the loop vectorises)."""
    for k in range(y.shape[0]):
        y[k] += a[k] * x[k]


@njit(cache=True)
def _axpy(y, a, x):
    """y += a * x for a scalar a."""
    for k in range(y.shape[0]):
        y[k] += a * x[k]


@njit(cache=True, fastmath=True)
def _dot(a, b):
    """sum(a * b), vectorised (the summation order is fixed by the code, so
    results do not depend on the thread count)."""
    acc = 0.0
    for k in range(a.shape[0]):
        acc += a[k] * b[k]
    return acc


@njit(cache=True)
def _step_chunk(c, coef, dj, dm, starts, sizes, src, dst, lo_src, hi_src,
                lo_dst, hi_dst, thr, dmat, partial, out, out_rows, out_w):
    """Blocks b = c, c + nchunks, ... of one step ``dst = P @ src``.

    Block b holds j = N/2 - b, local index k = j - m. Only the rows next to
    a populated state of src are computed (the populated local indices of
    block b are ``lo_src[b]..hi_src[b]``); what dst held two steps ago
    outside them is cleared, and edge entries below ``thr`` are trimmed to
    zero (``lo_dst``/``hi_dst`` receive the new ranges). ``partial[c]``
    receives this chunk's part of ``dmat @ dst``, and
    ``out[out_rows[r]] += out_w[r] * dst``.
    """
    nb = starts.shape[0]
    ne = dmat.shape[0]
    nchunks = partial.shape[0]
    nout = out_rows.shape[0]
    ndir = dj.shape[0]
    acc_e = np.zeros(ne)
    for b in range(c, nb, nchunks):
        size = sizes[b]
        s0 = starts[b]
        lo = size
        hi = -1
        # a target (b, k) has its sources at block b + dj, local index
        # k + dm - dj, with |dj|, |dm| <= 1
        if lo_src[b] <= hi_src[b]:
            lo = min(lo, lo_src[b] - 1)
            hi = max(hi, hi_src[b] + 1)
        if b + 1 < nb and lo_src[b + 1] <= hi_src[b + 1]:
            lo = min(lo, lo_src[b + 1])
            hi = max(hi, hi_src[b + 1] + 2)
        if b >= 1 and lo_src[b - 1] <= hi_src[b - 1]:
            lo = min(lo, lo_src[b - 1] - 2)
            hi = max(hi, hi_src[b - 1])
        lo = max(lo, 0)
        hi = min(hi, size - 1)
        # clear what dst held (two steps ago) outside [lo, hi]
        olo = lo_dst[b]
        ohi = hi_dst[b]
        if olo <= ohi:
            dst[s0 + olo:s0 + min(ohi, lo - 1) + 1] = 0.0
            dst[s0 + max(olo, hi + 1):s0 + ohi + 1] = 0.0
        if lo <= hi:
            dst[s0 + lo:s0 + hi + 1] = 0.0
        for d in range(ndir):
            bs = b + dj[d]
            if bs < 0 or bs >= nb:
                continue
            shift = dm[d] - dj[d]
            kmin = max(lo, -shift)
            kmax = min(hi, sizes[bs] - 1 - shift)
            if kmin > kmax:
                continue
            base = starts[bs] + shift
            _axpy_mul(dst[s0 + kmin:s0 + kmax + 1],
                      coef[d, s0 + kmin:s0 + kmax + 1],
                      src[base + kmin:base + kmax + 1])
        while lo <= hi and dst[s0 + lo] < thr:
            dst[s0 + lo] = 0.0
            lo += 1
        while hi >= lo and dst[s0 + hi] < thr:
            dst[s0 + hi] = 0.0
            hi -= 1
        if hi < lo:
            lo = size
            hi = -1
        lo_dst[b] = lo
        hi_dst[b] = hi
        if lo > hi:
            continue
        seg = dst[s0 + lo:s0 + hi + 1]
        for e in range(ne):
            acc_e[e] += _dot(dmat[e, s0 + lo:s0 + hi + 1], seg)
        for r in range(nout):
            _axpy(out[out_rows[r], s0 + lo:s0 + hi + 1], out_w[r], seg)
    for e in range(ne):
        partial[c, e] = acc_e[e]


@njit(cache=True)
def _step_serial(coef, dj, dm, starts, sizes, src, dst, lo_src, hi_src,
                 lo_dst, hi_dst, thr, dmat, partial, out, out_rows, out_w):
    """One uniformization step ``dst = P @ src``, on one thread."""
    for c in range(partial.shape[0]):
        _step_chunk(c, coef, dj, dm, starts, sizes, src, dst, lo_src, hi_src,
                    lo_dst, hi_dst, thr, dmat, partial, out, out_rows, out_w)


@njit(parallel=True, cache=True)
def _step_parallel(coef, dj, dm, starts, sizes, src, dst, lo_src, hi_src,
                   lo_dst, hi_dst, thr, dmat, partial, out, out_rows, out_w):
    """One uniformization step ``dst = P @ src``, chunks on numba threads.

    Chunks write disjoint blocks of dst, out and the range arrays, and
    their own row of ``partial``: the result does not depend on threads.
    """
    for c in prange(partial.shape[0]):
        _step_chunk(c, coef, dj, dm, starts, sizes, src, dst, lo_src, hi_src,
                    lo_dst, hi_dst, thr, dmat, partial, out, out_rows, out_w)


def _poisson_window(lam, tol):
    """``(L, w)``: Poisson(lam) weights on k = L, ..., L + len(w) - 1.

    The weights are computed by the ratio recurrence from the mode (no
    cancellation at large lam), each dropped tail holds at most ``tol`` of
    the mass, and ``w`` is normalised to sum to 1.
    """
    if lam <= 0:
        return 0, np.ones(1)
    c = np.sqrt(2 * np.log(1 / tol)) + 4
    s = np.sqrt(lam)
    lo = max(0, int(np.floor(lam - c * s - 2)))
    hi = int(np.ceil(lam + c * s + c * c + 10))
    k = np.arange(lo, hi + 1, dtype=float)
    mode = int(np.floor(lam))
    im = mode - lo
    logw = np.zeros(k.size)
    kr = k[im + 1:]                 # log w_k - log w_{k-1} = log(lam / k)
    logw[im + 1:] = np.cumsum(np.log1p((lam - kr) / kr))
    kl = k[:im][::-1]               # log w_k - log w_{k+1} = log((k+1)/lam)
    logw[:im] = np.cumsum(np.log1p((kl + 1 - lam) / lam))[::-1]
    w = np.exp(logw)
    w /= w.sum()
    a = int(np.searchsorted(np.cumsum(w), tol, side="right"))
    z = int(np.searchsorted(np.cumsum(w[::-1]), tol, side="right"))
    w = w[a:w.size - z]
    return lo + a, w / w.sum()


def _solve_uniformization(stencil, p0, times, dmat, store, atol, N):
    """Uniformization: expectations at all ``times`` and stored populations.

    ``store`` lists the time indices whose populations are accumulated.
    Returns ``(E, pops, stats)``: E is (ntimes, ncols), pops (len(store),
    dim).
    """
    coef, dj, dm, D = stencil
    dim = p0.size
    nt = times.size
    lam = D * (times - times[0])
    windows = [_poisson_window(x, atol / 4) for x in lam]
    L = np.array([w[0] for w in windows])
    R = np.array([w[0] + w[1].size - 1 for w in windows])
    K = int(R.max()) + 1

    store = np.asarray(store, dtype=np.int64)
    width = max(w[1].size for w in windows)
    wpad = np.zeros((store.size, width))
    for r, i in enumerate(store):
        wpad[r, :windows[i][1].size] = windows[i][1]
    Ls, Rs = L[store], R[store]
    out = np.zeros((store.size, dim))

    # block structure: block b has j = N/2 - b, size N + 1 - 2b
    nb = N // 2 + 1
    b = np.arange(nb, dtype=np.int64)
    starts = b * (N + 1) - b * (b - 1)
    sizes = N + 1 - 2 * b
    # trimming below thr loses at most K * dim * thr <= atol / 4 of the mass
    thr = atol / (4.0 * K * dim)
    ncols = dmat.shape[0]
    # a fixed chunking fixes the summation order: results do not depend on
    # the number of threads
    nchunks = _NUM_CHUNKS
    partial = np.zeros((nchunks, ncols))
    S = np.empty((K, ncols))

    src = np.array(p0, dtype=float)
    dst = np.zeros(dim)
    lo_s = np.empty(nb, np.int64)
    hi_s = np.empty(nb, np.int64)
    _initial_ranges(src, starts, sizes, lo_s, hi_s)
    lo_d = sizes.copy()
    hi_d = -np.ones(nb, np.int64)
    S[0] = dmat @ src
    sel = np.nonzero(Ls == 0)[0]
    out[sel] += wpad[sel, 0][:, None] * src
    active = 0
    n_now = int(np.maximum(hi_s - lo_s + 1, 0).sum())
    threads = numba.get_num_threads()
    for k in range(1, K):
        sel = np.nonzero((Ls <= k) & (k <= Rs))[0]
        # a parallel launch costs ~0.1 ms and much more on a busy machine,
        # where threads wait for each other: use them only for big steps
        step = _step_parallel if threads > 1 and n_now > _PARALLEL_MIN \
            else _step_serial
        step(coef, dj, dm, starts, sizes, src, dst, lo_s, hi_s, lo_d, hi_d,
             thr, dmat, partial, out, sel, wpad[sel, k - Ls[sel]])
        S[k] = partial.sum(axis=0)
        src, dst = dst, src
        lo_s, lo_d = lo_d, lo_s
        hi_s, hi_d = hi_d, hi_s
        n_now = int(np.maximum(hi_s - lo_s + 1, 0).sum())
        active += n_now

    E = np.empty((nt, ncols))
    for i, (Li, w) in enumerate(windows):
        E[i] = w @ S[Li:Li + w.size]
    stats = {"uniformization rate": D, "num_iterations": K - 1,
             "mean active states": active / max(K - 1, 1)}
    return E, out, stats


# ---------------------------------------------------------------------------
# Other integrators (full population vectors at every output time)
# ---------------------------------------------------------------------------

def _solve_bdf(W, p0, times, atol, rtol):
    from scipy.integrate import solve_ivp
    if times.size == 1:
        return p0[None, :].copy(), {}
    sol = solve_ivp(lambda t, y: W @ y, (times[0], times[-1]), p0,
                    method="BDF", t_eval=times, jac=W.tocsc(), atol=atol,
                    rtol=rtol)
    if not sol.success:
        raise RuntimeError(f"population_solve (bdf): {sol.message}")
    return sol.y.T.copy(), {"num_rhs": int(sol.nfev),
                            "num_lu": int(sol.nlu)}


def _solve_expm(W, p0, times):
    from scipy.sparse.linalg import expm_multiply
    W = W.tocsr()
    pops = np.empty((times.size, p0.size))
    pops[0] = p0
    for i in range(1, times.size):
        dt = times[i] - times[i - 1]
        pops[i] = expm_multiply(W * dt, pops[i - 1]) if dt > 0 \
            else pops[i - 1]
    return pops, {}


# ---------------------------------------------------------------------------
# Input conversion and validation
# ---------------------------------------------------------------------------

def _check_dicke_qobj(op, dim, name, kind="oper"):
    if op.dims[0] != [op.shape[0]] or (kind == "oper"
                                       and op.dims[1] != [op.shape[1]]):
        raise ValueError(
            f"{name} has tensor dims {op.dims}; population_solve needs "
            f"operators and states in the Dicke basis of qutip.piqs "
            f"(dims [[{dim}], [{dim}]])")
    want = (dim, dim) if kind == "oper" else (dim, 1)
    if op.shape != want:
        raise ValueError(f"{name} has shape {op.shape}; the Dicke basis of "
                         f"this system needs {want} (num_dicke_states(N) = "
                         f"{dim})")


def _offdiagonal_fraction(op):
    """||op - diag(op)||_F / ||op||_F (0 for the zero operator)."""
    mat = op.to("csr").data_as("csr_matrix").tocoo()
    total = np.sqrt(np.sum(np.abs(mat.data) ** 2))
    off = mat.row != mat.col
    offn = np.sqrt(np.sum(np.abs(mat.data[off]) ** 2))
    return 0.0 if total == 0 else offn / total


def _read_system(system):
    if not hasattr(system, "N"):
        raise TypeError(f"system must be a qutip.piqs.Dicke, got "
                        f"{type(system).__name__}")
    N = _check_N(system.N)
    rates = _check_rates([getattr(system, name, 0.0) or 0.0
                          for name in _RATE_NAMES])
    dim = num_dicke_states(N)
    H = getattr(system, "hamiltonian", None)
    if H is not None:
        if not isinstance(H, Qobj):
            raise TypeError(f"system.hamiltonian must be None or a Qobj, got "
                            f"{type(H).__name__}")
        _check_dicke_qobj(H, dim, "system.hamiltonian")
        frac = _offdiagonal_fraction(H)
        if frac > _DIAGONAL_TOL:
            raise ValueError(
                f"system.hamiltonian is not diagonal in the Dicke basis "
                f"(relative off-diagonal norm {frac:.3g}): population_solve "
                f"needs H = 0 or H diagonal (a function of Jz and J^2 only); "
                f"use qutip.mesolve(system.liouvillian(), rho0, tlist, ...) "
                f"for a general Hamiltonian")
    return N, dim, rates


def _initial_populations(rho0, N, dim):
    """Population vector (length dim) of the initial state, validated."""
    if isinstance(rho0, Qobj):
        if rho0.isket:
            _check_dicke_qobj(rho0, dim, "rho0", kind="ket")
            amp = rho0.full().ravel()
            p = np.abs(amp) ** 2
            if np.count_nonzero(p > _DIAGONAL_TOL * p.sum()) > 1:
                raise ValueError(
                    "rho0 is a superposition of Dicke states, so its density "
                    "matrix has coherences in the Dicke basis; "
                    "population_solve needs a diagonal initial state (a "
                    "single Dicke state, a diagonal density matrix or a "
                    "population vector); use qutip.mesolve otherwise")
        elif rho0.isoper:
            _check_dicke_qobj(rho0, dim, "rho0")
            frac = _offdiagonal_fraction(rho0)
            if frac > _DIAGONAL_TOL:
                raise ValueError(
                    f"rho0 has coherences (off-diagonal elements, relative "
                    f"norm {frac:.3g}) in the Dicke basis; population_solve "
                    f"needs a diagonal initial density matrix; use "
                    f"qutip.mesolve(system.liouvillian(), rho0, ...) instead")
            p = np.asarray(rho0.diag())
        else:
            raise ValueError(f"rho0 must be a Dicke-basis density matrix or "
                             f"ket, got a Qobj of type {rho0.type!r}")
    elif hasattr(rho0, "dicke_populations"):
        p = np.asarray(rho0.dicke_populations(N))
    elif isinstance(rho0, (np.ndarray, list, tuple)):
        p = np.asarray(rho0)
    else:
        raise TypeError(f"rho0 must be a Qobj in the Dicke basis, a 1d array "
                        f"of {dim} populations or an object with a "
                        f"dicke_populations(N) method; got "
                        f"{type(rho0).__name__}")
    if not (np.issubdtype(p.dtype, np.number) or p.dtype == bool):
        raise TypeError(f"rho0 populations must be numbers, got dtype "
                        f"{p.dtype}")
    if p.ndim != 1 or p.size != dim:
        raise ValueError(f"rho0 populations must be a 1d array of length "
                         f"num_dicke_states({N}) = {dim}, got shape {p.shape}")
    if np.iscomplexobj(p):
        if np.max(np.abs(p.imag), initial=0) > _NEGATIVE_TOL:
            raise ValueError("rho0 populations must be real")
        p = p.real
    p = np.array(p, dtype=float)
    if not np.all(np.isfinite(p)):
        raise ValueError("rho0 populations must be finite")
    if p.min() < -_NEGATIVE_TOL:
        raise ValueError(f"rho0 populations must be non-negative, the "
                         f"smallest is {p.min():.3g}")
    total = p.sum()
    if abs(total - 1) > _TRACE_TOL:
        raise ValueError(f"rho0 populations must sum to 1 (trace 1), they "
                         f"sum to {total:.12g}")
    return np.maximum(p, 0.0)


def _e_op_diagonal(op, N, name):
    """Dicke-basis diagonal of an e_op (real when it has no imaginary part)."""
    dim = num_dicke_states(N)
    if isinstance(op, Qobj):
        _check_dicke_qobj(op, dim, name)
        d = np.asarray(op.diag())
    elif isinstance(op, QobjEvo):
        raise TypeError(f"{name}: time-dependent e_ops (QobjEvo) are not "
                        f"supported by population_solve")
    elif hasattr(op, "dicke_diagonal"):
        d = np.asarray(op.dicke_diagonal(N))
    elif callable(op):
        j, m = dicke_labels(N)
        d = np.asarray(op(j, m))
    else:
        raise TypeError(f"{name} must be a Dicke-basis Qobj, a function "
                        f"f(j, m) of the Dicke labels or an object with a "
                        f"dicke_diagonal(N) method; got {type(op).__name__}")
    if not (np.issubdtype(d.dtype, np.number) or d.dtype == bool):
        raise TypeError(f"{name} gave values of dtype {d.dtype}, not numbers")
    if d.ndim == 0:
        d = np.full(dim, d[()])
    if d.shape != (dim,):
        raise ValueError(f"{name} must give one value per Dicke state, shape "
                         f"({dim},); got shape {d.shape}")
    if np.iscomplexobj(d) and not np.any(d.imag):
        d = d.real
    d = np.array(d, dtype=complex if np.iscomplexobj(d) else float)
    if not np.all(np.isfinite(d)):
        raise ValueError(f"{name} has non-finite values")
    return d


def _check_options(options):
    opts = dict(DEFAULT_OPTIONS)
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"options must be a dict, got "
                        f"{type(options).__name__}")
    for k, v in (options or {}).items():
        if k not in DEFAULT_OPTIONS:
            raise KeyError(f"unknown option {k!r}; population_solve accepts "
                           f"{sorted(DEFAULT_OPTIONS)}")
        opts[k] = v
    if opts["method"] not in _METHODS:
        raise ValueError(f"options['method'] must be one of {_METHODS}, got "
                         f"{opts['method']!r}")
    for key in ("atol", "rtol"):
        v = opts[key]
        if not (isinstance(v, (int, float, np.floating, np.integer))
                and np.isfinite(v) and 0 < v < 1):
            raise ValueError(f"options[{key!r}] must be a number in (0, 1), "
                             f"got {v!r}")
    if opts["store_states"] not in (None, True, False):
        raise ValueError(f"options['store_states'] must be None, True or "
                         f"False, got {opts['store_states']!r}")
    return opts


# ---------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------

class _DiagonalExpect:
    """``f(t, state)`` = sum_i diag_i p_i for a population vector or a
    diagonal Dicke-basis Qobj."""

    def __init__(self, diag):
        self.diag = diag

    def __call__(self, t, state):
        if isinstance(state, Qobj):
            state = np.real(state.diag())
        return self.diag @ np.asarray(state)


class PopulationResult(Result):
    """Result of :func:`population_solve`, a :class:`qutip.solver.Result`.

    Behaves like the result of ``mesolve``: ``times``, ``expect`` (list of
    arrays), ``e_data`` (keyed like the e_ops: list indices, dict keys or 0),
    ``e_ops``, ``states`` and ``final_state`` (diagonal Dicke-basis Qobj,
    when stored), ``stats`` and ``solver``.

    Attributes
    ----------
    final_populations : ndarray
        The populations p(j, m) at ``tlist[-1]`` (always stored), PIQS basis
        order.
    populations : ndarray or None
        ``(len(tlist), dim)`` populations at every time, when
        ``options["store_populations"]`` or states were stored.
    N : int
        Number of emitters.
    """

    def __init__(self, e_ops, options, *, N, solver="population_solve",
                 stats=None):
        self.N = N
        self._e_op_names = iter(self._e_ops_to_dict(e_ops).keys())
        self._diagonals = []
        super().__init__(e_ops, options, solver=solver, stats=stats)
        del self._e_op_names
        self.final_populations = None
        self.populations = None

    def _e_op_func(self, e_op):
        name = f"e_ops[{next(self._e_op_names)!r}]"
        diag = _e_op_diagonal(e_op, self.N, name)
        self._diagonals.append(diag)
        return _DiagonalExpect(diag)

    def _store_state(self, t, state):
        self.states.append(_population_qobj(state))

    def _store_final_state(self, t, state):
        self._final_state = _population_qobj(state)


def _population_qobj(p):
    if isinstance(p, Qobj):
        return p
    return qdiags(np.asarray(p, dtype=float), 0)


# ---------------------------------------------------------------------------
# The solver
# ---------------------------------------------------------------------------

def population_solve(system, rho0, tlist, e_ops=None, options=None):
    """Exact Dicke-basis population dynamics of a PIQS system.

    Integrates dp/dt = W p (see :func:`population_rate_matrix`) for the
    populations p(j, m) of a density matrix that is diagonal in the Dicke
    basis. This is exact (to ``atol``) when the Hamiltonian is zero or
    diagonal in the Dicke basis (a function of Jz and J^2, which then has no
    effect on populations) and the initial state is diagonal; it gives the
    same expectation values as ``qutip.mesolve(system.liouvillian(), rho0,
    tlist, e_ops)`` for operators diagonal in the Dicke basis, at a cost
    linear in the number of Dicke states (about N^2 / 4) instead of its
    square, so N of a few thousand is practical.

    Parameters
    ----------
    system : :class:`qutip.piqs.Dicke`
        Gives N, the rates ``emission``, ``dephasing``, ``pumping``,
        ``collective_emission``, ``collective_pumping`` (collective
        dephasing does not affect populations) and ``hamiltonian``.
    rho0 : :obj:`.Qobj`, array_like or object
        Initial state: a Dicke-basis density matrix that is diagonal, a
        Dicke-basis ket equal to a single Dicke state (up to a phase), a 1d
        array of the ``num_dicke_states(N)`` populations in PIQS order (for
        large N, where Qobjs are impractical), or an object with a method
        ``dicke_populations(N)`` returning such an array, such as the
        package's own :class:`~qutip_twa.ProductState` of one ensemble
        (``Ensembles([N]).excited()``, ``ground()``, ``dicke(j, m)``,
        ``product([...])`` of diagonal states), which needs no matrix at any
        N. Populations must be non-negative and sum to 1.
    tlist : array_like
        Strictly increasing output times; the state is ``rho0`` at
        ``tlist[0]``.
    e_ops : :obj:`.Qobj`, callable, object, or list or dict of these, optional
        Quantities to record, as for ``mesolve``. A Dicke-basis :obj:`.Qobj`
        gives ``Tr(O rho) = sum_i O_ii p_i`` (only its diagonal matters, and
        the result is exact); a callable ``f(j, m)`` receives the arrays of
        Dicke labels (:func:`qutip_twa.operators.dicke.dicke_labels`) and
        returns the diagonal values; an object with a method ``dicke_diagonal(N)``
        returns them, such as an :class:`~qutip_twa.EnsembleOperator` of
        ``Ensembles([N])`` (no matrix at any N). Values are real unless the
        diagonal is complex.
    options : dict, optional
        - ``"method"``: ``"auto"`` (default), ``"uniformization"``,
          ``"bdf"`` or ``"expm"``. ``"auto"`` uses uniformization unless it
          would need more than 50,000 matrix-vector products (then ``"bdf"``,
          a stiff integrator with sparse LU, better for long times).
          ``"expm"`` uses ``scipy.sparse.linalg.expm_multiply`` on every
          output interval (slow, a reference).
        - ``"atol"`` (1e-10): absolute tolerance. For uniformization it
          bounds the population error in the 1-norm (truncated Poisson tails
          and trimmed populations), so ``|<O> error| <~ atol * max|O_ii|``.
        - ``"rtol"`` (1e-8): relative tolerance (``"bdf"`` only).
        - ``"store_states"`` (None): store ``result.states`` as diagonal
          Qobjs. None stores them when there are no e_ops and the basis has
          at most 20,000 states (memory: one vector per output time).
        - ``"store_final_state"`` (False): store ``result.final_state``.
        - ``"store_populations"`` (False): store ``result.populations``, the
          ``(len(tlist), dim)`` array of populations (cheaper than states).

        Unknown keys raise ``KeyError``.

    Returns
    -------
    result : :class:`PopulationResult`
        A :class:`qutip.solver.Result`: ``result.expect[k]`` is an array over
        tlist, ``result.e_data`` is keyed like e_ops, and
        ``result.final_populations`` is the population vector at
        ``tlist[-1]``.

    Raises
    ------
    ValueError
        For a Hamiltonian that is not diagonal in the Dicke basis, an initial
        state with coherences, populations that are negative, do not sum to 1
        or have the wrong length, and e_ops of the wrong shape.
    TypeError
        For inputs of unsupported types.

    Examples
    --------
    >>> import numpy as np
    >>> from qutip import piqs
    >>> from qutip_twa.operators.dicke import num_dicke_states
    >>> N = 100
    >>> system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    >>> p0 = np.zeros(num_dicke_states(N)); p0[0] = 1      # |N/2, N/2>
    >>> res = population_solve(system, p0, np.linspace(0, 8 / N, 41),
    ...                        e_ops={"jz": lambda j, m: m})
    >>> res.e_data["jz"][0]
    50.0
    """
    t_start = time.perf_counter()
    opts = _check_options(options)
    N, dim, rates = _read_system(system)
    times = check_tlist(tlist)
    p0 = _initial_populations(rho0, N, dim)

    result = PopulationResult(e_ops, opts, N=N)
    diags = result._diagonals
    # real matrix of the diagonals: one column, two for a complex diagonal
    cols, where = [], []
    for d in diags:
        where.append(len(cols))
        if np.iscomplexobj(d):
            cols += [d.real, d.imag]
        else:
            cols.append(d)
    dmat = np.stack(cols) if cols else np.zeros((0, dim))

    store_states = opts["store_states"]
    if store_states is None:
        store_states = not diags and dim <= _AUTO_STORE_MAX_DIM
    store_all = store_states or opts["store_populations"]

    method = opts["method"]
    stencil = _uniformized(N, rates) \
        if method in ("auto", "uniformization") else None
    if method == "auto":
        est = stencil[3] * (times[-1] - times[0])
        method = "uniformization" if est <= _AUTO_MAX_ITERATIONS else "bdf"
    stats = {"method": method, "num_dicke_states": dim}
    t_init = time.perf_counter()
    stats["init time"] = t_init - t_start

    if method == "uniformization" and stencil[3] == 0.0:
        pops = np.repeat(p0[None, :], times.size, axis=0) if store_all \
            else p0[None, :]
        E = np.repeat((dmat @ p0)[None, :], times.size, axis=0)
        final = p0.copy()
        stats["uniformization rate"] = 0.0
        stats["num_iterations"] = 0
    elif method == "uniformization":
        store = np.arange(times.size) if store_all else [times.size - 1]
        E, pops, more = _solve_uniformization(stencil, p0, times, dmat,
                                              store, opts["atol"], N)
        stats.update(more)
        final = pops[-1].copy()
    else:
        W = population_rate_matrix(N, *rates)
        if method == "bdf":
            pops, more = _solve_bdf(W, p0, times, opts["atol"], opts["rtol"])
        else:
            pops, more = _solve_expm(W, p0, times)
        stats.update(more)
        E = pops @ dmat.T
        final = pops[-1].copy()
    stats["run time"] = time.perf_counter() - t_init
    result.stats.update(stats)

    mass = final.sum()
    if abs(mass - 1) > max(1e-6, 100 * opts["atol"]):
        warnings.warn(f"population_solve: the final populations sum to "
                      f"{mass:.10g}, not 1; the integration is inaccurate "
                      f"(try a smaller options['atol'])", RuntimeWarning)

    result.times = [float(t) for t in times]
    for (key, values), d, c in zip(result.e_data.items(), diags, where):
        vals = E[:, c] + 1j * E[:, c + 1] if np.iscomplexobj(d) else E[:, c]
        values.extend(vals.tolist())
    result.final_populations = final
    if store_all:
        result.populations = pops
    if store_states:
        result.states = [_population_qobj(p) for p in pops]
    if opts["store_final_state"]:
        result._final_state = _population_qobj(final)
    return result
