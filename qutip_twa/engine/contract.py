"""What the numba engine takes: named arrays, each field named once here.

``EngineModel`` describes M coupled ensembles; ``SamplingTables`` their
initial state.  Both are ``NamedTuple``s of plain arrays, so numba compiles
them as tuples (no Python objects in the kernels) while Python code reads
them by name.
"""

from typing import NamedTuple

import numpy as np

__all__ = ["LOCAL_PROCESSES", "EMISSION", "PUMPING", "DEPHASING",
           "EngineModel", "SamplingTables"]

# The local processes in the order of ``EngineModel.local_rates`` columns.
LOCAL_PROCESSES = ("emission", "pumping", "dephasing")
EMISSION, PUMPING, DEPHASING = (LOCAL_PROCESSES.index(p)
                                for p in LOCAL_PROCESSES)


class EngineModel(NamedTuple):
    """The model of M sites as the engine reads it.

    Sites are ensembles, then ``n_modes`` bosonic modes: a mode's site holds
    amplitudes (a, b) = (1, alpha), a kept at 1, so that its variables are
    Sx + i Sy = alpha and s - Sz = |alpha|^2 (operators/symbols.py).

    n_emitters : float array (M,)
        (0 for modes)
    local_rates : float array (M, 3)
        PIQS-convention rates per ensemble, columns in ``LOCAL_PROCESSES``
        order.
    jumps : complex array (K, M, 3)
        Collective channel k has the symbol C_k = sum_m alpha S-_m
        + beta S+_m + gamma Sz_m, with (alpha, beta, gamma) = jumps[k, m]
        (square root of the rate included).
    mono_var, mono_coef, mono_chan : arrays (n, 4), (n,), (n,)
        The Hamiltonian symbol as monomials: up to four variable indices
        4 m + (Sx, Sy, Sz, s) (-1 for none), the coefficient, and the row of
        ``chan_val`` that multiplies it.
    chan_val : complex array (rows, grid points)
        Row 0 is the constant 1, the others the time-dependent coefficients
        on the step grid.
    exchange_var, exchange_mat : int array (n,), float array (n, n)
        Constant couplings between ensembles, H_x = 1/2 v^T G v over the
        variables v = var[exchange_var] (G real symmetric): one dense
        matrix-vector product per gradient.
    sep_u, sep_v : complex arrays (M, r)
        Semiseparable exchange sum_{m != m'} A[m, m'] S+_m S-_m', A
        Hermitian with A[m, m'] = sep_u[m] . sep_v[m'] for m > m'; r = 0
        for none.
    """

    n_emitters: np.ndarray
    local_rates: np.ndarray
    jumps: np.ndarray
    mono_var: np.ndarray
    mono_coef: np.ndarray
    mono_chan: np.ndarray
    chan_val: np.ndarray
    exchange_var: np.ndarray
    exchange_mat: np.ndarray
    sep_u: np.ndarray
    sep_v: np.ndarray
    n_modes: int = 0


class SamplingTables(NamedTuple):
    """Initial states of M ensembles for ``kernels.sample_initial``.

    Ensemble m draws a Dicke state (J, M) from the cumulative populations
    ``cum_prob[m]`` (rows padded with 1.0), with Fock numbers
    ``n_a[m], n_b[m]`` = J + M, J - M, then rotates it by the Bloch angles
    ``theta[m], phi[m]`` (zero for Dicke mixtures).  An occupied Fock
    mode n draws |z|^2 uniformly from n + 1/2 +- ``spread`` (0: a ring).
    The last ``n_modes`` sites are bosonic modes: a = 1 and b the Fock
    number n_b drawn so, plus ``shift`` (a coherent amplitude).
    """

    cum_prob: np.ndarray
    n_a: np.ndarray
    n_b: np.ndarray
    theta: np.ndarray
    phi: np.ndarray
    spread: float
    shift: np.ndarray
    n_modes: int
