"""Exact master equation of two coupled permutation-invariant ensembles.

Each ensemble e = 1, 2 of N_e two-level emitters lives in the PIQS Dicke basis
(``qutip.piqs``): basis index i labels (j, m), and density matrices are block
diagonal in j.  The master equation

    drho/dt = -i[H, rho] + sum_k D[L_k] rho + sum_e (local_e) rho

has H and the jumps L_k given as sums of products X1 (x) X2 of collective
operators (which conserve each ensemble's j), and local_e is the PIQS local
dissipator of ensemble e (``piqs.Dicke(N_e, emission, dephasing,
pumping).lindbladian()``), which mixes the j blocks of that ensemble.

Representation
--------------
The tensor-product density matrix is far too large at N1 = N2 = 20 (Dicke
dimension 121 each, 14641 x 14641).  Instead, rho is stored as the matrix

    R[(i1, k1), (i2, k2)] = rho[(i1, i2), (k1, k2)]

over the "pair spaces" P_e = {(i, k): j(i) = j(k)} of each ensemble (1771
pairs for N = 20).  A superoperator S1 (x) S2 that factorises over the two
ensembles acts as R -> S1 R S2^T, with S_e the ensemble superoperator
restricted to P_e.  The Liouvillian is

    A1 (x) 1 + 1 (x) A2 + sum_g S1_g (x) S2_g,

A_e collecting everything acting on ensemble e alone and the cross terms
grouped by shared factors.

Every Dicke-basis superoperator is moreover split by its shift of the
coherence order q = m(i) - m(k) of a pair, so R splits into blocks
R[q1, q2] and only the blocks reachable from the initial state are stored.
For a model invariant under the joint phase rotation exp(-i a (Jz1 + Jz2))
(collective hopping J+_1 J-_2, collective decay, local emission / pumping /
dephasing) and a state diagonal in m, only the blocks q1 + q2 = 0 are
reached: for N1 = N2 = 20 that is 128843 numbers instead of 1771^2 = 3.1
million.  Drives such as Jx break the symmetry; then more blocks are kept.

The block maps S1[q1 + d1 <- q1] R[q1, q2] S2[q2 + d2 <- q2]^T are then
assembled into one sparse matrix on the stored blocks (1.7 million nonzeros
for the excitation-conserving N1 = N2 = 20 case; the block-by-block product
is kept as a fallback when that matrix would be too large), and the linear
ODE is integrated with scipy.integrate's explicit Runge-Kutta solvers (the
classes behind ``solve_ivp``), stepped directly on the real view of the
complex state (much faster in scipy than complex arithmetic) and
interpolated at ``tlist`` with their dense output, so that only the current
state is held in memory.

Expectation values Tr(O rho) of O = sum c X1 (x) X2 are computed as
sum c x1^T R x2 with x_e[(i, k)] = X_e[k, i], without building rho.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from qutip import Qobj, piqs
from scipy import integrate

from ..checks import check_tlist
from ..operators.dicke import dicke_labels

__all__ = ["two_ensemble_solve"]

_METHODS = {
    "RK23": integrate.RK23,
    "RK45": integrate.RK45,
    "DOP853": integrate.DOP853,
}
_DEFAULT_OPTIONS = {"atol": 1e-8, "rtol": 1e-6, "method": "DOP853"}

# A sector block is stored dense when it is this small or this full.
_DENSE_MAX_SIZE = 256
_DENSE_MIN_FILL = 0.2
# Above this many nonzeros (about 20 bytes each) the Liouvillian is applied
# block by block (slower, Python-level loop) instead of as one CSR matrix.
_MAX_ASSEMBLED_NNZ = 100_000_000
# rho0 counts as normalised (outputs are divided by the trace) within this.
_NORMALIZE_ATOL = 1e-10


# --------------------------------------------------------------------------
# Pair space of one ensemble
# --------------------------------------------------------------------------

class _PairSpace:
    """The pairs (i, k) with j(i) = j(k) of a Dicke basis, sorted by sector.

    A pair's sector is its coherence order q = m(i) - m(k), an integer in
    [-N, N].  Pairs are ordered by q, then i, then k.
    """

    def __init__(self, N):
        j, m = dicke_labels(N)
        self.N = N
        self.dim = d = len(j)
        self.j = np.asarray(j)
        ii, kk = np.nonzero(self.j[:, None] == self.j[None, :])
        q = np.rint(m[ii] - m[kk]).astype(np.int64)
        order = np.lexsort((kk, ii, q))
        self.i, self.k, self.q = ii[order], kk[order], q[order]
        self.size = len(self.q)
        self.flat = self.i + d * self.k  # column-stacked index (QuTiP's)
        self.qmin = -N
        counts = np.bincount(self.q - self.qmin, minlength=2 * N + 1)
        self.sector_size = counts
        self.sector_start = np.concatenate([[0], np.cumsum(counts)])
        self.local = (np.arange(self.size)
                      - self.sector_start[self.q - self.qmin])

    def n(self, q):
        """Number of pairs in sector q (0 outside [-N, N])."""
        if q < -self.N or q > self.N:
            return 0
        return int(self.sector_size[q - self.qmin])

    def sector(self, vec, q):
        """The entries of a pair-space vector that belong to sector q."""
        s = q - self.qmin
        return vec[self.sector_start[s]:self.sector_start[s + 1]]

    def restrict(self, s_full):
        """Restrict a full (d^2 x d^2, column-stacked) superoperator to P."""
        s_full = sp.csr_matrix(s_full)
        return s_full[self.flat][:, self.flat].tocsr()

    def sandwich(self, a, b):
        """The superoperator rho -> a rho b on P (None = identity).

        Returns None when both are None (the identity superoperator).
        """
        if a is None and b is None:
            return None
        eye = sp.identity(self.dim, dtype=complex, format="csr")
        a = eye if a is None else a
        b = eye if b is None else b
        # Column stacking: vec(a rho b) = (b^T kron a) vec(rho).
        return self.restrict(sp.kron(b.T, a, format="csr"))

    def pair_vector(self, mat):
        """x[(i, k)] = mat[k, i], so that Tr(mat rho) = x . rho|_P."""
        if mat is None:
            return (self.i == self.k).astype(complex)
        dense = mat.toarray() if sp.issparse(mat) else np.asarray(mat)
        return dense[self.k, self.i].astype(complex)

    def pair_values(self, mat):
        """v[(i, k)] = mat[i, k]: a block-diagonal matrix as a P vector."""
        return np.asarray(mat)[self.i, self.k].astype(complex)

    def pieces(self, s):
        """Split a P x P superoperator by sector shift.

        Returns a dict {q_source: [(delta, block), ...]}, where block maps
        sector q_source to sector q_source + delta (shape n(q+delta) x n(q)).
        """
        s = sp.coo_matrix(s)
        keep = s.data != 0
        rows, cols, data = s.row[keep], s.col[keep], s.data[keep]
        out = {}
        if len(data) == 0:
            return out
        qr, qc = self.q[rows], self.q[cols]
        delta = qr - qc
        keys = np.stack([qc, delta], axis=1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
        for u, (qsrc, dlt) in enumerate(uniq):
            sel = order[bounds[u]:bounds[u + 1]]
            shape = (self.n(qsrc + dlt), self.n(qsrc))
            block = sp.csr_matrix(
                (data[sel], (self.local[rows[sel]], self.local[cols[sel]])),
                shape=shape)
            out.setdefault(int(qsrc), []).append((int(dlt), block))
        return out


def _nnz(block):
    return block.nnz if sp.issparse(block) else int(np.count_nonzero(block))


def _as_block(mat):
    """Store a sector block dense when it is small or full, else as CSR."""
    rows, cols = mat.shape
    if (rows * cols <= _DENSE_MAX_SIZE
            or mat.nnz >= _DENSE_MIN_FILL * rows * cols):
        return np.ascontiguousarray(mat.toarray())
    return sp.csr_matrix(mat)


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------

def _check_N(N):
    try:
        pair = tuple(N)
    except TypeError:
        raise ValueError(
            f"N must be a pair (N1, N2) of positive integers, got {N!r}"
        ) from None
    if len(pair) != 2 or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool)
            and n >= 1 for n in pair):
        raise ValueError(
            f"N must be a pair (N1, N2) of positive integers, got {N!r}")
    return int(pair[0]), int(pair[1])


def _as_matrix(x, dim, name, sparse=True):
    """A Qobj / array / sparse matrix as a complex CSR (or dense) matrix."""
    if isinstance(x, Qobj):
        x = x.full()
    if sp.issparse(x):
        mat = sp.csr_matrix(x, dtype=complex)
    else:
        try:
            arr = np.asarray(x, dtype=complex)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be a Qobj, numpy array or scipy sparse matrix, "
                f"got {type(x).__name__}") from None
        if arr.ndim != 2:
            raise ValueError(
                f"{name} must be a square matrix of shape ({dim}, {dim}), "
                f"got an array of shape {arr.shape}")
        mat = sp.csr_matrix(arr) if sparse else arr
    if mat.shape != (dim, dim):
        raise ValueError(
            f"{name} has shape {mat.shape}, expected ({dim}, {dim}): the "
            f"PIQS Dicke basis of that ensemble has {dim} states")
    data = mat.data if sp.issparse(mat) else mat
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{name} has non-finite entries")
    return mat


def _scalar_identity(mat):
    """The scalar c if mat == c * identity, else None."""
    diag = mat.diagonal()
    off = (mat - sp.diags(diag, format="csr")).tocsr()
    off.eliminate_zeros()
    if off.nnz == 0 and np.all(diag == diag[0]):
        return diag[0]
    return None


def _parse_terms(terms, spaces, name):
    """Validate a list of (coef, X1, X2); identities become None."""
    if isinstance(terms, (str, bytes)) or not isinstance(terms, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of terms (coef, X1, X2), "
            f"got {type(terms).__name__}")
    out = []
    for t, term in enumerate(terms):
        where = f"{name}[{t}]"
        if not isinstance(term, (list, tuple)) or len(term) != 3:
            raise ValueError(
                f"{where} must be a term (coef, X1, X2), got {term!r:.80}")
        coef, x1, x2 = term
        if not isinstance(coef, numbers.Number) or isinstance(coef, bool):
            raise TypeError(
                f"{where}: the coefficient must be a number, got "
                f"{type(coef).__name__}")
        coef = complex(coef)
        if not np.isfinite(coef):
            raise ValueError(f"{where}: the coefficient is not finite")
        mats = []
        for e, (x, space) in enumerate(zip((x1, x2), spaces), start=1):
            if x is None:
                mats.append(None)
                continue
            mat = _as_matrix(x, space.dim, f"{where}: X{e}")
            scale = _scalar_identity(mat)
            if scale is not None:
                coef *= scale
                mats.append(None)
            else:
                mats.append(mat)
        if coef != 0:
            out.append((coef, mats[0], mats[1]))
    return out


def _check_collective(terms, spaces, name):
    """Operators of H and the jumps must not couple different j blocks."""
    for t, (_, x1, x2) in enumerate(terms):
        for e, (x, space) in enumerate(zip((x1, x2), spaces), start=1):
            if x is None:
                continue
            coo = x.tocoo()
            bad = (space.j[coo.row] != space.j[coo.col]) & (coo.data != 0)
            if np.any(bad):
                raise ValueError(
                    f"{name}[{t}]: X{e} couples different j blocks of the "
                    "Dicke basis; only collective (permutation-symmetric) "
                    "operators, which conserve j, are supported")


def _check_local_rates(local_rates):
    arr = np.asarray(local_rates)
    if np.iscomplexobj(arr) or arr.dtype == object:
        raise ValueError(
            "local_rates must be a real array of shape (2, 3): "
            "(emission, pumping, dephasing) per ensemble")
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError):
        raise ValueError(
            "local_rates must be a real array of shape (2, 3): "
            "(emission, pumping, dephasing) per ensemble") from None
    if arr.shape != (2, 3):
        raise ValueError(
            f"local_rates must have shape (2, 3): (emission, pumping, "
            f"dephasing) per ensemble, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(
            f"local_rates must be finite and non-negative, got {arr.tolist()}")
    return arr


def _check_rho0(rho0, spaces):
    if (isinstance(rho0, (Qobj, np.ndarray)) or sp.issparse(rho0)
            or not isinstance(rho0, (list, tuple)) or len(rho0) != 2):
        raise ValueError(
            "rho0 must be a pair (rho1, rho2) of Dicke-basis density "
            "matrices, one per ensemble")
    out = []
    for e, (rho, space) in enumerate(zip(rho0, spaces), start=1):
        name = f"rho0[{e - 1}] (ensemble {e})"
        if isinstance(rho, Qobj) and rho.isket:
            raise ValueError(
                f"{name} must be a density matrix in the Dicke basis, "
                "not a ket")
        mat = _as_matrix(rho, space.dim, name, sparse=False)
        if sp.issparse(mat):
            mat = mat.toarray()
        off = space.j[:, None] != space.j[None, :]
        scale = max(np.abs(mat).max(), 1e-300)
        if np.any(np.abs(mat[off]) > 1e-12 * scale):
            raise ValueError(
                f"{name} has elements between different j blocks; PIQS "
                "density matrices are block diagonal in j")
        out.append(space.pair_values(mat))
    return out


def _check_options(options):
    opts = dict(_DEFAULT_OPTIONS)
    if options is None:
        return opts
    if not isinstance(options, dict):
        raise TypeError(
            f"options must be a dict or None, got {type(options).__name__}")
    unknown = sorted(set(options) - set(_DEFAULT_OPTIONS))
    if unknown:
        raise KeyError(
            f"options: unknown key(s) {unknown}; valid keys are "
            f"{sorted(_DEFAULT_OPTIONS)}")
    opts.update(options)
    for key in ("atol", "rtol"):
        val = opts[key]
        if (not isinstance(val, numbers.Real) or isinstance(val, bool)
                or not np.isfinite(val) or val <= 0):
            raise ValueError(
                f"options['{key}'] must be a positive number, got {val!r}")
    if opts["method"] not in _METHODS:
        raise ValueError(
            f"options['method'] must be one of {sorted(_METHODS)} "
            f"(explicit scipy.integrate methods), got {opts['method']!r}")
    return opts


# --------------------------------------------------------------------------
# Liouvillian as ensemble-factorised terms
# --------------------------------------------------------------------------

def _dagger(x):
    return None if x is None else x.conj().T.tocsr()


def _product(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return (a @ b).tocsr()


class _SuperCache:
    """Caches sandwich superoperators on one pair space by operator id."""

    def __init__(self, space):
        self.space = space
        self._cache = {}
        self._keep = []  # keeps operands alive so that ids stay unique

    def __call__(self, a, b):
        key = (id(a), id(b))
        if key not in self._cache:
            self._keep.append((a, b))
            self._cache[key] = self.space.sandwich(a, b)
        return self._cache[key]


def _factorised_terms(ham, jumps, sup1, sup2):
    """The Liouvillian's terms (coef, S1, S2) from H and the jumps."""
    terms = []
    for c, x1, x2 in ham:
        terms.append((-1j * c, sup1(x1, None), sup2(x2, None)))
        terms.append((1j * c, sup1(None, x1), sup2(None, x2)))
    for jump in jumps:
        daggers = [(c.conjugate(), _dagger(x1), _dagger(x2))
                   for c, x1, x2 in jump]
        for ca, a1, a2 in jump:
            for (cb, b1, b2), (cbd, b1d, b2d) in zip(jump, daggers):
                # L rho L^+ : (a1 (x) a2) rho (b1 (x) b2)^+
                terms.append((ca * cbd, sup1(a1, b1d), sup2(a2, b2d)))
        for (ca, a1, a2), (cad, a1d, a2d) in zip(jump, daggers):
            for cb, b1, b2 in jump:
                # -(L^+ L rho + rho L^+ L) / 2
                p1, p2 = _product(a1d, b1), _product(a2d, b2)
                coef = -0.5 * cad * cb
                terms.append((coef, sup1(p1, None), sup2(p2, None)))
                terms.append((coef, sup1(None, p1), sup2(None, p2)))
    return terms


