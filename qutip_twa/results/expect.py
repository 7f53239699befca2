"""Trajectory values of ``EnsembleOperator`` observables.

An observable's Weyl symbol is a sum of products of on-site symbols
(``EnsembleOperator.factored_terms``).  On-site sums are one matrix-vector
product over ensembles; pair sums such as <L_F^+ L_F> or the structure
factor, with up to M^2 terms, are a quadratic form evaluated with matrix
products (after a low-rank factorisation when the coupling matrix has one);
longer products are summed term by term.
"""

import numpy as np

from .symbols import evaluate, word_symbol

__all__ = ["Observable", "e_ops_dict"]

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


class Observable:
    """Evaluates the Weyl symbol of an ``EnsembleOperator`` on trajectories."""

    def __init__(self, op):
        self.M = op.ensembles.M
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

    def __call__(self, variables, cache=None):
        """Values per trajectory; ``variables`` has shape (ntraj, 4 M).

        ``cache`` (a dict, word -> on-site symbol values) can be shared by
        the observables evaluated on the same ``variables``.
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
