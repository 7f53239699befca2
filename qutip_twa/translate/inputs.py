"""Every user input, translated into operators on one ``Ensembles``.

``translate_system`` turns H (a ``piqs.Dicke``, a Liouvillian, Dicke-basis,
spin-j or tensor-product ``Qobj``s, ``EnsembleOperator``s, time-dependent
lists), c_ops and the local rates into a ``System``; ``translate_state``
and ``translate_e_ops`` do the same for rho0 and e_ops, on the
``Ensembles`` that ``spaces.find_ensembles`` read off the inputs.  One
ensemble is the case M = 1: there is no separate path for it.
"""

from dataclasses import dataclass
import numpy as np
import qutip
from qutip import Qobj, QobjEvo, piqs

from ..checks import check_rate, check_rates
from ..canonical import canonical
from ..engine.contract import LOCAL_PROCESSES
from ..operators import EnsembleOperator, Ensembles, ProductState
from ..operators.states import identify_initial_state, identify_mode_state
from ..results.expect import e_ops_dict
from .collective import dicke_operator, tensor_operator
from .factors import default_factors
from .liouvillian import decompose_liouvillian
from .tensor_liouvillian import decompose_tensor_liouvillian

__all__ = ["System", "as_operator", "translate_system", "translate_state",
           "translate_e_ops"]

# PIQS collective rates and the letter of their jump operator
_COLLECTIVE = {"collective_emission": "-", "collective_pumping": "+",
               "collective_dephasing": "z"}
_LETTER_OPERATOR = {"-": Ensembles.jm, "+": Ensembles.jp, "z": Ensembles.jz}
_ONE_ENSEMBLE = ("a piqs.Dicke object, or a superoperator on one Dicke "
                 "basis, describes one ensemble; for several give H as an "
                 "EnsembleOperator (from Ensembles) or a Qobj on the tensor "
                 "product, collective c_ops and local rates, or one "
                 "superoperator on the tensor product")


@dataclass
class System:
    """H, jumps and local rates as operators on one ``Ensembles``.

    Attributes
    ----------
    ensembles : Ensembles
    hamiltonian : list of (EnsembleOperator, Coefficient or None)
        Hermitian parts of H, constant (None) or with a time coefficient.
    jumps : list of EnsembleOperator
        Collective jumps, linear in J+, Jz, J- (a constant part is allowed),
        one noise each, in the order given.
    local_rates : float array (M, 3)
        Rates per ensemble, columns in ``LOCAL_PROCESSES`` order.
    """

    ensembles: Ensembles
    hamiltonian: list
    jumps: list
    local_rates: np.ndarray


# -- operators ---------------------------------------------------------------

def as_operator(x, ens, name, max_degree=4, spin=False):
    """An ``EnsembleOperator`` or operator ``Qobj`` as an operator on ens
    (``spin``: one-space Qobjs are spin-j operators; for several ensembles,
    that reading per tensor factor)."""
    if isinstance(x, EnsembleOperator):
        op = x
    elif isinstance(x, Qobj) and not x.issuper:
        op = dicke_operator(x, ens, name, max_degree, spin) \
            if ens.sites == 1 and len(x.dims[0]) == 1 \
            else tensor_operator(x, ens, name, max_degree, _per_factor(spin))
    elif isinstance(x, Qobj):
        raise TypeError(f"{name}: superoperators are not supported for "
                        "several ensembles; give H, collective c_ops and "
                        "local rates")
    else:
        raise TypeError(f"{name} must be an EnsembleOperator (from "
                        f"Ensembles) or a Qobj, got {type(x).__name__}")
    if op.degree > max_degree:
        raise ValueError(f"{name} has degree {op.degree}; at most "
                         f"{max_degree} factors J+, Jz, J- are supported")
    return op