def _canonical(mat):
    """(key, scale) with mat = scale * (the matrix the key identifies)."""
    mat = mat.tocsr()
    mat.sum_duplicates()
    mat.sort_indices()
    mat.eliminate_zeros()
    scale = mat.data[np.argmax(np.abs(mat.data))]
    data = np.round(mat.data / scale, 12) + 0.0  # +0.0 drops negative zeros
    key = (mat.shape, mat.indptr.tobytes(), mat.indices.tobytes(),
           data.tobytes())
    return key, scale


def _group(pairs, by):
    """Sum the pairs (S1, S2) that share the factor ``by`` (0 or 1)."""
    groups = {}
    for pair in pairs:
        key, scale = _canonical(pair[by])
        other = pair[1 - by] * scale
        if key in groups:
            groups[key][1] = groups[key][1] + other
        else:
            groups[key] = [pair[by] / scale, other]
    out = []
    for shared, other in groups.values():
        other = sp.csr_matrix(other)
        other.eliminate_zeros()
        if other.nnz and np.abs(other.data).max() > 0:
            out.append((shared, other) if by == 0 else (other, shared))
    return out


def _clean(mat, rel=1e-14):
    """Drop entries that are round-off of cancelling terms."""
    mat = sp.csr_matrix(mat)
    mat.sum_duplicates()
    if mat.nnz:
        cut = rel * np.abs(mat.data).max()
        mat.data[np.abs(mat.data) <= cut] = 0
        mat.eliminate_zeros()
    return mat


