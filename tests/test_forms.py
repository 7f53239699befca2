"""Every accepted form of H, c_ops, rho0 and e_ops gives the same numbers."""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import twasolve

N = 6
JX, JY, JZ = piqs.jspin(N)
JP, JM = piqs.jspin(N, "+"), piqs.jspin(N, "-")
H = 0.7 * N * JX + 0.3 * JZ * JZ
RATES = dict(collective_emission=1.0, pumping=0.5 * N, dephasing=0.2 * N)
TLIST = np.linspace(0, 2 / N, 11)
E_OPS = [JZ, JP * JM, JX]


def solve(H_, rho0=None, **kw):
    kw.setdefault("e_ops", E_OPS)
    return twasolve(H_, piqs.excited(N) if rho0 is None else rho0, TLIST,
                    ntraj=256, seeds=11, **kw)


@pytest.fixture(scope="module")
def reference():
    return np.array(solve(piqs.Dicke(N, hamiltonian=H, **RATES)).expect)


def local_kw():
    return dict(pumping=RATES["pumping"], dephasing=RATES["dephasing"])


H_FORMS = {
    "liouvillian": lambda: solve(piqs.Dicke(N, hamiltonian=H, **RATES)
                                 .liouvillian()),
    "lindbladian + -i[H, .]": lambda: solve(
        piqs.Dicke(N, **RATES).lindbladian() + qutip.liouvillian(H)),
    "H, c_ops and local keywords": lambda: solve(
        H, c_ops=[JM], **local_kw()),
    "H and a Dicke lindbladian in c_ops": lambda: solve(
        H, c_ops=[piqs.Dicke(N, **RATES).lindbladian()]),
    "QobjEvo": lambda: solve(qutip.QobjEvo(H), c_ops=[JM], **local_kw()),
}

# Time-dependent coefficients are tabulated on the fixed step grid, so these
# forms equal the constant model run with fixed steps.
FIXED = {"adaptive": False}
TIME_DEPENDENT_FORMS = {
    "list with function coefficient": lambda: solve(
        [[H, lambda t, args: args["one"]]], c_ops=[JM], args={"one": 1.0},
        options=FIXED, **local_kw()),
    "list with array coefficient": lambda: solve(
        [[H, np.ones(len(TLIST))]], c_ops=[JM], options=FIXED,
        **local_kw()),
}


@pytest.mark.parametrize("form", list(H_FORMS))
def test_forms_of_the_system_agree(form, reference):
    np.testing.assert_allclose(np.array(H_FORMS[form]().expect), reference,
                               rtol=1e-7, atol=1e-7 * N ** 2)


@pytest.mark.parametrize("form", list(TIME_DEPENDENT_FORMS))
def test_time_dependent_forms_agree_with_fixed_steps(form):
    """Equal up to rounding, which a trajectory on the edge of a branch of
    the step (the J = N/2 edge, Section 5.4) can amplify: 1e-5 relative."""
    result = TIME_DEPENDENT_FORMS[form]()
    assert not result.stats["adaptive"]
    reference = solve(piqs.Dicke(N, hamiltonian=H, **RATES), options=FIXED)
    np.testing.assert_allclose(np.array(result.expect),
                               np.array(reference.expect), rtol=1e-5,
                               atol=1e-5 * N ** 2)


# Same model, but floating-point sums in another order or noise multiplied
# by a phase: the statistics agree, the bits do not.
STATISTICAL_FORMS = {
    "H split into J+ and J- terms": lambda: solve(
        [0.3 * JZ * JZ, [0.35 * N * JP, lambda t: 1.0],
         [0.35 * N * JM, lambda t: 1.0]], c_ops=[JM], **local_kw()),
    "jump with a phase": lambda: solve(H, c_ops=[1j * JM], **local_kw()),
}


@pytest.mark.parametrize("form", list(STATISTICAL_FORMS))
def test_equivalent_forms_agree_statistically(form):
    other = STATISTICAL_FORMS[form]()
    ref = solve(piqs.Dicke(N, hamiltonian=H, **RATES))
    for k in range(len(E_OPS)):
        bound = 5 * np.hypot(other.stderr_expect[k], ref.stderr_expect[k])
        assert np.all(np.abs(other.expect[k] - ref.expect[k]) <= bound)


def test_dicke_object_and_explicit_rates_are_bit_identical(reference):
    result = solve(H, c_ops=[JM], **local_kw())
    assert np.array_equal(np.array(result.expect), reference)


def test_jump_with_identity_part_adds_its_hamiltonian():
    """D[J- + c] = D[J-] - i[(i/2)(c* J- - c J+), .]: same as mesolve."""
    c = 0.8 + 0.3j
    tl = np.linspace(0, 1 / N, 6)
    exact = qutip.mesolve(0 * JZ, piqs.excited(N), tl,
                          c_ops=[JM + c * qutip.qeye(JZ.dims[0])],
                          e_ops=[JX]).expect[0]
    hc = 0.5j * (np.conj(c) * JM - c * JP)
    a = twasolve(0 * JZ, piqs.excited(N), tl, c_ops=[JM + c], e_ops=[JX],
                 ntraj=256, seeds=2)
    b = twasolve(hc, piqs.excited(N), tl, c_ops=[JM], e_ops=[JX], ntraj=256,
                 seeds=2)
    np.testing.assert_allclose(a.expect[0], b.expect[0], atol=1e-9)
    assert abs(exact[-1]) > 0.1  # the drive matters on this time scale


def test_forms_of_rho0_agree():
    psi = qutip.basis(piqs.num_dicke_states(N), 0)
    dm = solve(piqs.Dicke(N, hamiltonian=H, **RATES))
    ket = solve(piqs.Dicke(N, hamiltonian=H, **RATES), rho0=psi)
    assert np.array_equal(np.array(dm.expect), np.array(ket.expect))
    css = piqs.css(N, 0.8, 0.3, coordinates="polar")
    evals, evecs = css.eigenstates()
    as_ket = evecs[-1]
    r1 = solve(H, rho0=css, e_ops=[JX, JY, JZ])
    r2 = solve(H, rho0=as_ket, e_ops=[JX, JY, JZ])
    np.testing.assert_allclose(np.array(r1.expect), np.array(r2.expect),
                               atol=1e-9)


def test_forms_of_e_ops_agree():
    system = piqs.Dicke(N, hamiltonian=H, **RATES)
    as_list = solve(system, e_ops=[JZ, JP * JM])
    as_dict = solve(system, e_ops={"jz": JZ, "jpjm": JP * JM})
    single = solve(system, e_ops=JZ)
    fn = solve(system, e_ops=[lambda t, s: s.Sz,
                              lambda t, s: s.Sp * s.Sm + s.Sz - 0.25])
    assert list(as_dict.e_data) == ["jz", "jpjm"]
    assert np.array_equal(as_list.expect[0], as_dict.e_data["jz"])
    assert np.array_equal(as_list.expect[0], single.expect[0])
    np.testing.assert_allclose(fn.expect[0].real, as_list.expect[0],
                               atol=1e-9)
    np.testing.assert_allclose(fn.expect[1].real, as_list.expect[1],
                               atol=1e-9 * N ** 2)


def test_non_hermitian_e_op_gives_complex_values():
    result = solve(H, c_ops=[JM], e_ops=[JP, JX, JY])
    assert np.iscomplexobj(result.expect[0])
    assert not np.iscomplexobj(result.expect[1])
    np.testing.assert_allclose(result.expect[0],
                               result.expect[1] + 1j * result.expect[2],
                               atol=1e-9)
