"""Identify the initial state of a truncated-Wigner run.

The sampler supports two kinds of PIQS Dicke-basis states:

* states diagonal in the Dicke basis, i.e. mixtures of ``|j, m>``
  (``piqs.excited``, ``ground``, ``dicke(N, j, m)``, ``superradiant``, ...),
  which are returned as ``kind="dicke_mixture"``;
* pure coherent spin states (``piqs.css`` or a rotated ``|N/2, N/2>``),
  returned as ``kind="coherent"`` with the Bloch angles ``theta, phi``.

Convention: the coherent state with angles ``(theta, phi)`` is
``exp(-i theta (-sin(phi) Jx + cos(phi) Jy)) |N/2, N/2>`` and has
``<J> / (N/2) = (sin theta cos phi, sin theta sin phi, cos theta)``; this is
the convention of ``qutip.spin_coherent``.  ``piqs.css(N, theta, phi,
coordinates="polar")`` points along ``(theta, -phi)`` instead; since the
angles are read off ``<J>``, both are identified correctly.
"""

from dataclasses import dataclass

import numpy as np
import qutip
import scipy.sparse as sp
from scipy.special import gammaln, xlogy

from ..canonical import canonical
from ..checks import per_ensemble
from .dicke import (MAX_QOBJ_DIM, collective_matrices, dicke_index,
                    dicke_labels, infer_num_emitters, num_dicke_states)

__all__ = ["InitialState", "ModeState", "ProductState",
           "identify_initial_state", "identify_mode_state",
           "coherent_amplitudes"]

ACCEPTED = (
    "rho0 must be a PIQS Dicke-basis state: a density matrix diagonal in the "
    "Dicke basis (piqs.excited, ground, dicke(N, j, m), superradiant, "
    "mixtures of these), a Dicke-state ket, or a coherent spin state "
    "(piqs.css or a rotated |N/2, N/2>)")

NOT_NORMALISED = (
    "the TWA samples normalised states only; for a correlation that QuTiP "
    "takes by evolving an unnormalised state such as J- rho J+, use "
    "qutip_twa.correlation_3op_1t or coherence_function_g2")

OFFDIAG_RTOL = 1e-10     # off-diagonals below this (relative) are zero
TRACE_ATOL = 1e-8        # allowed |tr(rho0) - 1|
NEGATIVE_ATOL = 1e-12    # populations in (-NEGATIVE_ATOL, NEGATIVE_ATOL) -> 0
FIDELITY_ATOL = 1e-5     # coherent state needs fidelity > 1 - FIDELITY_ATOL
MAX_POSITIVITY_DIM = 4000  # eigenvalues of rho0 checked up to this support
# (an integrator's output, e.g. mesolve's at default tolerances, is pure to
# about 1e-6)


@dataclass(frozen=True, eq=False)
class InitialState:
    """An initial state the truncated-Wigner sampler can draw from.

    Attributes
    ----------
    N : int
        Number of emitters.
    kind : {"dicke_mixture", "coherent"}
        Which kind of state.
    j, m : ndarray of float or None
        For ``"dicke_mixture"``: the labels ``(j, m)`` of the Dicke states
        with nonzero population, in PIQS basis order.
    prob : ndarray of float or None
        For ``"dicke_mixture"``: their populations (positive, sum 1).
    theta, phi : float or None
        For ``"coherent"``: Bloch angles of ``<J> / (N/2)``, with
        ``0 < theta < pi`` and ``0 <= phi < 2 pi``.
    """

    N: int
    kind: str
    j: np.ndarray = None
    m: np.ndarray = None
    prob: np.ndarray = None
    theta: float = None
    phi: float = None

    def to_qobj(self):
        """The state as a PIQS Dicke-basis density matrix."""
        dim = num_dicke_states(self.N)
        if self.kind == "coherent":
            psi = np.zeros(dim, dtype=complex)
            psi[:self.N + 1] = coherent_amplitudes(self.N, self.theta,
                                                   self.phi)
            return qutip.ket2dm(qutip.Qobj(psi))
        pops = self.dicke_populations()
        return qutip.Qobj(sp.diags_array(pops.astype(complex)).tocsr())

    def dicke_populations(self):
        """Populations over the PIQS Dicke basis (a diagonal state only).

        Raises
        ------
        ValueError
            For a coherent spin state, which has coherences in that basis.
        """
        if self.kind == "coherent":
            raise ValueError(
                "a coherent spin state has coherences in the Dicke basis, so "
                "it has no population vector; give a state diagonal in the "
                "Dicke basis (ground, excited, dicke, mixtures)")
        pops = np.zeros(num_dicke_states(self.N))
        pops[dicke_index(self.N, self.j, self.m)] = self.prob
        return pops

    def sampling_table(self):
        """Cumulative probabilities and Fock numbers (n_a, n_b) to sample."""
        if self.kind == "coherent":
            return np.ones(1), np.array([self.N]), np.zeros(1, np.int64)
        cum = np.cumsum(self.prob)
        cum[-1] = 1.0
        return (cum, np.rint(self.j + self.m).astype(np.int64),
                np.rint(self.j - self.m).astype(np.int64))


