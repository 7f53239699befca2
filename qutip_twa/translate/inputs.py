"""The composite front end: M ensembles described by ``Ensembles`` operators.

Turns H, c_ops, local rates, rho0 and e_ops given as ``EnsembleOperator``s,
``ProductState``s or tensor-product ``Qobj``s into a ``Model``, a
``ProductState`` and observable evaluators.
"""

import numpy as np
import qutip
from qutip import Qobj

from .dicke import infer_num_emitters
from .checks import check_rate, per_ensemble
from .identify import canonical_array, tensor_operator
from .model import Model
from .observables import Observable, e_ops_dict
from .operators import EnsembleOperator, Ensembles
from .separable import lower_generators
from .states import ProductState, identify_initial_state

__all__ = ["find_ensembles", "build_composite"]

# Largest number of coupled variables kept in the dense exchange matrix;
# beyond it, couplings stay sparse monomials (cost per pair, not per n^2).
MAX_DENSE_EXCHANGE = 3000
# symbols of J+, J-, Jz on the variables (Sx, Sy, Sz): S+ = Sx + i Sy, ...
_LETTER_VECTOR = {"+": np.array([1.0, 1j, 0.0]),
                  "-": np.array([1.0, -1j, 0.0]),
                  "z": np.array([0.0, 0.0, 1.0])}


def _items(x):
    if x is None:
        return []
    if isinstance(x, dict):
        return list(x.values())
    if isinstance(x, (list, tuple)):
        out = []
        for item in x:
            out.extend(_items(item) if isinstance(item, (list, tuple))
                       else [item])
        return out
    return [x]


def find_ensembles(H, c_ops, e_ops, rho0, N):
    """The ``Ensembles`` of a composite problem, or None for one ensemble.

    A problem is composite when any input is an ``EnsembleOperator``, a
    ``ProductState`` or a ``Qobj`` on a tensor product of Dicke bases, or
    when ``N`` is an ``Ensembles``.
    """
    found, single = [], []
    if isinstance(N, Ensembles):
        found.append(("N", N))
    for name, x in (("H", H), ("c_ops", c_ops), ("e_ops", e_ops),
                    ("rho0", rho0)):
        for item in _items(x):
            if isinstance(item, (EnsembleOperator, ProductState)):
                found.append((name, item.ensembles))
            elif isinstance(item, Qobj) and not item.issuper:
                if len(item.dims[0]) > 1:
                    found.append((name, _ensembles_of_dims(item, name)))
                else:
                    single.append((name, item.shape[0]))
    if not found:
        return None
    tensors = [(n, e) for n, e in found if e.M > 1]
    if tensors and single:
        (name, ens), (other, dim) = tensors[0], single[0]
        raise ValueError(
            f"{name} acts on a tensor product of {ens.M} spaces (read as "
            f"{ens!r}; an operator in piqs' uncoupled basis looks like "
            f"this), but {other} is a single Dicke-basis object of "
            f"dimension {dim}; give every operator and state in the PIQS "
            "Dicke basis of one ensemble, or all on one tensor product")
    first_name, ens = found[0]
    for name, other in found[1:]:
        if other != ens:
            raise ValueError(f"{first_name} is defined on {ens!r} but {name} "
                             f"on {other!r}; use one Ensembles for all")
    return ens


def _ensembles_of_dims(op, name):
    return Ensembles([infer_num_emitters(d, f"{name} (subsystem {k})")
                      for k, d in enumerate(op.dims[0])])


def _as_operator(x, ens, name, max_degree=4):
    if isinstance(x, EnsembleOperator):
        op = x
    elif isinstance(x, Qobj):
        if x.issuper:
            raise TypeError(f"{name}: superoperators are not supported for "
                            "several ensembles; give H, collective c_ops and "
                            "local rates")
        op = tensor_operator(x, ens, name, max_degree)
    else:
        raise TypeError(f"{name} must be an EnsembleOperator (from "
                        f"Ensembles) or a Qobj, got {type(x).__name__}")
    if op.degree > max_degree:
        raise ValueError(f"{name} has degree {op.degree}; at most "
                         f"{max_degree} factors J+, Jz, J- are supported")
    return op


