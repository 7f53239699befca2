"""The exact Dicke-basis population solver against PIQS and mesolve."""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import Ensembles
from qutip_twa.exact import population_rate_matrix, population_solve
from qutip_twa.operators.dicke import dicke_labels, num_dicke_states

RATES = ("emission", "dephasing", "pumping", "collective_emission",
         "collective_pumping")
# PIQS builds its Lindbladian in single precision: reference runs carry
# ~1e-7 relative errors in the rates, so the tolerances are 1e-6.
TOL = 1e-6
MESOLVE_OPTIONS = {"atol": 1e-12, "rtol": 1e-10}


def random_diagonal_state(N, seed):
    """A diagonal Dicke-basis density matrix populating every (j, m)."""
    p = np.random.default_rng(seed).random(num_dicke_states(N))
    return qutip.qdiags(p / p.sum(), 0)


def observables(N):
    jx, jy, jz = piqs.jspin(N)
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    return [jz, jp * jm, jx * jx + jy * jy + jz * jz]


def assert_matches_mesolve(system, rho0, tlist, N):
    e_ops = observables(N)
    ref = qutip.mesolve(system.liouvillian(), rho0, tlist, e_ops=e_ops,
                        options=MESOLVE_OPTIONS)
    res = population_solve(system, rho0, tlist, e_ops=e_ops)
    scale = [N, N ** 2, N ** 2]
    errors = [np.max(np.abs(res.expect[k] - ref.expect[k])) / scale[k]
              for k in range(3)]
    assert max(errors) < TOL, errors
    return errors


# -- the rate matrix ---------------------------------------------------------

