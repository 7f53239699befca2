"""Bad composite input raises a clear, specific exception."""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import Ensembles, models, twasolve
from qutip_twa.exact import pair_solve, uniform_chain_emission

ENS = Ensembles([3, 2])
OK = dict(H=0.5 * (ENS.jp(0) * ENS.jm(1) + ENS.jp(1) * ENS.jm(0)),
          rho0=ENS.ground(), tlist=[0.0, 0.1], c_ops=[ENS.lowering(1.0)],
          e_ops=[ENS.jz(0)])


def _entangled():
    bell = (qutip.tensor(qutip.basis(6, 0), qutip.basis(4, 0))
            + qutip.tensor(qutip.basis(6, 1), qutip.basis(4, 1))).unit()
    return bell.proj()


BUILD_CASES = [
    ("N zero", lambda: Ensembles(0), ValueError, "positive integer"),
    ("N negative", lambda: Ensembles([2, -1]), ValueError, "positive"),
    ("N fractional", lambda: Ensembles(2.5), ValueError, "positive integer"),
    ("M zero", lambda: Ensembles(3, M=0), ValueError, "M must be"),
    ("M with list", lambda: Ensembles([3], M=2), ValueError, "give M only"),
    ("index", lambda: ENS.jp(5), ValueError, "ensemble index"),
    ("vector length", lambda: ENS.lowering([1, 2, 3]), ValueError,
     "length M = 2"),
    ("exchange shape", lambda: ENS.exchange(np.ones((3, 3))), ValueError,
     "2 x 2"),
    ("mixed ensembles", lambda: ENS.jz(0) + Ensembles(3).jz(), ValueError,
     "different ensembles"),
    ("power", lambda: ENS.jz(0) ** -1, ValueError, "integer >= 0"),
    ("dicke label", lambda: ENS.dicke(2.0, 0.0), ValueError,
     "no Dicke state"),
    ("css angle", lambda: ENS.css(np.nan), ValueError, "theta"),
    ("product count", lambda: ENS.product([piqs.ground(3)]), ValueError,
     "list of 2"),
    ("to_qobj size", lambda: Ensembles(200, M=3).jz(0).to_qobj(), ValueError,
     "dimension"),
]


@pytest.mark.parametrize("name, build, exc, match", BUILD_CASES,
                         ids=[c[0] for c in BUILD_CASES])
def test_builders_reject(name, build, exc, match):
    with pytest.raises(exc, match=match):
        build()


SOLVE_CASES = [
    ("quadratic c_op", dict(c_ops=[ENS.jp(0) * ENS.jm(1)]), ValueError,
     "degree 2"),
    ("degree 5 e_op", dict(e_ops=[ENS.jz(0) ** 5]), ValueError, "degree 5"),
    ("non-Hermitian H", dict(H=ENS.jp(0)), ValueError, "not Hermitian"),
    ("non-Hermitian exchange", dict(H=1j * ENS.jp(0) * ENS.jm(1)),
     ValueError, "not Hermitian"),
    ("rate length", dict(pumping=[1.0, 2.0, 3.0]), ValueError, "length M"),
    ("negative rate", dict(emission=[1.0, -1.0]), ValueError, ">= 0"),
    ("complex rate", dict(dephasing=1j), TypeError, "real rate"),
    ("nan rate", dict(pumping=[np.nan, 0.0]), ValueError, "finite"),
    ("entangled rho0", dict(rho0=qutip.Qobj(
        _entangled().full(), dims=ENS.jz(0).to_qobj().dims)), ValueError,
     "not a product"),
    ("other ensembles", dict(rho0=Ensembles([3, 3]).ground()), ValueError,
     "use one Ensembles"),
    ("N disagrees", dict(N=Ensembles([3, 3])), ValueError, "use one"),
    ("int N", dict(N=5), ValueError, "disagrees"),
    ("Dicke H", dict(H=piqs.Dicke(3, emission=1.0)), TypeError,
     "EnsembleOperator"),
    ("not a Liouvillian c_op", dict(c_ops=[qutip.spre(ENS.jz(0).to_qobj())]),
     ValueError, "not a collective Liouvillian"),
    ("one-ensemble Liouvillian c_op", dict(c_ops=[
        piqs.Dicke(3, emission=1.0).lindbladian()]), TypeError,
     "describes one ensemble"),
    ("rho0 type", dict(rho0="ground"), TypeError, "ProductState"),
    ("not collective", dict(H=qutip.tensor(  # couples j = 3/2 and 1/2
        qutip.basis(6, 0) * qutip.basis(6, 4).dag()
        + qutip.basis(6, 4) * qutip.basis(6, 0).dag(), qutip.qeye(4))),
     ValueError, "not a polynomial"),
    ("e_op type", dict(e_ops=["jz"]), TypeError, "EnsembleOperator"),
]


@pytest.mark.parametrize("name, change, exc, match", SOLVE_CASES,
                         ids=[c[0] for c in SOLVE_CASES])
def test_twasolve_rejects(name, change, exc, match):
    kw = dict(OK, **change)
    with pytest.raises(exc, match=match):
        twasolve(kw.pop("H"), kw.pop("rho0"), kw.pop("tlist"), ntraj=4,
                 **kw)


def _uniform(**kw):
    args = dict(M=2, N=2, gamma=1.0, pumping=1.0, tlist=[0.0, 0.1])
    args.update(kw)
    return uniform_chain_emission(**args)


def _pair(**kw):
    ens = Ensembles([2, 2])
    args = dict(H=ens.jz(0), rho0=ens.ground(), tlist=[0.0, 0.1])
    args.update(kw)
    return pair_solve(**args)


OTHER_CASES = [
    ("N beyond 2^53", lambda: Ensembles([10 ** 19]), ValueError, "at most"),
    ("divide by zero", lambda: ENS.jz(0) / 0, ValueError, "divide"),
    ("complex phi", lambda: models.chain(3, 2, 0.3 + 0j), ValueError, "phi"),
    ("nan momentum", lambda: models.chain(3, 2, 0.3).structure_factor(
        np.nan), ValueError, "p must be"),
    ("pair_solve Qobj H", lambda: _pair(H=piqs.jspin(2, "z")), TypeError,
     "H must be an EnsembleOperator"),
    ("pair_solve rate length", lambda: _pair(emission=[1, 2, 3]),
     ValueError, "emission"),
    ("uniform chain fractional N", lambda: _uniform(N=2.5), ValueError,
     "N must be a positive integer"),
    ("uniform chain M = 0", lambda: _uniform(M=0), ValueError,
     "M must be a positive integer"),
    ("tensor factor of dimension 1", lambda: twasolve(
        qutip.tensor(qutip.qeye(1), qutip.jmat(1, "z")),
        qutip.tensor(qutip.basis(1, 0), qutip.spin_state(1, 1)), [0, 1],
        ntraj=8), ValueError, "dimension 1 holds no emitters"),
]


@pytest.mark.parametrize("name, build, exc, match", OTHER_CASES,
                         ids=[c[0] for c in OTHER_CASES])
def test_other_inputs_rejected(name, build, exc, match):
    with pytest.raises(exc, match=match):
        build()
