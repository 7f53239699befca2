"""Which space the inputs act on: the ``Ensembles``, and how to read them.

``find_ensembles`` reads the emitter numbers off all inputs and checks that
they agree.  A one-space ``Qobj`` is in the PIQS Dicke basis or, like
``qutip.jmat(j)``, a spin j = N/2 (N emitters in their symmetric subspace);
where its dimension allows both readings, ``N=``, the other inputs, or the
reading that fits with the lower polynomial degree decides.
"""

import itertools

import numpy as np
from qutip import Qobj, QobjEvo, piqs

from ..operators import EnsembleOperator, Ensembles, ProductState
from ..operators.dicke import infer_num_emitters, num_dicke_states
from .factors import KINDS, default_factors, factors_of
from .inputs import as_operator, translate_state
from .tensor_liouvillian import decompose_tensor_liouvillian

__all__ = ["find_ensembles", "factor_reading"]

_MAX_DEGREE = {"H": 4, "c_ops": 1, "e_ops": 4}


def _items(name, x):
    """(label, item) of an argument that may be a list, dict or QobjEvo."""
    if x is None:
        return []
    if isinstance(x, QobjEvo):
        return [(name, x)]
    if isinstance(x, dict):
        return [(f"{name}[{k!r}]", v) for k, v in x.items()]
    if isinstance(x, (list, tuple)):
        out = []
        for i, item in enumerate(x):
            if isinstance(item, (list, tuple)):  # [op, coefficient]
                item = item[0] if item else None
            out.extend(_items(f"{name}[{i}]", item))
        return out
    return [(name, x)]


def _ensembles_of(label, item, spin=False, factors=None):
    """(Ensembles, kind) an input implies, or None if it implies nothing.

    kind: "one" (a piqs.Dicke or superoperator: one ensemble only),
    "dicke" (a one-space Qobj: PIQS Dicke basis, or with ``spin`` the spin
    j = N/2 of N emitters in their symmetric subspace) or "ops" (anything
    else); ``factors`` is the spin reading of tensor factors.
    """
    if isinstance(item, (EnsembleOperator, ProductState)):
        return item.ensembles, "ops"
    if isinstance(item, piqs.Dicke):
        return Ensembles([int(item.N)]), "one"
    if not isinstance(item, (Qobj, QobjEvo)):
        return None
    dims = _space_dims(item)
    if len(dims) > 1:
        if factors is None or [f.dim for f in factors] != list(dims):
            kinds = [_default_kind(d) for d in dims]
        else:
            kinds = [f.kind for f in factors]
        return factors_of(dims, kinds)[0], "ops"
    if spin and not item.issuper:
        return Ensembles([dims[0] - 1]), "dicke"
    return Ensembles([infer_num_emitters(dims[0], label)]), \
        "one" if item.issuper else "dicke"


def _default_kind(d):
    return "spin" if factor_reading(d)[1] else "dicke"


def factor_reading(d):
    """(N, spin) of a tensor factor of dimension d: the PIQS Dicke basis of
    N emitters where d is a Dicke dimension, else (like ``qutip.jmat``) the
    spin j = (d - 1)/2 of N = d - 1 emitters in their symmetric subspace."""
    if d < 2:
        raise ValueError(f"a tensor factor of dimension {d} holds no "
                         "emitters; each factor must be one ensemble's space")
    try:
        return infer_num_emitters(d), False
    except ValueError:
        return d - 1, True


def _ensembles_of_N(N):
    if isinstance(N, Ensembles):
        return N
    if not isinstance(N, (int, np.integer)) or isinstance(N, bool) or N < 1:
        raise ValueError(f"N must be a positive integer or an Ensembles, "
                         f"got {N!r}")
    return Ensembles([int(N)])