def _rates(value, M, name):
    arr = np.asarray(value)
    if np.iscomplexobj(arr) or arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real rate or a vector of M = {M} "
                        f"real rates, got {value!r}")
    return np.array([check_rate(name, v)
                     for v in per_ensemble(arr, M, name)])


def build_composite(ens, H, c_ops, rates, args, tlist):
    """The engine ``Model`` of a composite problem."""
    M = ens.M
    local = np.stack([_rates(rates[k], M, k)
                      for k in ("emission", "pumping", "dephasing")], axis=1)
    hamiltonian = []            # (EnsembleOperator, coefficient or None)
    for k, part in enumerate(_hamiltonian_parts(H)):
        op, coeff = part if isinstance(part, (list, tuple)) else (part, None)
        name = f"H[{k}]" if isinstance(H, (list, tuple)) else "H"
        op = _as_operator(op, ens, name)
        if coeff is not None:
            coeff = qutip.coefficient(coeff, args=args or {}, tlist=tlist)
        hamiltonian.append((op, coeff))
    rows = []
    for k, c in enumerate(_items(c_ops)):
        op = _as_operator(c, ens, f"c_ops[{k}]", max_degree=1)
        c0, cm, cp, cz = op.linear_coefficients()
        rows.append(np.stack([cm, cp, cz], axis=1))
        if c0:  # D[L + c0] = D[L] - i[(i/2)(c0* L - c0 L^+), .]
            lin = op - c0
            hamiltonian.append(
                (0.5j * (np.conj(c0) * lin - c0 * lin.dag()), None))
    constant = sum((op for op, c in hamiltonian if c is None),
                   start=0.0 * ens.identity())
    separable, exchange_var, exchange_mat, rest = _split_couplings(constant,
                                                                   ens)
    model = Model(
        n_emitters=ens.N.astype(float), local_rates=local,
        jumps=np.array(rows, dtype=complex).reshape(-1, M, 3),
        hamiltonian=[(rest.symbol(), None)]
        + [(op.symbol(), c) for op, c in hamiltonian if c is not None],
        exchange_var=exchange_var, exchange_mat=exchange_mat,
        separable=separable)
    model.check_hermitian(tlist)
    return model


def _hamiltonian_parts(H):
    if isinstance(H, (list, tuple)):
        return list(H)
    if isinstance(H, qutip.QobjEvo):
        return H.to_list()
    return [H]