@dataclass(frozen=True, eq=False)
class ModeState:
    """The initial state of a bosonic mode: Fock states ``n`` mixed with
    populations ``prob``, displaced by ``alpha``.

    The vacuum is n = [0], alpha = 0 and a coherent state n = [0] with its
    amplitude; a thermal state is its Fock mixture (sampled with the thermal
    state's first and second moments of |alpha|^2).
    """

    n: np.ndarray
    prob: np.ndarray
    alpha: complex = 0j

    @classmethod
    def coherent(cls, alpha=0j):
        """The coherent state of amplitude ``alpha`` (0: the vacuum)."""
        return cls(np.zeros(1, np.int64), np.ones(1), complex(alpha))

    def to_qobj(self, dim):
        """The density matrix in a Fock space of dimension ``dim``."""
        if self.alpha:
            return qutip.coherent_dm(dim, self.alpha)
        pops = np.zeros(dim)
        pops[self.n[self.n < dim]] = self.prob[self.n < dim]
        return qutip.Qobj(np.diag(pops.astype(complex)))

    def sampling_table(self):
        """Cumulative probabilities and Fock numbers (n_a, n_b) to sample:
        the mode is the site's b amplitude."""
        cum = np.cumsum(self.prob)
        cum[-1] = 1.0
        return cum, np.zeros(len(self.n), np.int64), self.n