@pytest.mark.parametrize("N", [1, 2, 3, 4, 5, 8, 11])
def test_rate_matrix_equals_piqs_pim(N):
    """Same matrix as PIQS's loop implementation (Dicke.coefficient_matrix),
    each rate alone and all together."""
    cases = [{name: 1.0} for name in RATES]
    cases.append(dict(zip(RATES, (1.3, 0.7, 0.3, 0.5, 0.2))))
    for rates in cases:
        ref = piqs.Dicke(N, **rates).coefficient_matrix().toarray()
        W = population_rate_matrix(N, **rates).toarray()
        np.testing.assert_allclose(W, ref, rtol=1e-12,
                                   atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("N", [1, 6, 7, 40])
def test_rate_matrix_is_a_markov_generator(N):
    W = population_rate_matrix(N, emission=1.0, dephasing=0.5, pumping=0.3,
                               collective_emission=2.0,
                               collective_pumping=0.1)
    dim = num_dicke_states(N)
    assert W.format == "csr" and W.shape == (dim, dim)
    assert np.isrealobj(W.data)
    scale = np.abs(W.diagonal()).max()
    np.testing.assert_allclose(np.asarray(W.sum(axis=0)).ravel(), 0,
                               atol=1e-13 * scale)
    coo = W.tocoo()
    assert np.all(coo.data[coo.row != coo.col] >= 0)
    assert np.all(W.diagonal() <= 0)
    assert np.diff(W.tocsc().indptr).max() <= 9      # 9-point stencil


def test_rate_matrix_collective_rates_by_formula():
    N = 6
    j, m = dicke_labels(N)
    W = population_rate_matrix(N, collective_emission=1.0,
                               collective_pumping=0.5).toarray()
    for i in range(num_dicke_states(N)):
        down = (j[i] + m[i]) * (j[i] - m[i] + 1)
        up = 0.5 * (j[i] - m[i]) * (j[i] + m[i] + 1)
        if m[i] > -j[i]:
            assert W[i + 1, i] == pytest.approx(down)
        if m[i] < j[i]:
            assert W[i - 1, i] == pytest.approx(up)
        assert W[i, i] == pytest.approx(-down - up)


def test_rate_matrix_rejects_bad_rates():
    with pytest.raises(ValueError, match="emission"):
        population_rate_matrix(3, emission=-1.0)
    with pytest.raises(ValueError, match="N"):
        population_rate_matrix(0)


# -- against mesolve on the PIQS Liouvillian ---------------------------------

@pytest.mark.parametrize("N", [2, 3, 6, 7, 12])
@pytest.mark.parametrize("rate", RATES)
def test_each_rate_matches_mesolve(N, rate):
    system = piqs.Dicke(N, **{rate: 1.0})
    rho0 = random_diagonal_state(N, seed=N)
    assert_matches_mesolve(system, rho0, np.linspace(0, 1.5, 16), N)


@pytest.mark.parametrize("N", [3, 4, 9, 12])
def test_all_rates_with_diagonal_hamiltonian_match_mesolve(N):
    jz = piqs.jspin(N, "z")
    system = piqs.Dicke(N, hamiltonian=0.7 * jz * jz + 1.1 * jz,
                        emission=0.4, dephasing=0.3, pumping=0.2,
                        collective_emission=0.5, collective_pumping=0.1,
                        collective_dephasing=0.8)
    assert_matches_mesolve(system, piqs.excited(N), np.linspace(0, 2, 21), N)
    # an initial time other than 0 and uneven steps
    assert_matches_mesolve(system, random_diagonal_state(N, 1),
                           [0.5, 0.52, 0.9, 2.0, 2.05], N)


def test_superradiance_n30_matches_piqs():
    N = 30
    system = piqs.Dicke(N, collective_emission=1.0, emission=0.1,
                        dephasing=0.2, pumping=0.05)
    errors = assert_matches_mesolve(system, piqs.excited(N),
                                    np.linspace(0, 6 / N, 31), N)
    assert max(errors) < TOL


# -- methods, options and results --------------------------------------------

@pytest.mark.parametrize("method", ["bdf", "expm"])
def test_methods_agree(method):
    N = 10
    system = piqs.Dicke(N, emission=0.3, dephasing=0.2, pumping=0.4,
                        collective_emission=1.0, collective_pumping=0.1)
    rho0 = random_diagonal_state(N, 3)
    tlist = np.linspace(0, 1, 11)
    opts = {"store_populations": True}
    ref = population_solve(system, rho0, tlist, e_ops=observables(N),
                           options={**opts, "method": "uniformization"})
    res = population_solve(system, rho0, tlist, e_ops=observables(N),
                           options={**opts, "method": method})
    assert res.stats["method"] == method
    np.testing.assert_allclose(res.populations, ref.populations, atol=1e-7)
    for k in range(3):
        np.testing.assert_allclose(res.expect[k], ref.expect[k],
                                   atol=1e-7 * N ** 2)


def test_uniformization_against_expm_n100():
    """Superradiant laser at N = 100 (stiff: rates ~ N^2)."""
    N = 100
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    p0 = np.zeros(num_dicke_states(N))
    p0[0] = 1.0
    tlist = np.linspace(0, 8 / N, 17)
    e_ops = {"jz": lambda j, m: m}
    res = population_solve(system, p0, tlist, e_ops=e_ops)
    ref = population_solve(system, p0, tlist, e_ops=e_ops,
                           options={"method": "expm"})
    assert res.stats["method"] == "uniformization"
    np.testing.assert_allclose(res.e_data["jz"], ref.e_data["jz"],
                               atol=1e-9 * N)
    np.testing.assert_allclose(res.final_populations, ref.final_populations,
                               atol=1e-10)


def test_trace_and_positivity_preserved():
    N = 20
    system = piqs.Dicke(N, emission=1.0, dephasing=0.5, pumping=0.3,
                        collective_emission=1.0, collective_pumping=0.2)
    res = population_solve(system, piqs.excited(N), np.linspace(0, 1, 21),
                           options={"store_populations": True})
    np.testing.assert_allclose(res.populations.sum(axis=1), 1, atol=1e-12)
    assert res.populations.min() >= 0
    np.testing.assert_array_equal(res.final_populations, res.populations[-1])


def test_long_times_switch_to_bdf():
    N = 8
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.5)
    res = population_solve(system, piqs.excited(N), [0, 1e4],
                           e_ops=[piqs.jspin(N, "z")])
    assert res.stats["method"] == "bdf"
    W = population_rate_matrix(N, collective_emission=1.0, pumping=0.5)
    np.testing.assert_allclose(W @ res.final_populations, 0, atol=1e-7)


def test_result_like_mesolve_with_dict_e_ops_and_states():
    N = 5
    jz = piqs.jspin(N, "z")
    jp, jm = piqs.jspin(N, "+"), piqs.jspin(N, "-")
    system = piqs.Dicke(N, emission=1.0, collective_emission=0.5)
    rho0 = random_diagonal_state(N, 7)
    tlist = np.linspace(0, 1, 6)
    e_ops = {"jz": jz, "jpjm": jp * jm, "m": lambda j, m: m,
             "jz2": (lambda j, m: m ** 2)}
    opts = {"store_states": True, "store_final_state": True}
    ref = qutip.mesolve(system.liouvillian(), rho0, tlist,
                        e_ops={k: v for k, v in e_ops.items()
                               if isinstance(v, qutip.Qobj)},
                        options={**MESOLVE_OPTIONS, **opts})
    res = population_solve(system, rho0, tlist, e_ops=e_ops, options=opts)
    assert isinstance(res, qutip.solver.Result)
    assert res.solver == "population_solve"
    assert list(res.e_data) == list(e_ops)
    assert isinstance(res.expect, list) and len(res.expect) == 4
    assert all(isinstance(x, np.ndarray) and x.shape == (6,)
               for x in res.expect)
    np.testing.assert_allclose(res.times, tlist)
    for key in ("jz", "jpjm"):
        np.testing.assert_allclose(res.e_data[key], ref.e_data[key],
                                   atol=TOL * N ** 2)
    np.testing.assert_allclose(res.e_data["m"], res.e_data["jz"], atol=1e-12)
    assert len(res.states) == 6
    for state, exact in zip(res.states, ref.states):
        assert state.dims == exact.dims == [[12], [12]]
        np.testing.assert_allclose(state.full(),
                                   np.diag(np.diag(exact.full())), atol=TOL)
        np.testing.assert_allclose(state.full(), exact.full(), atol=TOL)
    np.testing.assert_allclose(res.final_state.diag(), res.final_populations)
    # the e_ops of the result evaluate populations or diagonal states
    assert res.e_ops["jz"](0, res.final_populations) == \
        pytest.approx(res.e_data["jz"][-1])
    assert res.e_ops["jz"](0, res.final_state) == \
        pytest.approx(res.e_data["jz"][-1])