def _split_couplings(op, ens):
    """Split constant couplings of distinct ensembles off an operator.

    Exchange terms S+_m S-_m' whose matrix is semiseparable go to running
    sums (separable.py); other two-ensemble products of J+, Jz, J- to a dense
    matrix over the coupled variables (engine.py); the rest stays symbolic.

    Returns (separable or None, exchange_var, exchange_mat, rest).
    """
    pairs, rest = [], {}
    for w, (idx, c) in sorted(op.terms.items()):
        cross = (idx[:, 0] != idx[:, 1]) if len(w) == 2 else \
            np.zeros(len(c), bool)
        if cross.any():
            pairs.append((w, idx[cross], c[cross]))
        if (~cross).any():
            rest[w] = (idx[~cross], c[~cross])
    rest = EnsembleOperator(ens, rest)
    separable, pairs = _separable_exchange(pairs, ens.M)
    if not pairs:
        return separable, np.zeros(0, np.int64), np.zeros((0, 0)), rest
    triples = []
    for w, idx, c in pairs:
        u, v = _LETTER_VECTOR[w[0]], _LETTER_VECTOR[w[1]]
        for k in range(3):
            for l in range(3):
                if u[k] * v[l]:
                    triples.append((4 * idx[:, 0] + k, 4 * idx[:, 1] + l,
                                    c * u[k] * v[l]))
    rows = np.concatenate([t[0] for t in triples])
    cols = np.concatenate([t[1] for t in triples])
    used, inverse = np.unique(np.concatenate([rows, cols]),
                              return_inverse=True)
    if len(used) > MAX_DENSE_EXCHANGE:  # keep them as sparse monomials
        for w, idx, c in pairs:
            rest = rest + EnsembleOperator(ens, {w: (idx, c)})
        return separable, np.zeros(0, np.int64), np.zeros((0, 0)), rest
    n = len(rows)
    B = np.zeros((len(used), len(used)), dtype=complex)
    np.add.at(B, (inverse[:n], inverse[n:]),
              np.concatenate([t[2] for t in triples]))
    G = B + B.T
    scale = max(np.abs(G).max(), 1e-300)
    if np.abs(G.imag).max() > 1e-9 * scale:
        raise ValueError("H is not Hermitian: its couplings between "
                         "ensembles have an imaginary Weyl symbol "
                         f"(relative size {np.abs(G.imag).max() / scale:.2e})")
    return separable, used.astype(np.int64), canonical_array(G.real), rest


def _separable_exchange(pairs, M):
    """Generators of the S+_m S-_m' pairs if semiseparable; other pairs."""
    A = np.zeros((M, M), complex)
    others = []
    for w, idx, c in pairs:
        if w == "+-":
            np.add.at(A, (idx[:, 0], idx[:, 1]), c)
        elif w == "-+":
            np.add.at(A, (idx[:, 1], idx[:, 0]), c)
        else:
            others.append((w, idx, c))
    scale = np.abs(A).max(initial=0.0)
    if scale == 0 or np.abs(A - A.conj().T).max() > 1e-12 * scale:
        return None, pairs
    generators = lower_generators(A)
    return (None, pairs) if generators is None else (generators, others)


def composite_state(rho0, ens):
    """The ``ProductState`` to sample from ``rho0``."""
    if isinstance(rho0, ProductState):
        return rho0
    if isinstance(rho0, Qobj):
        if len(rho0.dims[0]) == 1 and ens.M == 1:
            return ProductState(ens, [identify_initial_state(
                rho0, int(ens.N[0]))])
        if len(rho0.dims[0]) == ens.M:
            return _product_of_qobj(rho0, ens)
    raise TypeError(
        f"rho0 must be a ProductState (Ensembles.ground(), excited(), css(), "
        f"dicke(), product()) or a product of PIQS Dicke-basis states on "
        f"{ens!r}, got {type(rho0).__name__}")


def _product_of_qobj(rho0, ens):
    rho = rho0.proj() if rho0.isket else rho0
    parts = [rho.ptrace(m) for m in range(ens.M)]
    diff = (rho - qutip.tensor(parts)).norm()
    if diff > 1e-8:
        raise ValueError(f"rho0 is not a product of one state per ensemble "
                         f"(distance {diff:.2e} to the product of its "
                         "partial traces); TWA samples product states")
    return ProductState.from_qobjs(ens, parts)


def composite_observables(e_ops, ens):
    """(keys, evaluators, hermitian) of composite ``e_ops``."""
    items = e_ops_dict(e_ops)
    evaluators, hermitian = [], []
    for k, op in items.items():
        name = f"e_ops[{k!r}]"
        if callable(op) and not isinstance(op, (Qobj, EnsembleOperator)):
            evaluators.append(op)
            hermitian.append(False)
            continue
        op = _as_operator(op, ens, name)
        evaluators.append(Observable(op))
        hermitian.append(_is_hermitian(op))
    return list(items), evaluators, hermitian


def _is_hermitian(op):
    diff = op - op.dag()
    return all(np.all(np.abs(c) < 1e-12) for _, c in diff.terms.values())