class ProductState:
    """A product of one initial state per ensemble (and per mode).

    Made by :meth:`Ensembles.ground`, :meth:`~Ensembles.excited`,
    :meth:`~Ensembles.dicke`, :meth:`~Ensembles.css` and
    :meth:`~Ensembles.product`, or identified from a tensor-product ``Qobj``;
    modes start in the vacuum unless set with :meth:`with_modes`.
    Sampling costs nothing that grows with the emitter numbers.
    """

    def __init__(self, ensembles, states, modes=None):
        self.ensembles = ensembles
        self.states = tuple(states)
        self.modes = tuple(modes) if modes is not None else \
            (ModeState.coherent(),) * ensembles.modes

    def __repr__(self):
        kinds = sorted({s.kind for s in self.states})
        return f"ProductState({self.ensembles!r}, {'/'.join(kinds)})"

    def with_modes(self, states):
        """The same ensembles' states with the modes in ``states``.

        Parameters
        ----------
        states : list
            One per mode: a number (the amplitude of a coherent state; 0:
            the vacuum), a Fock-space ``Qobj`` (``qutip.fock``,
            ``fock_dm``, ``thermal_dm``, ``coherent``, ``coherent_dm`` or
            a mixture of Fock states) or a ``ModeState``.
        """
        K = self.ensembles.modes
        if isinstance(states, (qutip.Qobj, ModeState)) or np.isscalar(states):
            states = [states]
        states = list(states)
        if len(states) != K:
            raise ValueError(f"with_modes: give {K} mode states, one per "
                             f"mode of {self.ensembles!r}; got {len(states)}")
        return ProductState(self.ensembles, self.states,
                            [_mode_state(s) for s in states])

    @classmethod
    def dicke(cls, ensembles, j, m):
        N = ensembles.N
        j = per_ensemble(j, ensembles.M, "j")
        m = per_ensemble(m, ensembles.M, "m")
        states = []
        for n, jj, mm in zip(N, j, m):
            if not (0 <= jj <= n / 2 and (n / 2 - jj) % 1 == 0
                    and abs(mm) <= jj and (jj - mm) % 1 == 0):
                raise ValueError(
                    f"no Dicke state |j={jj:g}, m={mm:g}> for N = {n}: need "
                    "j in N/2, N/2 - 1, ..., >= 0 and m in j, j - 1, ..., -j")
            states.append(InitialState(
                N=int(n), kind="dicke_mixture", j=np.array([jj]),
                m=np.array([mm]), prob=np.array([1.0])))
        return cls(ensembles, states)

    @classmethod
    def coherent(cls, ensembles, theta, phi):
        theta = per_ensemble(theta, ensembles.M, "theta")
        phi = per_ensemble(phi, ensembles.M, "phi")
        return cls(ensembles, [
            InitialState(N=int(n), kind="coherent", theta=float(t),
                         phi=float(np.mod(p, 2 * np.pi)))
            for n, t, p in zip(ensembles.N, theta, phi)])

    @classmethod
    def from_qobjs(cls, ensembles, states, spin=None):
        """One PIQS Dicke-basis state per ensemble (``spin[m]``: a state of
        spin j = N_m/2 instead)."""
        if isinstance(states, qutip.Qobj) or len(states) != ensembles.M:
            raise ValueError(f"states must be a list of {ensembles.M} PIQS "
                             "Dicke-basis states, one per ensemble")
        spin = spin or (False,) * ensembles.M
        return cls(ensembles, [identify_initial_state(q, int(n), s)
                               for q, n, s in zip(states, ensembles.N, spin)])

    def dicke_populations(self, N):
        """Populations over the PIQS Dicke basis of one ensemble of N
        emitters (the form ``population_solve`` reads).

        Raises
        ------
        ValueError
            For several ensembles, another N, or a coherent spin state.
        """
        if len(self.states) != 1 or self.modes or self.states[0].N != N:
            raise ValueError(f"{self!r} is not a state of one ensemble of "
                             f"N = {N} emitters")
        return self.states[0].dicke_populations()

    def to_qobj(self, fock_dims=None):
        """The state on the tensor product of PIQS Dicke bases (modes: their
        Fock spaces of ``fock_dims`` first, as ``EnsembleOperator.to_qobj``).
        """
        fock = fock_dims_of(fock_dims, len(self.modes))
        dims = fock + [num_dicke_states(s.N) for s in self.states]
        if np.prod(dims, dtype=float) > MAX_QOBJ_DIM:
            raise ValueError(f"to_qobj: the Hilbert space has dimension "
                             f"{np.prod(dims, dtype=float):.3g} > "
                             f"{MAX_QOBJ_DIM}")
        parts = [s.to_qobj(d) for s, d in zip(self.modes, fock)] + \
            [s.to_qobj() for s in self.states]
        return parts[0] if len(parts) == 1 else qutip.tensor(parts)

    def sampling_tables(self):
        """(cum_prob, n_a, n_b, theta, phi, shift) per site for the sampler
        (ensembles, then modes)."""
        tables = [s.sampling_table() for s in self.states + self.modes]
        width = max(len(t[0]) for t in tables)
        M = len(tables)
        cum = np.ones((M, width))
        n_a = np.zeros((M, width), np.int64)
        n_b = np.zeros((M, width), np.int64)
        for k, (c, na, nb) in enumerate(tables):
            cum[k, :len(c)], n_a[k, :len(c)], n_b[k, :len(c)] = c, na, nb
        angles = np.array([(s.theta, s.phi) if s.kind == "coherent"
                           else (0.0, 0.0) for s in self.states]
                          + [(0.0, 0.0)] * len(self.modes))
        shift = np.array([0j] * len(self.states)
                         + [s.alpha for s in self.modes])
        return (cum, n_a, n_b, angles[:, 0].copy(), angles[:, 1].copy(),
                shift)


