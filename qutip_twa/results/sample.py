"""Phase-space samples handed to callable ``e_ops`` and kept as final state."""

import numpy as np

__all__ = ["PhaseSpaceSample"]


class PhaseSpaceSample:
    """Phase-space variables of a batch of trajectories.

    For a single ensemble every attribute is an array of shape (ntraj,);
    for M ensembles, (ntraj, M).

    Attributes
    ----------
    a, b : complex arrays
        Schwinger amplitudes of the excited and ground level.
    Sx, Sy, Sz, Sp, Sm : arrays
        Classical spin components; Sp = Sx + i Sy = conj(a) b.
    s, J : arrays
        Spin length ``s = (|a|^2 + |b|^2) / 2`` and total spin ``J = s - 1/2``.
    """

    def __init__(self, a, b):
        self._a, self._b = a, b

    def _shape(self, x):
        return x[:, 0] if x.shape[1] == 1 else x

    a = property(lambda self: self._shape(self._a))
    b = property(lambda self: self._shape(self._b))
    Sp = property(lambda self: np.conj(self.a) * self.b)
    Sm = property(lambda self: np.conj(self.Sp))
    Sx = property(lambda self: self.Sp.real)
    Sy = property(lambda self: self.Sp.imag)
    Sz = property(lambda self: (np.abs(self.a) ** 2 - np.abs(self.b) ** 2) / 2)
    s = property(lambda self: (np.abs(self.a) ** 2 + np.abs(self.b) ** 2) / 2)
    J = property(lambda self: self.s - 0.5)

    def __len__(self):
        return self._a.shape[0]

    def __repr__(self):
        return (f"<PhaseSpaceSample: {self._a.shape[0]} trajectories, "
                f"{self._a.shape[1]} ensemble(s)>")
