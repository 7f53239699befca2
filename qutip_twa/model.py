"""A model ready for the engine: ensembles, channels and the Hamiltonian.

``Model`` collects what the front ends identified (emitter numbers, local
rates, collective jumps, Hamiltonian symbol terms with their time
coefficients) and turns it into the plain arrays the numba engine takes.
"""

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Model", "step_grid"]

# Heun steps per characteristic time 1/rate; see tests/test_convergence.py.
STEPS_PER_UNIT_RATE = 100.0


@dataclass
class Model:
    """Engine-level description of M coupled ensembles.

    Attributes
    ----------
    n_emitters : array (M,)
    local_rates : array (M, 3)
        PIQS-convention emission, pumping, dephasing rates per ensemble.
    jumps : complex array (K, M, 3)
        Collective channel k has symbol sum_m alpha S-_m + beta S+_m
        + gamma Sz_m, rate included.
    hamiltonian : list of (symbol, coefficient)
        ``coefficient`` is None (constant) or a callable of time.
    """

    n_emitters: np.ndarray
    local_rates: np.ndarray
    jumps: np.ndarray
    hamiltonian: list = field(default_factory=list)

    @property
    def M(self):
        return len(self.n_emitters)

    def monomials(self):
        """Arrays (mono_var, mono_coef, mono_chan) of the Hamiltonian."""
        rows, coefs, chans = [], [], []
        chan = 0
        for symbol, coefficient in self.hamiltonian:
            if coefficient is not None:
                chan += 1
            for key, c in symbol.items():
                if not key:
                    continue  # constants do not move trajectories
                rows.append(list(key) + [-1] * (4 - len(key)))
                coefs.append(c)
                chans.append(chan if coefficient is not None else 0)
        return (np.array(rows, dtype=np.int64).reshape(-1, 4),
                np.array(coefs, dtype=np.complex128),
                np.array(chans, dtype=np.int64))

    def coefficient_values(self, grid):
        """Rows: 1, then each time-dependent coefficient on ``grid``."""
        rows = [np.ones(len(grid), dtype=complex)]
        for _, coefficient in self.hamiltonian:
            if coefficient is not None:
                rows.append(np.array([coefficient(t) for t in grid],
                                     dtype=complex))
        return np.array(rows)

    def rate_scale(self, tlist):
        """A characteristic rate of the dynamics, sets the default step.

        Collective channels count with their superradiant enhancement
        (rate times N), local rates as they are, and each Hamiltonian
        monomial of degree d as |coefficient| d (N/2)^(d-1).
        """
        N = self.n_emitters
        collective = np.sum(np.abs(self.jumps) ** 2 * N[None, :, None])
        local = np.max(np.sum(self.local_rates, axis=1), initial=0.0)
        probe = np.linspace(tlist[0], tlist[-1], 257)
        freq = 0.0
        for symbol, coefficient in self.hamiltonian:
            size = 1.0 if coefficient is None else \
                np.max(np.abs([coefficient(t) for t in probe]))
            for key, c in symbol.items():
                if key:
                    half = np.max([N[k // 4] for k in key]) / 2 + 1
                    freq += size * abs(c) * len(key) * half ** (len(key) - 1)
        return collective + local + freq


def step_grid(tlist, dt_max):
    """Sub-steps between output times: (grid, steps per interval)."""
    steps = np.maximum(np.ceil(np.diff(tlist) / dt_max - 1e-9), 1).astype(int)
    grid = [tlist[:1]]
    for t0, t1, n in zip(tlist[:-1], tlist[1:], steps):
        grid.append(t0 + (t1 - t0) * np.arange(1, n + 1) / n)
    return np.concatenate(grid), steps