MODE_ACCEPTED = ("a mode's state must be a number (coherent amplitude), a "
                 "ModeState, or a Fock-space Qobj that is a Fock state, a "
                 "mixture of Fock states (thermal_dm) or a coherent state")


def _mode_state(state):
    if isinstance(state, ModeState):
        return state
    if isinstance(state, qutip.Qobj):
        return identify_mode_state(state)
    if isinstance(state, (int, float, complex, np.number)) and \
            not isinstance(state, bool) and np.isfinite(complex(state)):
        return ModeState.coherent(canonical(complex(state)))
    raise TypeError(f"{MODE_ACCEPTED}; got {type(state).__name__}")


def identify_mode_state(state):
    """The :class:`ModeState` of a Fock-space ket or density matrix.

    Raises
    ------
    ValueError
        For a state that is neither diagonal in the Fock basis nor a
        coherent state (fidelity above 1 - 1e-5).
    """
    if len(state.dims[0]) != 1 or not (state.isket or state.isoper):
        raise ValueError(f"{MODE_ACCEPTED}; got dims {state.dims}")
    rho = qutip.ket2dm(state) if state.isket else state
    mat = rho.full()
    if abs(np.trace(mat) - 1) > TRACE_ATOL:
        raise ValueError(f"the mode's state has trace {np.trace(mat).real:.12g},"
                         " not 1")
    pops = mat.diagonal().real
    scale = abs(mat).max()
    if abs(mat - np.diag(mat.diagonal())).max() <= OFFDIAG_RTOL * scale:
        if pops.min() <= -NEGATIVE_ATOL:
            raise ValueError(f"the mode's state has a negative population "
                             f"{pops.min():.3g}")
        keep = np.flatnonzero(pops >= NEGATIVE_ATOL)
        return ModeState(keep.astype(np.int64), pops[keep] / pops[keep].sum())
    dim = mat.shape[0]
    alpha = complex(np.trace(mat @ qutip.destroy(dim).full()))
    alpha = canonical(alpha)
    psi = qutip.coherent(dim, alpha).full().ravel()
    fidelity = abs(np.vdot(psi, mat @ psi))
    if fidelity > 1 - FIDELITY_ATOL:
        return ModeState.coherent(alpha)
    raise ValueError(f"{MODE_ACCEPTED}: this one has coherences but its "
                     f"fidelity with the coherent state of <a> = {alpha:.4g} "
                     f"is {fidelity:.6f}")


def coherent_amplitudes(N, theta, phi):
    """Amplitudes of the coherent spin state on ``|N/2, m>``, m = N/2..-N/2.

    The state is ``prod_i (cos(theta/2) |up> + exp(i phi) sin(theta/2)
    |down>)``, i.e. ``exp(-i theta (-sin(phi) Jx + cos(phi) Jy))
    |N/2, N/2>``; its Bloch vector points along ``(theta, phi)``.

    Returns
    -------
    ndarray of complex, shape (N + 1,)
        Amplitudes of the ``N + 1`` states of the ``j = N/2`` block, which
        are the first ``N + 1`` entries of the PIQS Dicke basis.
    """
    k = np.arange(N + 1)  # number of lowered spins, k = N/2 - m
    log_abs = (0.5 * (gammaln(N + 1) - gammaln(k + 1) - gammaln(N - k + 1))
               + xlogy(N - k, abs(np.cos(theta / 2)))
               + xlogy(k, abs(np.sin(theta / 2))))
    signs = np.sign(np.cos(theta / 2)) ** (N - k) * \
        np.sign(np.sin(theta / 2)) ** k
    return signs * np.exp(log_abs + 1j * k * phi)


