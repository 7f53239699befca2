"""One batch of a correlation run (docs/theory.md Section 14).

From each start time t, ``<A(t + tau) B(t)>`` of a trajectory is the
product W_A(t + tau) W_B(t) of Weyl symbols (the symmetrically ordered
part) plus half the commutator, (i/2) d<A(t + tau)>/d eps for a kick
exp(-i eps B) at t (``TwoOperators``); ``<A(t) B(t + tau) C(t)>`` adds
the second derivatives of the kicks by A and C (``ThreeOperators``).  The
kick of an operator linear in the spin operators is an SU(2) rotation of
each ensemble's amplitudes; the derivatives are central differences over
copies of the trajectory, rotated by +-``KICK`` and run with the same noise
(same random stream and steps).
"""

from dataclasses import dataclass

import numpy as np

from ..assembly import Stepping
from ..engine import EngineModel, SamplingTables
from ..operators.symbols import phase_variables
from ..results import ExpectOps
from .batches import (BATCH_VALUES_BYTES, BLOCK, split_blocks, start_batch,
                      value_sums)

__all__ = ["KICK", "KICK3", "CorrelationJob", "TwoOperators", "ThreeOperators",
           "kicks_of", "rotation"]

KICK = 0.02  # rotation angle of the kicked copies
KICK3 = 0.1  # the same for three operators (second differences)


def kicks_of(op, name="b_op"):
    """``[(h, weight)]`` with op - const = sum weight * (h . J) over its
    Hermitian (weight 1) and anti-Hermitian (weight 1j) parts; h has shape
    (M, 3), the field (x, y, z) on each ensemble.  ``op`` (called ``name``
    in errors) must be linear in the spin operators (an
    ``EnsembleOperator`` of degree <= 1)."""
    if op.degree > 1:
        raise ValueError(
            f"{name}: the ordering correction needs {name} linear in J+, J-, "
            f"Jz (it has degree {op.degree}); pass ordering='symmetric' for "
            "the symmetrically ordered correlation")
    if any(word in ("a", "c") for word in op.terms):
        raise ValueError(
            f"{name}: the ordering correction is built for spin operators, "
            "not a cavity mode's a, a^+; pass ordering='symmetric' for the "
            "symmetrically ordered correlation")
    out = []
    for part, weight in ((0.5 * (op + op.dag()), 1.0),
                         (-0.5j * (op - op.dag()), 1j)):
        h = np.zeros((op.ensembles.sites, 3))
        for word, (idx, coef) in part.terms.items():
            if word == "+":  # p J+ + conj(p) J- = 2 Re p Jx - 2 Im p Jy
                np.add.at(h[:, 0], idx[:, 0], 2 * coef.real)
                np.add.at(h[:, 1], idx[:, 0], -2 * coef.imag)
            elif word == "z":
                np.add.at(h[:, 2], idx[:, 0], coef.real)
        if np.any(h):
            out.append((h, weight))
    return out


def rotation(h, angle):
    """(M, 2, 2) matrices exp(-i angle h.sigma / 2) acting on (a, b)."""
    norm = np.linalg.norm(h, axis=1)
    n = h / np.where(norm > 0, norm, 1.0)[:, None]
    c, s = np.cos(angle * norm / 2), np.sin(angle * norm / 2)
    U = np.empty((len(h), 2, 2), complex)
    U[:, 0, 0] = c - 1j * s * n[:, 2]
    U[:, 1, 1] = c + 1j * s * n[:, 2]
    U[:, 0, 1] = -1j * s * (n[:, 0] - 1j * n[:, 1])
    U[:, 1, 0] = -1j * s * (n[:, 0] + 1j * n[:, 1])
    return U


def _symbol(ops, variables):
    """The one e_op of ``ops`` on trajectories' phase-space variables."""
    out = np.empty((1, len(variables)), dtype=complex)
    ops.values(0.0, None, variables, out)
    return out[0]


def _field_symbols(fields, a, b):
    """(rows, len(fields)) symbols h . S of the fields h (M, 3)."""
    S = phase_variables(a, b).reshape(len(a), -1, 4)[:, :, :3]
    return np.stack([np.einsum("imc,mc->i", S, h) for h in fields], axis=1)