def test_single_e_op_and_none():
    N = 4
    system = piqs.Dicke(N, emission=1.0)
    tlist = [0, 0.5]
    res = population_solve(system, piqs.excited(N), tlist,
                           e_ops=piqs.jspin(N, "z"))
    assert list(res.e_data) == [0]
    assert res.expect[0][0] == pytest.approx(N / 2)
    assert res.expect[0][1] == pytest.approx(N / 2 * (2 * np.exp(-0.5) - 1))
    res = population_solve(system, piqs.excited(N), tlist)
    assert res.expect == [] and len(res.states) == 2   # as mesolve
    res = population_solve(system, piqs.excited(N), [0.0],
                           e_ops=[piqs.jspin(N, "z")])
    assert res.expect[0].tolist() == [N / 2]


def test_non_hermitian_e_op_gives_complex_values():
    N = 4
    system = piqs.Dicke(N, collective_emission=1.0)
    res = population_solve(system, piqs.excited(N), [0, 0.1],
                           e_ops=[lambda j, m: m + 1j * j,
                                  piqs.jspin(N, "z")])
    assert np.iscomplexobj(res.expect[0]) and np.isrealobj(res.expect[1])
    np.testing.assert_allclose(res.expect[0].real, res.expect[1])
    np.testing.assert_allclose(res.expect[0].imag, N / 2)


def test_initial_state_forms():
    N = 6
    dim = num_dicke_states(N)
    system = piqs.Dicke(N, emission=1.0, collective_pumping=0.3)
    tlist = np.linspace(0, 1, 5)
    jz = piqs.jspin(N, "z")
    index = 4                                     # (j, m) = (3, -1)
    ket = 1j * qutip.basis(dim, index)
    p = np.zeros(dim)
    p[index] = 1.0

    ens = Ensembles([N])
    results = [population_solve(system, rho0, tlist, e_ops=[jz, ens.jz(0)])
               for rho0 in (ket, ket.proj(), p, list(p), ens.dicke(3, -1))]
    for res in results:
        np.testing.assert_allclose(res.expect[0], results[0].expect[0],
                                   atol=1e-14)
        np.testing.assert_allclose(res.expect[1], res.expect[0], atol=1e-12)
    assert results[0].expect[0][0] == pytest.approx(-1.0)


def test_package_states_and_operators_at_large_N():
    """The package's own objects, no matrices: an Ensembles state and
    Ensembles e_ops at N = 2000 (10^6 Dicke states)."""
    N = 2000
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    tlist = np.linspace(0, 2 / N, 3)
    ens = Ensembles([N])
    p = np.zeros(num_dicke_states(N))
    p[0] = 1.0
    ops = [ens.jz(0), ens.jp(0) * ens.jm(0), ens.jz(0) ** 2]
    exact_ops = [lambda j, m: m, lambda j, m: j * (j + 1) - m * (m - 1),
                 lambda j, m: m ** 2]
    ours = population_solve(system, ens.excited(), tlist, e_ops=ops)
    ref = population_solve(system, p, tlist, e_ops=exact_ops)
    for a, b in zip(ours.expect, ref.expect):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert ours.expect[0][0] == N / 2


def test_dicke_diagonal_matches_matrices():
    ens = Ensembles([5])
    op = (ens.jp(0) * ens.jz(0) * ens.jm(0) + 0.5 * ens.jz(0)
          + ens.jp(0) ** 2 + 2.0)
    np.testing.assert_allclose(op.dicke_diagonal(5), op.to_qobj().diag(),
                               atol=1e-12)