def identify_initial_state(rho0, N=None, spin=False):
    """Classify ``rho0`` as a Dicke mixture or a coherent spin state.

    Parameters
    ----------
    rho0 : qutip.Qobj
        Ket or density matrix in the PIQS Dicke basis of N emitters, of
        dimension ``num_dicke_states(N)`` (``spin``: of spin j = N/2,
        dimension N + 1, e.g. ``qutip.spin_coherent``).
    N : int, optional
        Number of emitters; inferred from the dimension of ``rho0`` if
        omitted, and checked against it otherwise.
    spin : bool, default False

    Returns
    -------
    InitialState
        ``kind="dicke_mixture"`` if ``rho0`` is diagonal in the Dicke basis
        (this includes the excited and ground states), otherwise
        ``kind="coherent"`` if it is a pure coherent spin state.

    Raises
    ------
    TypeError
        If ``rho0`` is not a ``qutip.Qobj``.
    ValueError
        If ``N`` and the dimension of ``rho0`` disagree, or ``rho0`` is not
        a normalised, Hermitian Dicke-basis state of one of the accepted
        kinds (for example a GHZ state or a superposition of Dicke states).
    """
    if not isinstance(rho0, qutip.Qobj):
        raise TypeError(
            "rho0 must be a qutip.Qobj (a ket or a density matrix in the PIQS "
            f"Dicke basis), not {type(rho0).__name__}")
    if not (rho0.isket or (rho0.isoper and rho0.shape[0] == rho0.shape[1])):
        raise ValueError(
            f"rho0 has type {rho0.type!r} and shape {rho0.shape}; it must be "
            f"a ket or a square density matrix. {ACCEPTED}")

    dim = rho0.shape[0]
    if N is None:
        N = dim - 1 if spin else infer_num_emitters(dim, "rho0")
    else:
        if int(N) != N or N < 1:
            raise ValueError(f"N must be a positive integer, got {N!r}")
        N = int(N)
        expected = N + 1 if spin else num_dicke_states(N)
        if expected != dim:
            basis = f"spin j = {N / 2:g}" if spin else "a Dicke basis"
            raise ValueError(
                f"N = {N} needs {basis} of dimension {expected}, but rho0 "
                f"has dimension {dim}")

    if rho0.isket:
        psi = rho0.full().ravel()
        norm2 = np.vdot(psi, psi).real
        if abs(norm2 - 1) > TRACE_ATOL:
            raise ValueError(
                f"rho0 is a ket with squared norm {norm2:.12g}, not 1. "
                + ACCEPTED)
        pops = np.abs(psi) ** 2
        top2 = np.sort(pops)[-2:]
        offdiag = np.sqrt(top2[0] * top2[1])  # largest |psi_a psi_b|, a != b
        scale = top2[1]
    else:
        rho = sp.csr_array(rho0.to("csr").data.as_scipy())
        scale = abs(rho).max()
        if abs(rho - rho.conj().T).max() > OFFDIAG_RTOL * scale:
            raise ValueError(f"rho0 is not Hermitian. {ACCEPTED}")
        trace = rho.diagonal().sum().real
        if abs(trace - 1) > TRACE_ATOL:
            raise ValueError(
                f"rho0 has trace {trace:.12g}, not 1: {NOT_NORMALISED}")
        pops = rho.diagonal().real
        offdiag = abs(rho - sp.diags_array(rho.diagonal())).max()

    if offdiag <= OFFDIAG_RTOL * scale:
        return _dicke_mixture(N, pops, spin)
    if not rho0.isket:
        _check_positive(rho)
    state, fidelity = _coherent(N, psi if rho0.isket else rho, rho0.isket,
                                spin)
    if state is not None:
        return state
    if N >= 2 and pops[[0, N]].sum() > 1 - TRACE_ATOL:
        raise ValueError(
            "rho0 looks like a GHZ (cat) state, a coherent superposition of "
            "|N/2, N/2> and |N/2, -N/2>; the GHZ state has no positive Wigner "
            f"sampling in this method. {ACCEPTED}")
    raise ValueError(
        "rho0 is neither diagonal in the Dicke basis nor a coherent spin "
        "state (e.g. it is a superposition of Dicke states): its fidelity "
        f"with the closest coherent spin state is {fidelity:.9f}, and a "
        f"coherent state needs more than 1 - {FIDELITY_ATOL:g}. {ACCEPTED}")