def _assemble(terms, local_ops, spaces):
    """Collect (coef, S1, S2) into A1, A2 and grouped cross pairs."""
    a = [sp.csr_matrix((s.size, s.size), dtype=complex) for s in spaces]
    for e, op in enumerate(local_ops):
        if op is not None:
            a[e] = a[e] + op
    cross = []
    for coef, s1, s2 in terms:
        if coef == 0:
            continue
        if s1 is None and s2 is None:
            a[0] = a[0] + coef * sp.identity(spaces[0].size, format="csr")
        elif s2 is None:
            a[0] = a[0] + coef * s1
        elif s1 is None:
            a[1] = a[1] + coef * s2
        else:
            cross.append((coef * s1, s2))
    a = [_clean(x) for x in a]
    cross = [(_clean(s1), _clean(s2)) for s1, s2 in cross]
    cross = [(s1, s2) for s1, s2 in cross if s1.nnz and s2.nnz]
    # Group by the shared ensemble-2 factor, then by the ensemble-1 factor.
    if cross:
        cross = _group(cross, by=1)
    if cross:
        cross = _group(cross, by=0)
    cross = [(_clean(s1), _clean(s2)) for s1, s2 in cross]
    cross = [(s1, s2) for s1, s2 in cross if s1.nnz and s2.nnz]
    return a[0], a[1], cross


