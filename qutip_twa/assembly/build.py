"""From operators to the engine: ``build_model`` and ``Model``.

``build_model`` turns a ``System`` (operators on one ``Ensembles``) into a
``Model``: jump rows, Hamiltonian Weyl symbols with their time coefficients
and the couplings between ensembles split off for the engine.  ``Model``
evaluates the coefficients on a step grid into an ``EngineModel``.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from ..canonical import canonical
from ..engine.contract import EngineModel
from ..operators.symbols import add
from .couplings import split_couplings
from .separable import from_generators

__all__ = ["Model", "build_model"]


def build_model(system):
    """The ``Model`` of a ``System``.

    A jump with a constant part c0 becomes D[L] plus a Hamiltonian
    correction: D[L + c0] = D[L] - i[(i/2)(c0* L - c0 L^+), .].
    """
    ens = system.ensembles
    hamiltonian = list(system.hamiltonian)
    rows = []
    for op in system.jumps:
        c0, cm, cp, cz = op.linear_coefficients()
        rows.append(np.stack([cm, cp, cz], axis=1))
        if c0:
            lin = op - c0
            hamiltonian.append(
                (0.5j * (np.conj(c0) * lin - c0 * lin.dag()), None))
    constant = sum((op for op, c in hamiltonian if c is None),
                   start=0.0 * ens.identity())
    separable, exchange_var, exchange_mat, rest = split_couplings(constant)
    modes = np.zeros(ens.modes)
    return Model(
        n_emitters=np.concatenate([ens.N.astype(float), modes]),
        local_rates=np.concatenate([system.local_rates,
                                    np.zeros((ens.modes, 3))]),
        jumps=np.array(rows, dtype=complex).reshape(-1, ens.sites, 3),
        hamiltonian=[(rest.symbol(), None)]
        + [(op.symbol(), c) for op, c in hamiltonian if c is not None],
        exchange_var=exchange_var, exchange_mat=exchange_mat,
        separable=separable, n_modes=ens.modes)


@dataclass
class Model:
    """Engine-level description of M coupled sites: ensembles, then
    ``n_modes`` bosonic modes (contract.py).

    Attributes
    ----------
    n_emitters : array (M,)
        0 for the modes.
    local_rates : array (M, 3)
        PIQS-convention rates per ensemble, in ``LOCAL_PROCESSES`` order.
    jumps : complex array (K, M, 3)
        Collective channel k has symbol sum_m alpha S-_m + beta S+_m
        + gamma Sz_m, rate included.
    hamiltonian : list of (symbol, coefficient)
        ``coefficient`` is None (constant) or a callable of time.
    exchange_var, exchange_mat : arrays, optional
        Constant couplings between ensembles, 1/2 v^T G v over the variables
        v = var[exchange_var] (indices 4 m + k, k in Sx, Sy, Sz), G real
        symmetric; see ``EngineModel``.
    separable : (U, V), optional
        Exchange sum A[m, m'] S+_m S-_m' over m != m' with A Hermitian and
        A[m, m'] = U[m] . V[m'] for m > m' (separable.py).
    """

    n_emitters: np.ndarray
    local_rates: np.ndarray
    jumps: np.ndarray
    hamiltonian: list = field(default_factory=list)
    exchange_var: np.ndarray = field(
        default_factory=lambda: np.zeros(0, np.int64))
    exchange_mat: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    separable: tuple = None
    n_modes: int = 0

    @property
    def M(self):
        return len(self.n_emitters)

    @property
    def time_independent(self):
        """True when no Hamiltonian term has a time coefficient."""
        return all(c is None for _, c in self.hamiltonian)

    def monomials(self):
        """Arrays (mono_var, mono_coef, mono_chan) of the Hamiltonian.

        Constant terms are summed into one symbol, and every symbol's
        monomials are sorted with coefficients rounded by ``canonical``, so
        equal Hamiltonians built in different ways give identical arrays.
        """
        constant = add(*[(1.0, s) for s, c in self.hamiltonian if c is None])
        parts = [(constant, 0)]
        for symbol, coefficient in self.hamiltonian:
            if coefficient is not None:
                parts.append((symbol, len(parts)))
        rows, coefs, chans = [], [], []
        for symbol, chan in parts:
            for key in sorted(symbol):
                if not key:
                    continue  # constants do not move trajectories
                rows.append([int(k) for k in key] + [-1] * (4 - len(key)))
                coefs.append(canonical(complex(symbol[key])))
                chans.append(chan)
        return (np.array(rows, dtype=np.int64).reshape(-1, 4),
                np.array(coefs, dtype=np.complex128),
                np.array(chans, dtype=np.int64))

    def with_args(self, args):
        """The model with new arguments of its time coefficients (``self``
        when ``args`` is None or empty)."""
        if not args:
            return self
        if not isinstance(args, dict):
            raise TypeError(f"args must be a dict, got {type(args).__name__}")
        return replace(self, hamiltonian=[
            (symbol, None if c is None else c.replace_arguments(args))
            for symbol, c in self.hamiltonian])

    def engine_model(self, grid):
        """The ``EngineModel``, time coefficients evaluated on ``grid``."""
        U, V = self.separable or (np.zeros((self.M, 0), complex),) * 2
        mono_var, mono_coef, mono_chan = self.monomials()
        return EngineModel(
            n_emitters=self.n_emitters, local_rates=self.local_rates,
            jumps=self.jumps, mono_var=mono_var, mono_coef=mono_coef,
            mono_chan=mono_chan, chan_val=self.coefficient_values(grid),
            exchange_var=self.exchange_var, exchange_mat=self.exchange_mat,
            sep_u=U, sep_v=V, n_modes=self.n_modes)

    def check_hermitian(self, tlist):
        """Raise ValueError unless the Hamiltonian symbol is real."""
        times = np.linspace(tlist[0], tlist[-1], 17)
        values = [None if c is None else _coefficient_row(c, times)
                  for _, c in self.hamiltonian]
        for i, t in enumerate(times):
            total = add(*[(1.0 if v is None else v[i], s)
                          for (s, _), v in zip(self.hamiltonian, values)])
            scale = max([abs(v) for v in total.values()], default=0.0)
            worst = max([abs(v.imag) for v in total.values()], default=0.0)
            if worst > 1e-9 * max(scale, 1.0):
                raise ValueError(f"H is not Hermitian at t = {t:g}: its Weyl "
                                 f"symbol has imaginary part {worst:.2e}")

    def coefficient_values(self, grid):
        """Rows: 1, then each time-dependent coefficient on ``grid``."""
        rows = [np.ones(len(grid), dtype=complex)]
        for _, coefficient in self.hamiltonian:
            if coefficient is not None:
                rows.append(_coefficient_row(coefficient, grid))
        return np.array(rows)

    def rate_scales(self, tlist):
        """Characteristic precession and dissipation rates of the dynamics,
        which set the fixed step.

        Precession: each Hamiltonian monomial of degree d counts as
        |coefficient| d (N/2)^(d-1).  Dissipation: collective channels count
        with their superradiant enhancement (rate times N), local rates as
        they are.  A mode counts as the total emitter number (the photons
        it may hold).
        """
        N = self.n_emitters.copy()
        N[self.M - self.n_modes:] = max(np.sum(N), 1.0)
        collective = np.sum(np.abs(self.jumps) ** 2 * N[None, :, None])
        local = np.max(np.sum(self.local_rates, axis=1), initial=0.0)
        probe = np.linspace(tlist[0], tlist[-1], 257)
        freq = 0.0
        for symbol, coefficient in self.hamiltonian:
            size = 1.0 if coefficient is None else \
                np.max(np.abs(_coefficient_row(coefficient, probe)))
            for key, c in symbol.items():
                if key:
                    half = np.max([N[k // 4] for k in key]) / 2 + 1
                    freq += size * abs(c) * len(key) * half ** (len(key) - 1)
        if len(self.exchange_var):
            half = N[self.exchange_var // 4] / 2 + 1
            freq += np.max(np.abs(self.exchange_mat) @ half)
        if self.separable is not None:
            A = from_generators(*self.separable)
            freq += 2 * np.max(np.abs(A) @ (N / 2 + 1))
        return freq, collective + local


def _coefficient_row(coefficient, times):
    """Values of a time-dependent coefficient; ValueError if not finite."""
    row = np.array([coefficient(t) for t in times], dtype=complex)
    bad = np.flatnonzero(~np.isfinite(row))
    if len(bad):
        raise ValueError(
            f"a time-dependent coefficient of H returned a non-finite value "
            f"({row[bad[0]]}) at t = {times[bad[0]]:g}; coefficients must "
            "be finite over tlist")
    return row