def _check_positive(rho):
    """ValueError if the density matrix has an eigenvalue below
    -FIDELITY_ATOL.

    The eigenvalues are those of rho on its support (the rows with entries),
    a few states for the states sampled here (a coherent state lives in the
    N + 1 states of j = N/2).
    """
    support = np.flatnonzero(abs(rho).sum(axis=1))
    if len(support) > MAX_POSITIVITY_DIM:
        return
    lowest = np.linalg.eigvalsh(rho[support][:, support].toarray())[0]
    if lowest < -FIDELITY_ATOL:  # integrator output is positive to ~1e-6
        raise ValueError(f"rho0 has a negative eigenvalue {lowest:.3g}: it is "
                         f"not a density matrix. {ACCEPTED}")


def _dicke_mixture(N, pops, spin=False):
    """InitialState of a Dicke-diagonal state with populations ``pops``."""
    if pops.min() <= -NEGATIVE_ATOL:
        raise ValueError(
            f"rho0 has a negative population {pops.min():.3g} in the Dicke "
            f"basis. {ACCEPTED}")
    keep = np.flatnonzero(pops >= NEGATIVE_ATOL)
    prob = pops[keep] / pops[keep].sum()
    j, m = dicke_labels(N, spin)
    arrays = [j[keep].copy(), m[keep].copy(), prob]
    for a in arrays:
        a.flags.writeable = False
    return InitialState(N=N, kind="dicke_mixture", j=arrays[0], m=arrays[1],
                        prob=arrays[2])


def _coherent(N, state, is_ket, spin=False):
    """(InitialState or None, fidelity with the closest coherent state)."""
    jz, jp, _ = collective_matrices(N, spin)
    if is_ket:
        def expect(op):
            return np.vdot(state, op @ state)
    else:
        def expect(op):  # tr(rho op) = sum_ab rho_ab op_ba
            return state.multiply(op.T).sum()
    j_plus = expect(jp)  # <J+> = <Jx> + i <Jy>
    j_z = expect(jz).real
    # angles rounded like identified coefficients (see canonical.py),
    # so that a state and its density matrix give bit-identical runs
    theta = canonical(float(np.arctan2(abs(j_plus), j_z)))
    phi = canonical(float(np.mod(np.angle(j_plus), 2 * np.pi)))
    if phi >= 2 * np.pi:  # np.mod may round a tiny negative angle up to 2 pi
        phi = 0.0
    css = np.zeros(state.shape[0], dtype=complex)
    css[:N + 1] = coherent_amplitudes(N, theta, phi)
    if is_ket:
        fidelity = abs(np.vdot(css, state)) ** 2
    else:
        fidelity = abs(np.vdot(css, state @ css))
    if fidelity > 1 - FIDELITY_ATOL:
        return InitialState(N=N, kind="coherent", theta=theta, phi=phi), \
            fidelity
    return None, fidelity


def fock_dims_of(fock_dims, modes):
    """Fock dimensions, one per mode, as a list of ints >= 2."""
    if not modes:
        return []
    if fock_dims is None:
        raise ValueError(f"to_qobj: give fock_dims, the Fock-space dimension "
                         f"of each of the {modes} modes")
    dims = [fock_dims] * modes if np.isscalar(fock_dims) else list(fock_dims)
    if len(dims) != modes or not all(
            isinstance(d, (int, np.integer)) and d >= 2 for d in dims):
        raise ValueError(f"fock_dims must be an integer >= 2 or {modes} of "
                         f"them, got {fock_dims!r}")
    return [int(d) for d in dims]