class _Translation:
    """Collects H parts, jumps and rates while the inputs are read."""

    def __init__(self, ens, rates, args, spin):
        self.ens, self.args, self.spin = ens, args or {}, spin
        self.rates = {p: check_rates(p, rates.get(p, 0.0), ens.M)
                      for p in LOCAL_PROCESSES}
        self.keywords = {p for p in LOCAL_PROCESSES if np.any(self.rates[p])}
        self.hamiltonian, self.jumps = [], []

    def system(self):
        return System(self.ens, self.hamiltonian, self.jumps, np.stack(
            [self.rates[p] for p in LOCAL_PROCESSES], axis=1))

    def add_hamiltonian(self, op, name, coefficient=None):
        op = as_operator(op, self.ens, name, spin=self.spin)
        if coefficient is None and not op.isherm:
            raise ValueError(f"{name} is not Hermitian; {name} must be "
                             "Hermitian")
        if isinstance(coefficient, np.ndarray):
            raise ValueError(f"{name}: an array coefficient needs its times; "
                             "give qutip.coefficient(array, tlist=times)")
        if coefficient is not None:
            coefficient = _coefficient(coefficient, self.args, name)
        self.hamiltonian.append((op, coefficient))

    def add_rates(self, found, source):
        """Local rates and collective jumps of a Dicke object/Liouvillian.

        Several of these add up, as in mesolve; a rate also given as a
        keyword argument is refused (it would count twice).
        """
        for name in LOCAL_PROCESSES:
            if found[name] and name in self.keywords:
                raise ValueError(
                    f"the local rate {name!r} is given both by {source} and "
                    "by the keyword argument; give it once")
            self.rates[name] = np.array([canonical(r + found[name])
                                         for r in self.rates[name]])
        for name, letter in _COLLECTIVE.items():
            if found[name]:
                root = canonical(np.sqrt(canonical(found[name])))
                self.jumps.append(root * _LETTER_OPERATOR[letter](self.ens))

    def add_superoperator(self, L, name, source):
        if self.ens.sites != 1:
            self.add_tensor_superoperator(L, name, source)
            return
        op, found, jumps = decompose_liouvillian(L, name=name)
        self.add_rates(found, source)
        e = self.ens
        for cm, cp, cz in jumps:
            self.jumps.append(cm * e.jm(0) + cp * e.jp(0) + cz * e.jz(0))
        if op is not None:
            self.add_hamiltonian(op, name)

    def add_tensor_superoperator(self, L, name, source):
        """A Liouvillian on the tensor product of the ensembles' bases."""
        if len(L.dims[0][0]) != self.ens.sites:
            raise TypeError(f"{name}: {_ONE_ENSEMBLE}")
        H, rates, jumps = decompose_tensor_liouvillian(
            L, self.ens, name, _per_factor(self.spin))
        for process in LOCAL_PROCESSES:
            if np.any(rates[process]) and process in self.keywords:
                raise ValueError(
                    f"the local rate {process!r} is given both by {source} "
                    "and by the keyword argument; give it once")
            self.rates[process] = np.array([
                canonical(a + b)
                for a, b in zip(self.rates[process], rates[process])])
        self.jumps.extend(jumps)
        if H.num_terms:
            self.hamiltonian.append((H, None))

    def add_dicke(self, system):
        if self.ens.sites != 1:
            raise TypeError(f"H: {_ONE_ENSEMBLE}")
        self.add_rates({k: check_rate(f"H.{k}", getattr(system, k))
                        for k in LOCAL_PROCESSES + tuple(_COLLECTIVE)},
                       "the Dicke object H")
        if system.hamiltonian is not None:
            self.add_hamiltonian(system.hamiltonian, "H.hamiltonian")

    def add_part(self, part, name):
        """One element of a list H: an operator or [operator, coefficient]."""
        op, coefficient = part if isinstance(part, (list, tuple)) \
            else (part, None)
        if isinstance(op, Qobj) and op.issuper:
            if coefficient is not None:
                raise ValueError(f"{name}: time-dependent superoperators are "
                                 "not supported; give a time-dependent "
                                 "Hamiltonian and constant c_ops")
            self.add_superoperator(op, name, f"the Liouvillian {name}")
        else:
            self.add_hamiltonian(op, name, coefficient)

    def add_jump(self, c, name):
        if isinstance(c, Qobj) and c.issuper:
            self.add_superoperator(c, name, name)
        elif isinstance(c, (Qobj, EnsembleOperator)):
            self.jumps.append(as_operator(c, self.ens, name, max_degree=1,
                                          spin=self.spin))
        else:
            raise TypeError(f"{name} must be a constant Qobj (collective "
                            "jump or Lindbladian) or an EnsembleOperator, "
                            f"got {type(c).__name__}")


def _coefficient(c, args, name):
    """A qutip Coefficient of ``c``, evaluated once to surface errors."""
    try:
        coefficient = qutip.coefficient(c, args=args)
        complex(coefficient(0.0))
    except Exception as err:  # qutip raises bare Exceptions here
        raise ValueError(f"{name}: the time coefficient {c!r} cannot be "
                         f"built or evaluated with args {args!r} "
                         f"({type(err).__name__}: {err})") from err
    return coefficient


