"""Ready-made composite models.

``chain`` builds the paper's 1D chain of M ensembles coupled through a
waveguide or a lattice of bad-cavity resonators (Eq. 8 of the paper), with its
observables.
"""

from dataclasses import dataclass

import numpy as np

from ..operators import EnsembleOperator, Ensembles

__all__ = ["Chain", "chain"]


@dataclass
class Chain:
    """The chain model of ``chain``: operators, rates and observables.

    Attributes
    ----------
    ensembles : Ensembles
    H : EnsembleOperator
        ``(Gamma/2) sum_{m,m'} sin(phi |m - m'|) J+_m J-_m'`` plus the drive
        Omega sum_m (e^{i phi m} J+_m + h.c.).
    c_ops : list of EnsembleOperator
        sqrt(Gamma/2) L_F and sqrt(Gamma/2) L_B.
    L_F, L_B : EnsembleOperator
        sum_m e^{+-i phi m} J-_m, sites m = 1, ..., M.
    rates : dict
        Local rates (``pumping``, ``emission``, ``dephasing``) to pass to
        ``twasolve`` as keywords.
    """

    ensembles: Ensembles
    H: EnsembleOperator
    c_ops: list
    L_F: EnsembleOperator
    L_B: EnsembleOperator
    rates: dict
    phi: float

    def forward_emission(self):
        """I_F = L_F^+ L_F."""
        return self.L_F.dag() * self.L_F

    def backward_emission(self):
        """I_B = L_B^+ L_B."""
        return self.L_B.dag() * self.L_B

    def site_emission(self, m):
        """I_m = J+_m J-_m of site m (0-based index)."""
        return self.ensembles.jp(m) * self.ensembles.jm(m)

    def structure_factor(self, p):
        """S(p) = sum_{m,m'} e^{i p (m - m')} J+_m J-_m'."""
        if np.ndim(p) != 0 or np.iscomplexobj(p) or not np.isfinite(p):
            raise ValueError(f"p must be a finite real momentum, got {p!r}")
        phase = np.exp(1j * p * np.arange(1, self.ensembles.M + 1))
        return self.ensembles.raising(phase) * \
            self.ensembles.lowering(np.conj(phase))

    def e_ops(self, sites=True, momenta=()):
        """A dict of observables: "I_F", "I_B", ("I", m), ("S", p)."""
        out = {"I_F": self.forward_emission(),
               "I_B": self.backward_emission()}
        if sites:
            for m in range(self.ensembles.M):
                out[("I", m)] = self.site_emission(m)
        for p in momenta:
            out[("S", float(p))] = self.structure_factor(p)
        return out


def chain(M, N, phi, gamma=1.0, pumping=0.0, drive=0.0, emission=0.0,
          dephasing=0.0):
    """The paper's chain of M ensembles (Eq. 8).

    Parameters
    ----------
    M : int
        Number of ensembles (sites m = 1, ..., M).
    N : int or sequence of int
        Emitters per ensemble.
    phi : float
        Propagation phase between neighbouring sites.
    gamma : float, default 1
        Decay rate Gamma into the chain; forward and backward jumps each
        have rate Gamma/2.
    pumping, emission, dephasing : float or array of length M
        Local rates in PIQS conventions (``pumping`` is the paper's gamma).
    drive : float, default 0
        Amplitude Omega of the forward-propagating coherent drive.

    Returns
    -------
    Chain
    """
    for name, value in (("phi", phi), ("gamma", gamma), ("drive", drive)):
        if not np.isscalar(value) or np.iscomplexobj(value) or \
                isinstance(value, (bool, str)) or not np.isfinite(value):
            raise ValueError(f"{name} must be a finite real number, got "
                             f"{value!r}")
    if gamma < 0:
        raise ValueError(f"gamma must be >= 0, got {gamma}")
    ens = Ensembles(N, M=M) if np.isscalar(N) else Ensembles(N)
    if ens.M != M:
        raise ValueError(f"N lists {ens.M} ensembles but M = {M}")
    sites = np.arange(1, M + 1)
    forward = np.exp(1j * phi * sites)
    L_F, L_B = ens.lowering(forward), ens.lowering(np.conj(forward))
    distance = np.abs(sites[:, None] - sites[None, :])
    H = ens.exchange(0.5 * gamma * np.sin(phi * distance))
    if drive:
        H = H + drive * (ens.raising(forward) + ens.lowering(np.conj(forward)))
    root = np.sqrt(gamma / 2)
    return Chain(ensembles=ens, H=H, c_ops=[root * L_F, root * L_B],
                 L_F=L_F, L_B=L_B, phi=float(phi),
                 rates=dict(pumping=pumping, emission=emission,
                            dephasing=dephasing))
