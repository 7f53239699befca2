"""mesolve calls that run unchanged: options, e_ops forms, several
Lindbladians, states from an integrator, and clear errors for the rest."""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import TwaSolver, twasolve

from conftest import NTRAJ, assert_close_to_exact

N = 6
JZ = piqs.jspin(N, "z")
T = np.linspace(0, 1, 5)
SYSTEM = piqs.Dicke(N, hamiltonian=piqs.jspin(N, "x"), collective_emission=1.0,
                    pumping=1.0)
MESOLVE_OPTIONS = {"store_states": True, "atol": 1e-10, "rtol": 1e-8,
                   "nsteps": 10000, "method": "bdf", "normalize_output": True,
                   "progress_bar": ""}


def run(**kw):
    kw.setdefault("ntraj", 300)
    kw.setdefault("seeds", 4)
    return twasolve(SYSTEM, piqs.excited(N), T, **kw)


def test_mesolve_options_run_unchanged():
    ref = run(e_ops=[JZ])
    res = run(e_ops=[JZ], options=MESOLVE_OPTIONS)
    np.testing.assert_array_equal(res.expect[0], ref.expect[0])
    assert res.stats["ignored_options"] == ["atol", "method", "normalize_output",
                                            "nsteps", "rtol"]
    assert "ignored_options" not in ref.stats


def test_states_are_phase_space_samples():
    ref = run(e_ops=[JZ])
    res = run()  # no e_ops: states are stored, as with mesolve
    assert len(res.states) == len(T) and res.runs_states is not None
    means = [np.mean(sample.Sz) for sample in res.states]
    np.testing.assert_allclose(means, ref.expect[0], rtol=1e-13, atol=1e-13)
    assert res.states[0].a.shape == (300,)
    merged = res + run(seeds=5)
    assert len(merged.states[-1]) == 600
    assert run(options={"store_states": False}).states == []
    with pytest.raises(TypeError, match="store_states"):
        run(options={"store_states": "yes"})