def find_ensembles(H, c_ops=None, e_ops=None, rho0=None, N=None):
    """(Ensembles, spin): the one ``Ensembles`` that all inputs act on, and
    whether their one-space ``Qobj``s are spin-j operators and states
    (``qutip.jmat``, ``spin_coherent``: N = 2j emitters in their symmetric
    subspace) rather than in the PIQS Dicke basis.  For several ensembles
    ``spin`` has that reading per tensor factor (``factor_reading``).

    Raises ValueError, naming the inputs, when they disagree or when a
    dimension reads both ways and the operators cannot tell.
    """
    inputs = (("H", H), ("c_ops", c_ops), ("rho0", rho0), ("e_ops", e_ops))
    spin = _reads_spin(inputs, N)
    factors = _tensor_reading(inputs, N)
    found = [] if N is None else [("N", _ensembles_of_N(N), "N")]
    for name, x in inputs:
        for label, item in _items(name, x):
            got = _ensembles_of(label, item, spin, factors)
            if got is not None:
                found.append((label, *got))
    if not found:
        raise ValueError("cannot infer the number of emitters; pass N=")
    several = [f for f in found if f[1].sites > 1]
    if not several:
        first, ens, _ = found[0]
        for label, other, _ in found[1:]:
            if other != ens:
                raise ValueError(f"{first} implies N = {ens.N[0]} emitters "
                                 f"but {label} implies N = {other.N[0]}")
        return ens, spin
    first, ens, _ = several[0]
    for label, other, kind in found:
        if kind == "dicke":
            raise ValueError(
                f"{first} acts on a tensor product of {ens.M} spaces (read "
                f"as {ens!r}; an operator in piqs' uncoupled basis looks "
                f"like this), but {label} is a single Dicke-basis object of "
                f"dimension {num_dicke_states(other.N[0])}; give every "
                "operator and state in "
                "the PIQS Dicke basis of one ensemble, or all on one tensor "
                "product")
        if kind == "N" and other != ens and not isinstance(N, Ensembles):
            raise ValueError(f"N = {N!r} disagrees with the ensembles of "
                             f"the operators, {ens!r}; omit N or pass that "
                             "Ensembles")
        if kind != "one" and other != ens:
            raise ValueError(f"{first} is defined on {ens!r} but {label} "
                             f"on {other!r}; use one Ensembles for all")
    return ens, factors or default_factors(ens)


def _tensor_reading(inputs, N):
    """The ``Factor``s of the tensor-product Qobjs among ``inputs`` (None
    if there are none): what each factor is (factors.py).

    A factor whose dimension is not a PIQS Dicke dimension is a spin
    j = (d - 1)/2 (``qutip.jmat``).  One whose dimension d > 2 is both
    (6: N = 3 in the Dicke basis, or j = 5/2) is read as the reading under
    which every tensor-product operator, superoperator and state fits with
    the lowest total degree (a PIQS Jz is Jz, a jmat Jz read in a Dicke
    basis is Jz plus a function of J^2); on a tie, the Dicke basis.  Where
    no such reading fits, factors are tried as Fock spaces of cavity modes
    (``qutip.destroy``: the PIQS open-Dicke tutorial's
    ``tensor(a + a.dag(), jx)``), fewest first.  ``N`` (an ``Ensembles``)
    keeps only the readings that give it.  If none fits, the Dicke reading
    (which then reports what does not fit).
    """
    items = [(name, label, item) for name, x in inputs
             for label, item in _items(name, x)
             if isinstance(item, (Qobj, QobjEvo))
             and len(_space_dims(item)) > 1]
    if not items:
        return None
    dims = list(_space_dims(items[0][2]))
    kinds = tuple(_default_kind(d) for d in dims)
    ambiguous = [m for m, d in enumerate(dims) if d > 2 and kinds[m] ==
                 "dicke"]
    items = [x for x in items if list(_space_dims(x[2])) == dims]
    operators = [x for x in items if x[0] != "rho0"]
    for fitted in (items, operators):   # a bad rho0 is reported as such
        found = _best_reading(fitted, dims, kinds, ambiguous, N)
        if found is not None:
            return found
    if isinstance(N, Ensembles):  # the model's reading, to report the misfit
        for trial in itertools.product(KINDS, repeat=len(dims)):
            try:
                ens, factors = factors_of(dims, trial)
            except ValueError:
                continue
            if ens == N:
                return factors
    return factors_of(dims, kinds)[1]


