"""e_ops on trajectories: ``ExpectOps`` and ``Observable``.

``ExpectOps`` holds a run's e_ops, keyed as mesolve keys them, and gives
their values on a batch of trajectories at one output time.  An
observable's Weyl symbol is a sum of products of on-site symbols
(``EnsembleOperator.factored_terms``).  On-site sums are one matrix-vector
product over ensembles; pair sums such as <L_F^+ L_F> or the structure
factor, with up to M^2 terms, are a quadratic form evaluated with matrix
products (after a low-rank factorisation when the coupling matrix has one);
longer products are summed term by term.
"""

import numpy as np

from ..operators import EnsembleOperator
from ..operators.symbols import evaluate, word_symbol

__all__ = ["ExpectOps", "Observable", "e_ops_dict"]

_LOW_RANK_MIN_M = 16     # try a low-rank factorisation from this size up
_RANK_RTOL = 1e-13       # singular values below this (relative) are zero
_ROWS_PER_CHUNK = 4096   # rows of 3- and 4-ensemble products per pass


def e_ops_dict(e_ops):
    """``e_ops`` as mesolve keys them: dict keys, list indices, or 0."""
    if e_ops is None:
        return {}
    if isinstance(e_ops, dict):
        return dict(e_ops)
    if isinstance(e_ops, (list, tuple)):
        return dict(enumerate(e_ops))
    return {0: e_ops}


class ExpectOps:
    """The e_ops of a run, ready to evaluate on trajectories.

    Parameters
    ----------
    items : dict
        ``{key: EnsembleOperator, callable f(t, sample) or list of
        (EnsembleOperator, coefficient or None)}`` (see ``translate_e_ops``;
        a list is a time-dependent sum); callables return one value per
        trajectory.

    Attributes
    ----------
    keys : list
    hermitian : list of bool
        True where the operator is Hermitian (real averages).
    """

    def __init__(self, items):
        self.keys = list(items)
        self._evaluators = [
            Observable(op) if isinstance(op, EnsembleOperator)
            else _TimeDependent(op) if isinstance(op, list)
            else _Callable(op, k) for k, op in items.items()]
        self.hermitian = [isinstance(op, EnsembleOperator) and op.isherm
                          for op in items.values()]

    def __len__(self):
        return len(self.keys)

    def values(self, t, sample, variables, out):
        """Fill ``out[k]`` (one row per e_op) with the values at time t.

        ``sample`` is the batch's ``PhaseSpaceSample`` and ``variables`` its
        phase-space variables (ntraj, 4 M); observables share the on-site
        symbol values they have in common.
        """
        shared = {}
        for k, evaluator in enumerate(self._evaluators):
            out[k] = evaluator(t, sample, variables, shared)


class _Callable:
    """A user's f(t, sample), checked to give one value per trajectory."""

    def __init__(self, f, key):
        self.f, self.key = f, key

    def __call__(self, t, sample, variables, shared):
        try:
            out = np.asarray(self.f(t, sample))
        except Exception as err:
            raise TypeError(
                f"e_ops[{self.key!r}] raised {type(err).__name__} ({err}) "
                "when called as f(t, sample): twasolve calls a callable "
                "e_op with a PhaseSpaceSample (arrays Sx, Sy, Sz, J, a, b "
                "over trajectories), not with a state as mesolve does; give "
                "an operator, or a function of the sample") from err
        if out.shape != (len(sample),):
            raise ValueError(f"e_ops callable {self.key!r} must return one "
                             "value per trajectory (shape "
                             f"({len(sample)},)), got shape {out.shape}")
        if out.dtype.kind not in "biufc":
            raise TypeError(f"e_ops callable {self.key!r} must return "
                            f"numbers, got dtype {out.dtype}")
        return out


class _TimeDependent:
    """sum_k c_k(t) O_k of observables O_k and coefficients (None: 1)."""

    def __init__(self, parts):
        self.parts = [(Observable(op), c) for op, c in parts]

    def __call__(self, t, sample, variables, shared):
        return sum((1.0 if c is None else c(t)) * obs(t, sample, variables,
                                                       shared)
                   for obs, c in self.parts)


class Observable:
    """Evaluates the Weyl symbol of an ``EnsembleOperator`` on trajectories."""

    def __init__(self, op):
        self.M = op.ensembles.sites
        self.constant = 0j
        self.onsite = {}      # word -> coefficient vector (M,)
        self.pairs = []       # (word1, word2, left, right): A = left right^T
        self.products = []    # (words, idx, coef)
        for words, idx, coef in op.factored_terms():
            if not words:
                self.constant += complex(coef.sum())
            elif len(words) == 1:
                vec = self.onsite.setdefault(words[0], np.zeros(self.M,
                                                                complex))
                np.add.at(vec, idx[:, 0], coef)
            elif len(words) == 2:
                A = np.zeros((self.M, self.M), complex)
                np.add.at(A, (idx[:, 0], idx[:, 1]), coef)
                self.pairs.append((words[0], words[1], *_factor(A)))
            else:
                self.products.append((words, idx, coef))

    def __call__(self, t, sample, variables, cache=None):
        """Values per trajectory; ``variables`` has shape (ntraj, 4 M).

        ``cache`` (a dict, word -> on-site symbol values) can be shared by
        the observables evaluated on the same ``variables``; ``t`` and
        ``sample`` are not used (the signature of all evaluators).
        """
        v = variables.reshape(variables.shape[0], self.M, 4)
        cache = {} if cache is None else cache

        def onsite(word):
            if word not in cache:
                cache[word] = evaluate(word_symbol(word), v)
            return cache[word]

        out = np.full(v.shape[0], self.constant, dtype=complex)
        for word, vec in self.onsite.items():
            used = np.flatnonzero(vec)
            if word in cache or len(used) > self.M // 4:
                out += onsite(word) @ vec
            else:  # a few sites: evaluate the symbol there only
                out += evaluate(word_symbol(word), v[:, used]) @ vec[used]
        for w1, w2, left, right in self.pairs:
            f2 = onsite(w2) if right is None else onsite(w2) @ right
            out += np.sum((onsite(w1) @ left) * f2, axis=1)
        for words, idx, coef in self.products:
            for lo in range(0, len(coef), _ROWS_PER_CHUNK):
                sl = slice(lo, lo + _ROWS_PER_CHUNK)
                term = np.ones((v.shape[0], len(coef[sl])), complex)
                for b, word in enumerate(words):
                    term *= onsite(word)[:, idx[sl, b]]
                out += term @ coef[sl]
        return out


def _factor(A):
    """(left, right) with A = left @ right.T (right None: identity)."""
    M = A.shape[0]
    if M >= _LOW_RANK_MIN_M:
        u, s, vh = np.linalg.svd(A)
        rank = int(np.sum(s > _RANK_RTOL * max(s[0], 1e-300)))
        if rank < M // 4:
            return u[:, :rank] * s[:rank], vh[:rank].T
    return A, None