def _local_superop(space, rates):
    """PIQS's local dissipator of one ensemble, restricted to P."""
    emission, pumping, dephasing = (float(r) for r in rates)
    if emission == 0 and pumping == 0 and dephasing == 0:
        return None
    lind = piqs.Dicke(space.N, emission=emission, dephasing=dephasing,
                      pumping=pumping).lindbladian()
    full = sp.csr_matrix(lind.data_as("csr_matrix"), dtype=complex)
    return space.restrict(full)


# --------------------------------------------------------------------------
# Sector-block state and its right-hand side
# --------------------------------------------------------------------------

class _BlockSystem:
    """The Liouvillian as operations on the reachable sector blocks of R."""

    def __init__(self, spaces, a1, a2, cross, init_blocks):
        s1, s2 = spaces
        self.spaces = spaces
        # Per-sector pieces of every factor.
        a1p, a2p = s1.pieces(a1), s2.pieces(a2)
        crossp = [(s1.pieces(x), s2.pieces(y)) for x, y in cross]
        cache = {}

        def block(mat, transpose=False):
            key = (id(mat), transpose)
            if key not in cache:
                cache[key] = (mat, _as_block(mat.T if transpose else mat))
            return cache[key][1]

        # Breadth-first search of the reachable blocks, recording the ops.
        index = {}
        order = []
        raw_ops = []
        queue = list(init_blocks)
        for b in queue:
            if b not in index:
                index[b] = len(order)
                order.append(b)
        head = 0
        while head < len(queue):
            q1, q2 = queue[head]
            head += 1
            targets = []
            for d1, m1 in a1p.get(q1, ()):
                targets.append(((q1 + d1, q2), block(m1), None))
            for d2, m2 in a2p.get(q2, ()):
                targets.append(((q1, q2 + d2), None, block(m2, True)))
            for p1, p2 in crossp:
                for d1, m1 in p1.get(q1, ()):
                    for d2, m2 in p2.get(q2, ()):
                        targets.append(((q1 + d1, q2 + d2), block(m1),
                                        block(m2, True)))
            for dst, left, right_t in targets:
                if dst not in index:
                    index[dst] = len(order)
                    order.append(dst)
                    queue.append(dst)
                raw_ops.append((index[(q1, q2)], index[dst], left, right_t))
        self.blocks = order
        self.shapes = [(s1.n(q1), s2.n(q2)) for q1, q2 in order]
        sizes = [r * c for r, c in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.size = int(self.offsets[-1])
        self.index = index
        self.ops = raw_ops
        # Sort so that writes to one destination are adjacent (cache-friendly).
        self.ops.sort(key=lambda op: (op[1], op[0]))

    def matrix(self):
        """The Liouvillian on the flat block vector, as one CSR matrix.

        Assembled one destination block (row band) at a time, so that the
        peak memory stays near twice that of the result.
        """
        bands = []
        ops = self.ops  # sorted by destination
        pos = 0
        for d in range(len(self.blocks)):
            rows, cols, vals = [], [], []
            while pos < len(ops) and ops[pos][1] == d:
                s, _, left, right_t = ops[pos]
                pos += 1
                a, e = self.shapes[d][0], self.shapes[s][1]
                lm = sp.identity(a, dtype=complex) if left is None else left
                rm = (sp.identity(e, dtype=complex) if right_t is None
                      else right_t)
                # vec_row(L X R^T) = (L kron R) vec_row(X), R = right_t^T.
                blk = sp.kron(sp.csr_matrix(lm), sp.csr_matrix(rm).T,
                              format="coo")
                keep = blk.data != 0
                rows.append(blk.row[keep])
                cols.append(blk.col[keep].astype(np.int64)
                            + self.offsets[s])
                vals.append(blk.data[keep])
            n_rows = self.shapes[d][0] * self.shapes[d][1]
            if rows:
                band = sp.csr_matrix(
                    (np.concatenate(vals),
                     (np.concatenate(rows), np.concatenate(cols))),
                    shape=(n_rows, self.size))
                band.sum_duplicates()
            else:
                band = sp.csr_matrix((n_rows, self.size), dtype=complex)
            bands.append(band)
        if not bands:
            return sp.csr_matrix((self.size, self.size), dtype=complex)
        return sp.vstack(bands, format="csr")

    def views(self, y):
        return [y[self.offsets[b]:self.offsets[b + 1]].reshape(shape)
                for b, shape in enumerate(self.shapes)]

    def estimated_nnz(self):
        """Upper bound on the nonzeros of :meth:`matrix`."""
        total = 0
        for s, d, left, right_t in self.ops:
            a, e = self.shapes[d][0], self.shapes[s][1]
            nl = a if left is None else _nnz(left)
            nr = e if right_t is None else _nnz(right_t)
            total += nl * nr
        return total

    def real_rhs(self):
        """f(t, y) on the real view (re, im interleaved) of the state.

        scipy's Runge-Kutta stepping is much faster on real arrays than on
        complex ones, so the integrator sees ``y.view(float)``.  The
        Liouvillian is applied as one CSR matrix when that fits in
        ``_MAX_ASSEMBLED_NNZ`` nonzeros, else block by block.
        """
        if self.estimated_nnz() <= _MAX_ASSEMBLED_NNZ:
            mat = self.matrix()

            def fun(t, y):
                return (mat @ y.view(complex)).view(float)
        else:
            def fun(t, y):
                return self.rhs(t, y.view(complex)).view(float)
        return fun

    def rhs(self, t, y):
        """dR/dt on the flat block vector, applied block by block."""
        out = np.zeros_like(y)
        src = self.views(y)
        dst = self.views(out)
        for s, d, left, right_t in self.ops:
            x = src[s]
            if left is not None:
                x = left @ x
            if right_t is not None:
                x = x @ right_t
            dst[d] += x
        return out

    def state(self, r1, r2):
        """The flat block vector of R = r1 r2^T (product state)."""
        y = np.zeros(self.size, dtype=complex)
        s1, s2 = self.spaces
        for b, (q1, q2) in enumerate(self.blocks):
            y[self.offsets[b]:self.offsets[b + 1]] = np.outer(
                s1.sector(r1, q1), s2.sector(r2, q2)).ravel()
        return y

    def expectation_plan(self, terms):
        """Per-block contractions (block, coef, x1, x2) of an operator."""
        s1, s2 = self.spaces
        plan = []
        for coef, x1, x2 in terms:
            v1, v2 = s1.pair_vector(x1), s2.pair_vector(x2)
            for b, (q1, q2) in enumerate(self.blocks):
                u1, u2 = s1.sector(v1, q1), s2.sector(v2, q2)
                if np.any(u1) and np.any(u2):
                    plan.append((b, coef, u1, u2))
        return plan

    def expect(self, plan, y):
        views = self.views(y)
        return sum((coef * (u1 @ views[b] @ u2)
                    for b, coef, u1, u2 in plan), 0j)


def _initial_blocks(spaces, r1, r2):
    occupied = []
    for space, r in zip(spaces, (r1, r2)):
        qs = sorted({int(q) for q in space.q[r != 0]})
        occupied.append(qs)
    return [(q1, q2) for q1 in occupied[0] for q2 in occupied[1]]


# --------------------------------------------------------------------------
# Public solver
# --------------------------------------------------------------------------

def two_ensemble_solve(N, hamiltonian, jumps, local_rates, rho0, tlist,
                       e_ops, options=None):
    """Exact dynamics of two coupled ensembles in their PIQS Dicke bases.

    Parameters
    ----------
    N : (int, int)
        Emitter numbers (N1, N2).
    hamiltonian : list of (coef, X1, X2)
        H = sum coef * X1 (x) X2.  X_e is a matrix (scipy sparse, numpy array
        or Qobj) on ensemble e's Dicke basis, or None for the identity.  The
        operators must conserve j (collective operators do).
    jumps : list of lists of (coef, X1, X2)
        Collective jump operators L = sum coef * X1 (x) X2, rates included in
        the coefficients; each contributes D[L] rho.
    local_rates : array_like, shape (2, 3)
        (emission, pumping, dephasing) of each ensemble, in the conventions
        of ``qutip.piqs.Dicke(N_e, emission=, pumping=, dephasing=)``, whose
        ``lindbladian()`` is used for each ensemble (PIQS builds it in single
        precision; it is used in double).
    rho0 : (rho1, rho2)
        Dicke-basis density matrices (Qobj or arrays) of the two ensembles;
        the initial state is rho1 (x) rho2.
    tlist : array_like
        Strictly increasing times; the initial state is taken at tlist[0].
    e_ops : list of lists of (coef, X1, X2)
        Operators O = sum coef * X1 (x) X2 (any Dicke-basis matrices).
    options : dict, optional
        "atol" (default 1e-8), "rtol" (default 1e-6) and "method" (one of
        "DOP853" (default), "RK45", "RK23"), passed to the
        ``scipy.integrate`` solver.  Other keys raise KeyError.

    Returns
    -------
    numpy.ndarray, shape (len(e_ops), len(tlist)), complex
        Tr(O rho(t)) for each operator and time.  As with
        ``qutip.mesolve``'s default ``normalize_output``, when rho0 has unit
        trace the values are Tr(O rho(t)) / Tr(rho(t)); this hides the tiny
        trace drift caused by the single-precision PIQS local Lindbladian.
    """
    N1, N2 = _check_N(N)
    spaces = (_PairSpace(N1), _PairSpace(N2))
    ham = _parse_terms(hamiltonian, spaces, "hamiltonian")
    _check_collective(ham, spaces, "hamiltonian")
    if isinstance(jumps, (str, bytes)) or not isinstance(jumps, (list, tuple)):
        raise TypeError(
            "jumps must be a list of jump operators, each a list of terms "
            f"(coef, X1, X2); got {type(jumps).__name__}")
    jump_terms = []
    for k, jump in enumerate(jumps):
        terms = _parse_terms(jump, spaces, f"jumps[{k}]")
        _check_collective(terms, spaces, f"jumps[{k}]")
        jump_terms.append(terms)
    rates = _check_local_rates(local_rates)
    r1, r2 = _check_rho0(rho0, spaces)
    times = check_tlist(tlist)
    if isinstance(e_ops, (str, bytes)) or not isinstance(e_ops, (list, tuple)):
        raise TypeError(
            "e_ops must be a list of operators, each a list of terms "
            f"(coef, X1, X2); got {type(e_ops).__name__}")
    e_terms = [_parse_terms(op, spaces, f"e_ops[{k}]")
               for k, op in enumerate(e_ops)]
    opts = _check_options(options)

    system = _build_system(spaces, ham, jump_terms, rates, r1, r2)
    plans = [system.expectation_plan(terms) for terms in e_terms]
    y0 = system.state(r1, r2)
    return _integrate(system, plans, y0, times, opts)


def _build_system(spaces, ham, jump_terms, rates, r1, r2):
    sup1, sup2 = _SuperCache(spaces[0]), _SuperCache(spaces[1])
    terms = _factorised_terms(ham, jump_terms, sup1, sup2)
    local_ops = [_local_superop(space, rates[e])
                 for e, space in enumerate(spaces)]
    a1, a2, cross = _assemble(terms, local_ops, spaces)
    return _BlockSystem(spaces, a1, a2, cross,
                        _initial_blocks(spaces, r1, r2))


def _integrate(system, plans, y0, times, opts):
    result = np.zeros((len(plans), len(times)), dtype=complex)
    trace_plan = system.expectation_plan([(1.0, None, None)])
    # As qutip.mesolve's normalize_output: when rho0 has unit trace, report
    # Tr(O rho) / Tr(rho).  This removes the slow trace drift of PIQS's
    # single-precision local Lindbladian (relative ~1e-7 per unit of rate
    # times time), which is not exactly trace preserving.
    normalize = abs(system.expect(trace_plan, y0) - 1) <= _NORMALIZE_ATOL

    def record(idx, y):
        scale = 1 / system.expect(trace_plan, y) if normalize else 1
        for k, plan in enumerate(plans):
            result[k, idx] = system.expect(plan, y) * scale

    record(0, y0)
    if len(times) == 1 or system.size == 0:
        for idx in range(1, len(times)):
            record(idx, y0)
        return result
    solver = _METHODS[opts["method"]](
        system.real_rhs(), times[0], y0.view(float), times[-1],
        rtol=opts["rtol"], atol=opts["atol"])
    idx = 1
    while idx < len(times):
        message = solver.step()
        if solver.status == "failed":
            raise RuntimeError(
                f"two_ensemble_solve: integration failed at t = {solver.t}: "
                f"{message}")
        if times[idx] <= solver.t:
            interp = solver.dense_output()
            while idx < len(times) and times[idx] <= solver.t:
                y = solver.y if times[idx] == solver.t else interp(times[idx])
                record(idx, np.ascontiguousarray(y).view(complex))
                idx += 1
    return result