def _best_reading(items, dims, kinds, ambiguous, N):
    """The lowest-degree reading of ``items`` for ``_tensor_reading``,
    with the fewest Fock factors; None if none fits."""
    for n_fock in range(len(dims) if items else 0):
        best, best_degree = None, None
        for fock in itertools.combinations(range(len(dims)), n_fock):
            rest = [m for m in ambiguous if m not in fock]
            for k in range(len(rest) + 1):
                for spins in itertools.combinations(rest, k):
                    trial = tuple("fock" if m in fock else
                                  "spin" if m in spins else kind
                                  for m, kind in enumerate(kinds))
                    ens, factors = factors_of(dims, trial)
                    if isinstance(N, Ensembles) and ens != N:
                        continue
                    degree = _degree(items, ens, factors)
                    if degree is not None and (best_degree is None
                                               or degree < best_degree):
                        best, best_degree = factors, degree
        if best is not None:
            return best
    return None


def _space_dims(item):
    return item.dims[0][0] if item.issuper else item.dims[0]


def _degree(items, ens, spin):
    """Summed polynomial degree of the inputs ``items`` ((name, label,
    Qobj)) read on ``ens`` with the reading ``spin`` (a bool for one space,
    ``Factor``s for a tensor product), or None if one does not fit it.  The reading that needs the lower degree is the natural
    one (a PIQS Jz is Jz, not a cubic in a spin's Jz)."""
    total = 0
    try:
        for name, label, item in sorted(items, key=lambda x: x[2].issuper):
            if item.issuper:
                H, _, jumps = decompose_tensor_liouvillian(item, ens, label,
                                                           spin)
                total += H.degree + sum(j.degree for j in jumps)
            elif name == "rho0":
                translate_state(item, ens, spin)
            else:
                for part in (item.to_list() if isinstance(item, QobjEvo)
                             else [item]):
                    total += as_operator(
                        part if isinstance(part, Qobj) else part[0], ens,
                        label, _MAX_DEGREE[name], spin).degree
    except ValueError:
        return None
    return total


def _reads_spin(inputs, N):
    """Whether the one-space Qobjs of ``inputs`` are spin-j objects.

    A space of dimension d is spin j = (d - 1)/2 (N = d - 1 emitters in
    their symmetric subspace) unless d is a PIQS Dicke dimension; when it is
    both (d = 4: N = 2 in the Dicke basis or j = 3/2), ``N``, a piqs.Dicke
    or a superoperator (Dicke basis), the ensembles of other inputs, or
    which reading identifies every operator and state decide; ValueError
    when both do.
    """
    spaces, given = [], set()
    for name, x in inputs:
        for label, item in _items(name, x):
            if isinstance(item, (piqs.Dicke, EnsembleOperator, ProductState)):
                given.add(int(item.N) if isinstance(item, piqs.Dicke) else
                          (-1 if item.ensembles.sites > 1
                           else int(item.ensembles.N[0])))
            elif isinstance(item, (Qobj, QobjEvo)):
                if item.issuper or len(item.dims[0]) > 1:
                    return False
                spaces.append((name, label, item))
    if isinstance(N, Ensembles):
        given.add(int(N.N[0]) if N.sites == 1 else -1)
    elif N is not None:
        given.add(N)
    dims = {item.dims[0][0] for _, _, item in spaces}
    if len(dims) != 1 or len(given) > 1 or dims == {2}:
        return False  # nothing to read, a mismatch to report, or N = 1
    d = dims.pop()
    try:
        n_dicke = infer_num_emitters(d)
    except ValueError:
        return True
    if given:
        return given.pop() == d - 1
    if not any(name != "rho0" for name, _, _ in spaces):
        return False  # no operator to read: the PIQS Dicke basis
    dicke, spin = (_degree(spaces, Ensembles([n]), s)
                   for n, s in ((n_dicke, False), (d - 1, True)))
    if dicke == spin == 0:
        return False  # constants only: nothing to read, the Dicke basis
    if dicke is not None and dicke == spin:
        raise ValueError(
            f"the operators and states have dimension {d}, which is both the "
            f"PIQS Dicke basis of N = {n_dicke} emitters and the spin j = "
            f"{(d - 1) / 2:g} of N = {d - 1} emitters in their symmetric "
            f"subspace (qutip.jmat), and both readings fit them equally "
            f"well; pass N={n_dicke} or N={d - 1}, or build the model with "
            "Ensembles")
    if dicke is None:  # neither: the Dicke reading reports what is wrong
        return spin is not None
    return spin is not None and spin < dicke