def test_package_objects_that_are_not_diagonal_are_rejected():
    system = piqs.Dicke(4, emission=1.0)
    tlist = [0.0, 1.0]
    with pytest.raises(ValueError, match="coherent spin state has coherences"):
        population_solve(system, Ensembles([4]).css(1.0), tlist)
    with pytest.raises(ValueError, match="not a state of one ensemble"):
        population_solve(system, Ensembles([4, 4]).ground(), tlist)
    with pytest.raises(ValueError, match="not a state of one ensemble"):
        population_solve(system, Ensembles([5]).ground(), tlist)


# -- rejections --------------------------------------------------------------

def test_rejects_non_diagonal_hamiltonian():
    N = 4
    system = piqs.Dicke(N, hamiltonian=piqs.jspin(N, "x"), emission=1.0)
    with pytest.raises(ValueError, match=r"H = 0 or .*diagonal.*mesolve"):
        population_solve(system, piqs.excited(N), [0, 1])
    # a diagonal Hamiltonian is fine and has no effect on populations
    jz = piqs.jspin(N, "z")
    a = population_solve(piqs.Dicke(N, hamiltonian=jz * jz, emission=1.0),
                         piqs.excited(N), [0, 1], e_ops=[jz])
    b = population_solve(piqs.Dicke(N, emission=1.0), piqs.excited(N),
                         [0, 1], e_ops=[jz])
    np.testing.assert_array_equal(a.expect[0], b.expect[0])


def test_rejects_rho0_with_coherences():
    N = 4
    system = piqs.Dicke(N, emission=1.0)
    with pytest.raises(ValueError, match="rho0 has coherences"):
        population_solve(system, piqs.css(N), [0, 1])
    dim = num_dicke_states(N)
    superposition = (qutip.basis(dim, 0) + qutip.basis(dim, 1)).unit()
    with pytest.raises(ValueError, match="rho0 is a superposition"):
        population_solve(system, superposition, [0, 1])
    with pytest.raises(ValueError, match="rho0 has shape"):
        population_solve(system, piqs.excited(N + 1), [0, 1])
    uncoupled = qutip.tensor([qutip.basis(2, 0).proj()] * 2)
    with pytest.raises(ValueError, match="rho0 has tensor dims"):
        population_solve(piqs.Dicke(2, emission=1.0), uncoupled, [0, 1])


@pytest.mark.parametrize("populations, match", [
    ([0.5, 0.5, 0.5, -0.5, 0, 0, 0, 0, 0], "non-negative"),
    ([0.5, 0.4, 0, 0, 0, 0, 0, 0, 0], "sum to 1"),
    ([1.0, 0, 0], "length"),
    (np.full((3, 3), 1 / 9), "1d array"),
    ([np.nan] + [0] * 8, "finite"),
])
def test_rejects_bad_populations(populations, match):
    system = piqs.Dicke(4, emission=1.0)
    with pytest.raises(ValueError, match=f"rho0.*{match}|{match}.*rho0"):
        population_solve(system, np.array(populations), [0, 1])


def test_rejects_bad_rho0_type():
    with pytest.raises(TypeError, match="rho0"):
        population_solve(piqs.Dicke(4, emission=1.0), "excited", [0, 1])


@pytest.mark.parametrize("e_op, error, match", [
    (piqs.jspin(5, "z"), ValueError, r"e_ops\[0\] has shape"),
    (lambda j, m: np.zeros(3), ValueError, r"e_ops\[0\] must give one value"),
    ("jz", TypeError, r"e_ops\[0\] must be"),
    (qutip.QobjEvo(piqs.jspin(4, "z")), TypeError, r"e_ops\[0\].*QobjEvo"),
])
def test_rejects_bad_e_ops(e_op, error, match):
    with pytest.raises(error, match=match):
        population_solve(piqs.Dicke(4, emission=1.0), piqs.excited(4),
                         [0, 1], e_ops=[e_op])


def test_rejects_bad_e_ops_in_dict_by_key():
    with pytest.raises(TypeError, match=r"e_ops\['bad'\]"):
        population_solve(piqs.Dicke(4, emission=1.0), piqs.excited(4),
                         [0, 1], e_ops={"jz": piqs.jspin(4, "z"), "bad": 3})


def test_rejects_bad_options_and_tlist():
    system, rho0 = piqs.Dicke(4, emission=1.0), piqs.excited(4)
    with pytest.raises(KeyError, match="accepts.*atol.*method"):
        population_solve(system, rho0, [0, 1], options={"nsteps": 10})
    with pytest.raises(ValueError, match="method"):
        population_solve(system, rho0, [0, 1], options={"method": "rk4"})
    with pytest.raises(ValueError, match="atol"):
        population_solve(system, rho0, [0, 1], options={"atol": -1})
    with pytest.raises(ValueError, match="increasing"):
        population_solve(system, rho0, [0, 2, 1])
    with pytest.raises(TypeError, match="Dicke"):
        population_solve(piqs.jspin(4, "z"), rho0, [0, 1])
