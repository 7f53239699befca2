"""Every rejected input raises a clear error naming the argument."""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import twasolve

N = 6  # below 5 emitters every block-diagonal operator has degree <= 4
JX, JY, JZ = piqs.jspin(N)
JP, JM = piqs.jspin(N, "+"), piqs.jspin(N, "-")
RHO = piqs.excited(N)
T = np.linspace(0, 1, 5)


def call(H=JZ, rho0=RHO, tlist=T, **kw):
    kw.setdefault("ntraj", 4)
    return twasolve(H, rho0, tlist, **kw)


CASES = {
    "H of wrong type": (dict(H="Jz"), TypeError, "H must be"),
    "non-Hermitian H": (dict(H=JP), ValueError, "H must be Hermitian"),
    "H not collective": (dict(H=piqs.dicke(N, 1, 0)), ValueError,
                         "H is not a polynomial"),
    "H of too high degree": (dict(H=JZ ** 5), ValueError, "degree <= 4"),
    "H in the uncoupled basis": (
        dict(H=piqs.jspin(3, "z", basis="uncoupled")), ValueError,
        "uncoupled basis"),
    "H and rho0 disagree on N": (dict(rho0=piqs.excited(5)), ValueError,
                                 "N = 6 .* rho0 implies N = 5"),
    "N keyword disagrees": (dict(N=5), ValueError, "N = 5 .* N = 6"),
    "non-linear jump": (dict(c_ops=[JP * JM]), ValueError,
                        r"c_ops\[0\] is not linear"),
    "time-dependent jump": (dict(c_ops=[qutip.QobjEvo([[JM, "t"]])]),
                            TypeError, r"c_ops\[0\] must be a constant"),
    "jump not an operator": (dict(c_ops=["J-"]), TypeError, r"c_ops\[0\]"),
    "negative rate": (dict(emission=-1.0), ValueError, "emission must be"),
    "complex rate": (dict(pumping=1j), TypeError, "pumping must be a real"),
    "NaN rate": (dict(dephasing=np.nan), ValueError, "dephasing must be"),
    "rate twice": (dict(H=piqs.Dicke(N, hamiltonian=JZ, emission=1.0),
                        emission=1.0), ValueError, "given both"),
    "decreasing tlist": (dict(tlist=[0, 1, 0.5]), ValueError,
                         "strictly increasing"),
    "NaN in tlist": (dict(tlist=[0, np.nan]), ValueError, "tlist must be"),
    "ntraj zero": (dict(ntraj=0), ValueError, "ntraj must be"),
    "ntraj float": (dict(ntraj=10.5), ValueError, "ntraj must be"),
    "unknown option": (dict(options={"atoll": 1e-8}), KeyError, "atoll"),
    "bad map": (dict(options={"map": "threads"}), ValueError, "map"),
    "bad num_cpus": (dict(options={"num_cpus": 0}), ValueError, "num_cpus"),
    "bad threads_per_worker": (dict(options={"threads_per_worker": 1.5}),
                               ValueError, "threads_per_worker"),
    "mpi_options not a dict": (dict(options={"mpi_options": 2}), TypeError,
                               "mpi_options"),
    "bad batch size": (dict(options={"batch_size": 100}), ValueError,
                       "batch_size"),
    "bad dt": (dict(options={"dt": -1.0}), ValueError, "dt"),
    "bad steps_per_rate": (dict(options={"steps_per_rate": 0}), ValueError,
                           "steps_per_rate"),
    "steps_per_rate pair": (dict(options={"steps_per_rate": (100, 0)}),
                            ValueError, "steps_per_rate"),
    "steps_per_rate triple": (dict(options={"steps_per_rate": (1, 2, 3)}),
                              ValueError, "steps_per_rate"),
    "steps_per_rate string": (dict(options={"steps_per_rate": "fine"}),
                              ValueError, "steps_per_rate"),
    "bad tol": (dict(options={"tol": 0.0}), ValueError, "tol"),
    "tol string": (dict(options={"tol": "1e-3"}), ValueError, "tol"),
    "bad scheme": (dict(options={"scheme": "rk4"}), ValueError, "scheme"),
    "adaptive not a bool": (dict(options={"adaptive": "yes"}), TypeError,
                            "adaptive"),
    "bad faults option": (dict(options={"faults": "ignore"}), ValueError,
                          "faults"),
    "GHZ state": (dict(rho0=piqs.ghz(N)), ValueError, "GHZ"),
    "superposition": (dict(rho0=(qutip.basis(16, 0) + qutip.basis(16, 1))
                           .unit()), ValueError, "rho0"),
    "rho0 not a Qobj": (dict(rho0=np.eye(16) / 16), TypeError, "rho0"),
    "e_op of too high degree": (dict(e_ops=[JZ ** 5]), ValueError,
                                r"e_ops\[0\].*degree <= 4"),
    "e_op not collective": (dict(e_ops={"p": piqs.dicke(N, 1, 1)}),
                            ValueError, r"e_ops\['p'\]"),
    "e_op of wrong type": (dict(e_ops=["Jz"]), TypeError, r"e_ops\[0\]"),
    "e_op callable of wrong shape": (dict(e_ops=[lambda t, s: 1.0]),
                                     ValueError, "one value per trajectory"),
    "time-dependent H not Hermitian": (
        dict(H=[[JP, lambda t: 1.0]]), ValueError, "not Hermitian"),
    "negative seed": (dict(seeds=-3), ValueError, "seeds"),
    "bad seed type": (dict(seeds="abc"), TypeError, "seeds"),
    "target_tol without e_ops": (dict(target_tol=0.1), ValueError,
                                 "target_tol"),
    "rho0 with a negative eigenvalue": (dict(rho0=piqs.css(
        N, 1.0, 0.3, coordinates="polar") + qutip.Qobj(
            np.diag([0, 1e-3, -1e-3] + [0] * 13), dims=RHO.dims)),
        ValueError, "negative eigenvalue"),
    "e_op callable giving nan": (dict(e_ops=[lambda t, s: np.full(len(s),
                                                                  np.nan)]),
                                 ValueError, "non-finite value"),
    "H not square": (dict(H=qutip.Qobj(np.ones((16, 15)))), ValueError,
                     r"shape \(16, 15\)"),
    "string coefficient syntax": (dict(H=[JZ, [JX, "sin(t"]]), ValueError,
                                  r"H\[1\]: the time coefficient"),
    "string coefficient without args": (dict(H=[JZ, [JX, "sin(w * t)"]]),
                                        ValueError, "args"),
    "complex tlist": (dict(tlist=[0, 1j]), TypeError, "tlist must hold real"),
    "target_tol nan": (dict(e_ops=[JZ], target_tol=np.nan), ValueError,
                       "target_tol"),
    "timeout nan": (dict(timeout=np.nan), ValueError, "timeout"),
    "timeout string": (dict(timeout="abc"), TypeError, "timeout"),
    "bad progress bar": (dict(options={"progress_bar": "bogus"}), ValueError,
                         "progress_bar"),
    "bad progress kwargs": (dict(options={"progress_kwargs": 5}), TypeError,
                            "progress_kwargs"),
    "options not a dict": (dict(options="fast"), TypeError,
                           "options must be a dict"),
    "Liouvillian not PIQS": (
        dict(H=qutip.lindblad_dissipator(JX * JX)), ValueError, "H"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rejected(case):
    kw, exc, match = CASES[case]
    with pytest.raises(exc, match=match):
        call(**kw)