def translate_system(H, c_ops, ens, rates=None, args=None, spin=False):
    """H, c_ops and local rates (dict of keyword values) as a ``System``
    (``spin``: one-space Qobjs are spin-j operators)."""
    t = _Translation(ens, rates or {}, args, spin)
    if isinstance(H, piqs.Dicke):
        t.add_dicke(H)
    elif isinstance(H, Qobj) and H.issuper:
        t.add_superoperator(H, "H", "the Liouvillian H")
    elif isinstance(H, (Qobj, EnsembleOperator)):
        t.add_hamiltonian(H, "H")
    elif isinstance(H, (QobjEvo, list, tuple)):
        parts = H.to_list() if isinstance(H, QobjEvo) else H
        for i, part in enumerate(parts):
            t.add_part(part, f"H[{i}]")
    else:
        raise TypeError(
            "H must be a qutip.piqs.Dicke, a Liouvillian or Hamiltonian Qobj "
            "in the PIQS Dicke basis, an EnsembleOperator, a QobjEvo or a "
            f"mesolve list; got {type(H).__name__}")
    if isinstance(c_ops, (Qobj, EnsembleOperator)):
        c_ops = [c_ops]
    for k, c in enumerate(c_ops or []):
        t.add_jump(c, f"c_ops[{k}]")
    return t.system()


# -- states and observables --------------------------------------------------

def translate_state(rho0, ens, spin=False):
    """The ``ProductState`` to sample from ``rho0`` (``spin``: a one-space
    Qobj is a state of spin j = N/2, e.g. ``qutip.spin_coherent``)."""
    if isinstance(rho0, ProductState):
        return rho0
    if isinstance(rho0, Qobj):
        if len(rho0.dims[0]) == 1 and ens.sites == 1:
            return ProductState(ens, [identify_initial_state(
                rho0, int(ens.N[0]), spin)])
        if len(rho0.dims[0]) == ens.sites:
            return _product_of_qobj(rho0, ens,
                                    _per_factor(spin) or default_factors(ens))
    raise TypeError(
        "rho0 must be a Qobj in the PIQS Dicke basis (for several ensembles "
        "a product of such states on their tensor product) or a "
        "ProductState (Ensembles.ground(), excited(), css(), dicke(), "
        f"product()), got {type(rho0).__name__}")


def _per_factor(spin):
    """The ``Factor``s of a tensor product (None: every factor a Dicke
    basis)."""
    return spin if isinstance(spin, tuple) else None


def _product_of_qobj(rho0, ens, factors):
    if factors is None or [f.dim for f in factors] != list(rho0.dims[0]):
        raise ValueError(f"rho0 has dims {rho0.dims[0]}, which are not the "
                         f"spaces of {ens!r}")
    rho = rho0.proj() if rho0.isket else rho0
    parts = [rho.ptrace(m) for m in range(len(factors))]
    diff = (rho - qutip.tensor(parts)).norm()
    if diff > 1e-8:
        raise ValueError(f"rho0 is not a product of one state per ensemble "
                         f"and mode (distance {diff:.2e} to the product of "
                         "its partial traces); TWA samples product states")
    by_site = sorted(zip(factors, parts), key=lambda x: x[0].site)
    states = [identify_initial_state(q, f.N, f.kind == "spin")
              for f, q in by_site if f.kind != "fock"]
    modes = [identify_mode_state(q) for f, q in by_site if f.kind == "fock"]
    return ProductState(ens, states, modes)


def translate_e_ops(e_ops, ens, spin=False):
    """``{key: EnsembleOperator, callable f(t, sample) or list of
    (EnsembleOperator, Coefficient)}`` of ``e_ops`` (the list for a
    time-dependent ``QobjEvo``)."""
    out = {}
    for k, op in e_ops_dict(e_ops).items():
        name = f"e_ops[{k!r}]"
        if isinstance(op, QobjEvo) and op.isconstant:
            op = op(0)
        if isinstance(op, QobjEvo):
            out[k] = [(as_operator(part, ens, name, spin=spin), None)
                      if isinstance(part, Qobj) else
                      (as_operator(part[0], ens, name, spin=spin), part[1])
                      for part in op.to_list()]
        elif isinstance(op, (Qobj, EnsembleOperator)):
            out[k] = as_operator(op, ens, name, spin=spin)
        elif callable(op):
            out[k] = op
        else:
            raise TypeError(f"{name} must be an EnsembleOperator (from "
                            "Ensembles), a Qobj, a QobjEvo or a callable "
                            f"f(t, sample), got {type(op).__name__}")
    return out