class TwoOperators:
    """<A(t + tau) B(t)>: W_A W_B plus (i/2) d<A>/d eps for kicks by B's
    Hermitian parts (``kicks``; none: the symmetric ordering alone)."""

    def __init__(self, b_op, kicks):
        self.b_op, self.kicks = b_op, kicks

    def copies(self):
        """Per copy after the trajectory itself, its rotations [(h,
        angle)] in the order applied."""
        return [[(h, side * KICK)] for h, _ in self.kicks for side in (1, -1)]

    def start(self, a, b, group):
        """W_B of each trajectory (the first row of each group)."""
        return _symbol(self.b_op, phase_variables(a[::group], b[::group]))

    def combine(self, B, A):
        """Per-trajectory values from the late symbols A (count, group)."""
        value = A[:, 0] * B
        for d, (_, weight) in enumerate(self.kicks):
            value = value + 0.25j * weight * (
                A[:, 2 * d + 1] - A[:, 2 * d + 2]) / KICK
        return value


class ThreeOperators:
    """<A(t) B(t + tau) C(t)> = Tr[B e^(L tau) (C rho A)] for A and C linear
    in the spin operators: with C = sum c_k X_k and A = sum a_l Y_l over
    Hermitian parts, X rho Y = ({X,{Y,rho}} - {X,[Y,rho]} + [X,{Y,rho}]
    - [X,[Y,rho]]) / 4, each term a product of symbols (an anticommutator
    multiplies by 2 W) or a first or mixed second derivative of the kicked
    B (a commutator is i d/d eps of a kick)."""

    def __init__(self, left, right):
        self.fields, self.left, self.right = [], [], []
        for kicks, parts in ((left, self.left), (right, self.right)):
            for h, weight in kicks:
                parts.append((self._field(h), weight))
        self.pairs = sorted({(k, l) for k, _ in self.left
                             for l, _ in self.right if k != l})

    def _field(self, h):
        for j, known in enumerate(self.fields):
            if np.array_equal(known, h):
                return j
        self.fields.append(h)
        return len(self.fields) - 1

    def _single(self, j, side):
        return 1 + 2 * j + (1 - side) // 2

    def _pair(self, k, l, s1, s2):
        return 1 + 2 * len(self.fields) + 4 * self.pairs.index((k, l)) \
            + (1 - s1) + (1 - s2) // 2

    def copies(self):
        singles = [[(h, side * KICK3)] for h in self.fields
                   for side in (1, -1)]
        pairs = [[(self.fields[l], s2 * KICK3), (self.fields[k], s1 * KICK3)]
                 for k, l in self.pairs for s1 in (1, -1) for s2 in (1, -1)]
        return singles + pairs

    def start(self, a, b, group):
        """(count, group, fields) symbols of the generators on every copy
        at the start."""
        W = _field_symbols(self.fields, a, b)
        return W.reshape(len(a) // group, group, len(self.fields))

    def combine(self, W, B):
        """Per-trajectory values from the late symbols B (count, group)."""
        value = 0.0
        B0 = B[:, 0]
        for k, c in self.left:
            kp, km = self._single(k, 1), self._single(k, -1)
            for l, a in self.right:
                lp, lm = self._single(l, 1), self._single(l, -1)
                both = 4 * W[:, 0, k] * W[:, 0, l] * B0
                kick_y = -2j * (W[:, lp, k] * B[:, lp]
                                - W[:, lm, k] * B[:, lm]) / (2 * KICK3)
                kick_x = 2j * W[:, 0, l] * (B[:, kp] - B[:, km]) / (2 * KICK3)
                if k == l:
                    second = (B[:, kp] - 2 * B0 + B[:, km]) / KICK3 ** 2
                else:
                    second = sum(s1 * s2 * B[:, self._pair(k, l, s1, s2)]
                                 for s1 in (1, -1) for s2 in (1, -1)) \
                        / (4 * KICK3 ** 2)
                value = value + 0.25 * c * a * (both + kick_y + kick_x
                                                + second)
        return value


@dataclass
class CorrelationJob:
    """Everything a batch of a correlation run needs.

    The trajectories run over ``times`` (``stepping``, ``wait_model``); at
    the times where ``starts`` is True they are copied, kicked and run over
    ``taulist`` (``tau_stepping``, ``model``: each model holds the
    coefficients on its stepping's grid).  ``late`` holds the one e_op
    evaluated at t + tau, ``estimator`` (``TwoOperators`` or
    ``ThreeOperators``) the copies and how their values combine.  The
    values of start k are the run's e_op k.
    """
    key: np.ndarray
    model: EngineModel
    wait_model: EngineModel
    init: SamplingTables
    stepping: Stepping
    tau_stepping: Stepping
    times: np.ndarray
    starts: np.ndarray
    taulist: np.ndarray
    late: ExpectOps
    estimator: object
    J_limit: np.ndarray
    exclude_faults: bool
    keep_runs: bool
    threads: int = 0

    @property
    def tlist(self):
        """The output times of the result: the delays."""
        return self.taulist

    def largest_batch(self):
        per_traj = 16 * max(int(self.starts.sum()), 1) * len(self.taulist)
        return max(BLOCK, BATCH_VALUES_BYTES // per_traj // BLOCK * BLOCK)

    def __call__(self, first, count):
        rng, a, b = start_batch(self.key, self.init, len(self.J_limit),
                                first, count, self.threads)
        values = np.zeros((int(self.starts.sum()), count, len(self.taulist)),
                          dtype=complex)
        faulty = np.zeros((count, len(self.taulist)), dtype=bool)
        rate = np.full(count, -1.0)
        steps = np.zeros(count, dtype=np.int64)
        k = 0
        for i in range(len(self.times)):
            if i:
                self.stepping.advance(a, b, rng, self.times, i, rate, steps,
                                      self.wait_model)
            if self.starts[i]:
                self._correlate(a, b, rng, values[k], faulty, steps)
                k += 1
        return split_blocks(faulty[:, -1], faulty, steps,
                            lambda rows: value_sums(values, rows,
                                                    self.keep_runs))

    def _correlate(self, a, b, rng, out, faulty, steps):
        """Fill ``out`` (count, ntau) from the trajectories' state (a, b)."""
        copies = self.estimator.copies()
        count, group = len(a), 1 + len(copies)
        ga, gb = np.repeat(a, group, axis=0), np.repeat(b, group, axis=0)
        grng = np.repeat(rng, group, axis=0)
        for c, turns in enumerate(copies, start=1):
            rows = slice(c, None, group)
            for h, angle in turns:
                U = rotation(h, angle)
                ga[rows], gb[rows] = (
                    U[:, 0, 0] * ga[rows] + U[:, 0, 1] * gb[rows],
                    U[:, 1, 0] * ga[rows] + U[:, 1, 1] * gb[rows])
        context = self.estimator.start(ga, gb, group)
        rate = np.full(count * group, -1.0)
        gsteps = np.zeros(count * group, dtype=np.int64)
        bad = np.zeros(count, dtype=bool)
        for k in range(len(self.taulist)):
            if k:
                self.tau_stepping.advance_tied(ga, gb, grng, self.taulist, k,
                                               rate, gsteps, self.model,
                                               group)
            with np.errstate(all="ignore"):
                variables = phase_variables(ga, gb)
                late = _symbol(self.late, variables).reshape(count, group)
                J = variables[:, 3::4] - 0.5
                over = np.any(J > self.J_limit, axis=1).reshape(count, group)
                bad |= np.any(over | ~np.isfinite(late), axis=1)
                value = self.estimator.combine(context, late)
            faulty[:, k] |= bad
            if bad.any() and not self.exclude_faults:
                raise FloatingPointError(
                    f"{bad.sum()} of {count} correlation trajectories became "
                    "non-finite or left the physical range at tau = "
                    f"{self.taulist[k]:g}; try {self.tau_stepping.hint}, or "
                    "set options['faults'] = 'exclude' to drop them")
            out[:, k] = np.where(bad, 0.0, value)
        steps += gsteps.reshape(count, group).sum(axis=1)