def test_qobjevo_e_ops():
    res = run(e_ops=[qutip.QobjEvo(JZ), qutip.QobjEvo([[JZ, "cos(t)"]]), JZ])
    np.testing.assert_array_equal(res.expect[0], res.expect[2])
    np.testing.assert_allclose(res.expect[1], res.expect[2] * np.cos(T),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("e_op, exc, match", [
    (lambda t, state: qutip.expect(JZ, state), TypeError,
     "not with a state as mesolve does"),
    (lambda t, s: np.array(["x"] * len(s)), TypeError, "numbers"),
])
def test_callable_e_ops_of_the_wrong_kind(e_op, exc, match):
    with pytest.raises(exc, match=match):
        run(e_ops=[e_op], ntraj=4)


def test_lindbladians_add_up_as_in_mesolve(ntraj):
    """A Dicke object with its own lindbladian() in c_ops: twice each rate,
    against mesolve of the same call (the N = 10 laser budget)."""
    n = 10
    half = piqs.Dicke(n, collective_emission=0.5, pumping=0.125 * n)
    solver = TwaSolver(half, [half.lindbladian()])
    np.testing.assert_array_equal(solver.model.local_rates, [[0, 0.25 * n, 0]])
    tlist = np.linspace(0, 8 / n, 21)
    e_ops = [piqs.jspin(n, "+") * piqs.jspin(n, "-")]
    exact = qutip.mesolve(half.liouvillian(), piqs.excited(n), tlist,
                          [half.lindbladian()], e_ops=e_ops)
    twa = twasolve(half, piqs.excited(n), tlist, [half.lindbladian()],
                   e_ops=e_ops, ntraj=ntraj, seeds=1)
    assert_close_to_exact(twa.expect[0] / n ** 2,
                          twa.stderr_expect[0] / n ** 2,
                          exact.expect[0] / n ** 2, 0.009, "doubled laser")
    with pytest.raises(ValueError, match="given both by the Dicke object H "
                       "and by the keyword"):
        twasolve(half, piqs.excited(n), tlist, [half.lindbladian()],
                 pumping=1.0)


def test_state_from_an_integrator_is_accepted():
    """A coherent state rotated by mesolve (purity 1 - O(1e-7)) is sampled
    as the coherent state it is, to the integrator's accuracy."""
    n = 10
    css = piqs.css(n, np.pi / 2, 0.0, coordinates="polar")
    out = qutip.mesolve(piqs.jspin(n, "z"), css, [0, 0.7]).states[-1]
    res = twasolve(piqs.Dicke(n, emission=1.0), out, [0.0],
                   e_ops=[piqs.jspin(n, "x"), piqs.jspin(n, "y")],
                   ntraj=NTRAJ, seeds=1)
    for k, exact in enumerate([qutip.expect(piqs.jspin(n, "x"), out),
                               qutip.expect(piqs.jspin(n, "y"), out)]):
        assert abs(res.expect[k][0] - exact) < 5 * res.stderr_expect[k][0] \
            + 1e-5 * n


def test_superposition_reports_its_fidelity():
    n = 4
    dim = 9
    bad = (qutip.basis(dim, 0) + 0.3 * qutip.basis(dim, 2)).unit()
    with pytest.raises(ValueError, match=r"fidelity .* is 0\.9"):
        twasolve(piqs.Dicke(n, emission=1.0), bad, [0.0, 1.0], ntraj=2)


GENERIC_N = 30
_JX, _JZ, _JM = (piqs.jspin(GENERIC_N, k) for k in "xz-")


@pytest.mark.parametrize("label, H, c_ops, pumping", [
    ("liouvillian(H, [J-])", qutip.liouvillian(0.5 * GENERIC_N * _JX, [_JM]),
     [], 0.0),
    ("lindblad_dissipator c_op", 0.5 * GENERIC_N * _JX,
     [qutip.lindblad_dissipator(_JM)], 0.0),
    ("D[Jx] jump and local pumping",
     qutip.liouvillian(0.2 * GENERIC_N * _JZ, [_JX]), [], 1.0),
])
def test_generic_collective_liouvillians_match_mesolve(label, H, c_ops,
                                                       pumping, ntraj):
    """Liouvillians built with qutip.liouvillian / lindblad_dissipator from
    collective operators, against mesolve of the same call; budget: the
    time crystal's at N = 30 (docs/theory.md Section 8), 0.008 in <J>/N."""
    n = GENERIC_N
    tlist = np.linspace(0, 6 / n, 31)
    L = H + piqs.Dicke(n, pumping=pumping).lindbladian() if pumping else H
    exact = qutip.mesolve(L, piqs.excited(n), tlist, c_ops,
                          e_ops=[_JZ, _JX])
    twa = twasolve(H, piqs.excited(n), tlist, c_ops, e_ops=[_JZ, _JX],
                   pumping=pumping, ntraj=ntraj, seeds=1)
    for k in range(2):
        assert_close_to_exact(twa.expect[k] / n, twa.stderr_expect[k] / n,
                              exact.expect[k] / n, 0.008, label)


def _spin_ops(j):
    return qutip.jmat(j, "x"), qutip.jmat(j, "y"), qutip.jmat(j, "z")


@pytest.mark.parametrize("label, j, H, psi0, c_ops", [
    ("one-axis twisting", 10.0, lambda J: J[2] * J[2] / 20,
     lambda j: qutip.spin_coherent(j, np.pi / 2, 0.0), lambda j: []),
    ("rotating drive and decay", 7.5,
     lambda J: [0.5 * J[2], [J[0], "cos(t)"]],
     lambda j: qutip.spin_state(j, j),
     lambda j: [np.sqrt(0.05) * qutip.jmat(j, "-")]),
])
def test_spin_j_workflows_match_mesolve(label, j, H, psi0, c_ops, ntraj):
    """qutip.jmat / spin_coherent / spin_state models (a spin j = N/2 in
    the symmetric subspace) run unchanged; first moments against mesolve
    with a budget of 0.01 in <J>/N (the N = 15-20 time-crystal scale)."""
    J = _spin_ops(j)
    tlist = np.linspace(0, 3, 31)
    exact = qutip.mesolve(H(J), psi0(j), tlist, c_ops(j), e_ops=list(J))
    twa = twasolve(H(J), psi0(j), tlist, c_ops(j), e_ops=list(J),
                   ntraj=ntraj, seeds=1)
    n = 2 * j
    assert twa.stats["N"] == n
    for k in range(3):
        assert_close_to_exact(twa.expect[k] / n, twa.stderr_expect[k] / n,
                              exact.expect[k] / n, 0.01, f"{label} J{k}")


def test_dimensions_that_read_both_ways():
    """Dimension 4 is N = 2 in the Dicke basis and j = 3/2: a spin state
    decides, N= decides, and otherwise a clear error."""
    H = qutip.jmat(1.5, "z") ** 2
    assert twasolve(H, qutip.spin_coherent(1.5, 1.0, 0.0), [0.0, 1.0],
                    ntraj=2).stats["N"] == 3
    assert twasolve(H, qutip.basis(4, 0), [0.0, 1.0], ntraj=2,
                    N=3).stats["N"] == 3
    assert twasolve(piqs.jspin(2, "z"), piqs.excited(2), [0.0, 1.0],
                    ntraj=2).stats["N"] == 2
    with pytest.raises(ValueError, match="pass N=2 or N=3"):
        twasolve(H, qutip.basis(4, 0), [0.0, 1.0], ntraj=2)
    # dimension 3 is no Dicke dimension: spin 1, two emitters
    assert twasolve(qutip.jmat(1, "x"), qutip.spin_state(1, 1), [0.0, 1.0],
                    ntraj=2).stats["N"] == 2


@pytest.mark.filterwarnings("ignore:.*J < 1")
def test_one_emitter_liouvillian_runs_as_its_jumps():
    """The driven two-level system of QuTiP's steady-state superradiance
    notebook, liouvillian(sz + 5 sx, [sqrt(2) sm]): for one emitter local
    and collective dissipators coincide, and the superoperator gives the
    run of its H and c_ops bit for bit."""
    H = qutip.sigmaz() + 5 * qutip.sigmax()
    c_ops = [np.sqrt(2) * qutip.sigmam()]
    e_ops = [qutip.sigmap() * qutip.sigmam()]
    rho0 = qutip.ket2dm(qutip.basis(2, 1))
    kw = dict(e_ops=e_ops, ntraj=200, seeds=2)
    from_jumps = twasolve(H, rho0, T, c_ops, **kw)
    from_liouvillian = twasolve(qutip.liouvillian(H, c_ops), rho0, T, **kw)
    np.testing.assert_array_equal(from_liouvillian.expect[0],
                                  from_jumps.expect[0])
