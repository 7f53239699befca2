"""Exact solver for two coupled ensembles: brute-force, limits, validation."""

import numpy as np
import pytest
import qutip
import scipy.sparse as sp
from qutip import piqs

from qutip_twa.operators.dicke import collective_matrices, num_dicke_states
from qutip_twa.exact import two_ensembles as te
from qutip_twa.exact.two_ensembles import two_ensemble_solve

TIGHT = {"atol": 1e-11, "rtol": 1e-10}
MESOLVE_OPTIONS = {"atol": 1e-12, "rtol": 1e-10}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def paper_model(N1, N2, G, phi):
    """H and the forward / backward jumps of two chirally coupled ensembles.

    Returns (H, [L_F, L_B], I_F) with I_F = L_F^+ L_F / G.
    """
    _, jp1, jm1 = collective_matrices(N1)
    _, jp2, jm2 = collective_matrices(N2)
    h = 0.5 * G * np.sin(phi)
    ham = [(h, jp1, jm2), (h, jm1, jp2)]
    a = np.sqrt(G / 2)
    l_f = [(a * np.exp(1j * phi), jm1, None),
           (a * np.exp(2j * phi), None, jm2)]
    l_b = [(a * np.exp(-1j * phi), jm1, None),
           (a * np.exp(-2j * phi), None, jm2)]
    i_f = [(0.5, jp1 @ jm1, None), (0.5, None, jp2 @ jm2),
           (0.5 * np.exp(1j * phi), jp1, jm2),
           (0.5 * np.exp(-1j * phi), jm1, jp2)]
    return ham, [l_f, l_b], i_f


def standard_e_ops(N1, N2, i_f):
    jz1, jp1, jm1 = collective_matrices(N1)
    jz2, jp2, jm2 = collective_matrices(N2)
    return [i_f, [(1.0, jp1 @ jm1, None)], [(1.0, jz1, None)],
            [(1.0, None, jz2)], [(1.0, jp1, jm2)]]


def to_qobj(terms, d1, d2):
    """sum coef X1 (x) X2 as a Qobj on the tensor product."""
    out = 0 * qutip.tensor(qutip.qeye(d1), qutip.qeye(d2))
    for coef, x1, x2 in terms:
        a = qutip.qeye(d1) if x1 is None else qutip.Qobj(x1.toarray())
        b = qutip.qeye(d2) if x2 is None else qutip.Qobj(x2.toarray())
        out = out + coef * qutip.tensor(a, b)
    return out


def local_lindbladian(N, rates):
    emission, pumping, dephasing = rates
    return piqs.Dicke(N, emission=emission, pumping=pumping,
                      dephasing=dephasing).lindbladian()


def brute_force(N, ham, jumps, rates, rho0, tlist, e_ops):
    """qutip.mesolve on the full tensor-product space."""
    N1, N2 = N
    d1, d2 = num_dicke_states(N1), num_dicke_states(N2)
    liou = qutip.liouvillian(to_qobj(ham, d1, d2),
                             [to_qobj(jump, d1, d2) for jump in jumps])
    liou = liou + qutip.super_tensor(local_lindbladian(N1, rates[0]),
                                     qutip.to_super(qutip.qeye(d2)))
    liou = liou + qutip.super_tensor(qutip.to_super(qutip.qeye(d1)),
                                     local_lindbladian(N2, rates[1]))
    rho = qutip.tensor(qutip.Qobj(rho0[0]), qutip.Qobj(rho0[1]))
    result = qutip.mesolve(liou, rho, tlist,
                           e_ops=[to_qobj(op, d1, d2) for op in e_ops],
                           options=MESOLVE_OPTIONS)
    return np.array(result.expect)


# --------------------------------------------------------------------------
# The reference construction itself
# --------------------------------------------------------------------------

def test_super_tensor_with_identity_superoperator():
    """super_tensor(S, to_super(1)) is S acting on the first factor."""
    rng = np.random.default_rng(1)
    a = qutip.Qobj(rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3)))
    b = qutip.Qobj(rng.normal(size=(3, 3)))
    rho = qutip.rand_dm([3, 2])
    s = qutip.sprepost(a, b)
    for ident in (qutip.to_super(qutip.qeye(2)), qutip.spre(qutip.qeye(2))):
        lifted = qutip.super_tensor(s, ident)
        expected = qutip.tensor(a, qutip.qeye(2)) * rho \
            * qutip.tensor(b, qutip.qeye(2))
        assert (lifted(rho) - expected).norm() < 1e-12
    lindblad = local_lindbladian(2, (0.3, 0.7, 0.2))
    rho2 = qutip.Qobj(rng.normal(size=(4, 4)), dims=[[4], [4]])
    lifted = qutip.super_tensor(qutip.to_super(qutip.qeye(3)), lindblad)
    rho1 = qutip.rand_dm(3)
    rho12 = qutip.tensor(rho1, rho2)
    expected = qutip.tensor(rho1, lindblad(rho2))
    assert (lifted(rho12) - expected).norm() < 1e-12


# --------------------------------------------------------------------------
# (1) Brute-force cross-checks against mesolve
# --------------------------------------------------------------------------

CASES = [
    # N, phi, local rates (emission, pumping, dephasing), initial states
    ((2, 2), np.pi / 2, [[0.2, 1.0, 0.3], [0.2, 1.0, 0.3]],
     ("ground", "ground")),
    ((2, 2), np.pi / 4, [[0.0, 2.0, 0.0], [0.5, 1.5, 0.4]],
     ("excited", "css")),
    ((3, 2), np.pi / 3, [[0.3, 1.2, 0.4], [0.2, 0.9, 0.5]],
     ("ground", "ground")),
    ((3, 2), 0.0, [[0.3, 1.2, 0.4], [0.2, 0.9, 0.5]],
     ("css", "excited")),
]


def make_state(kind, N):
    if kind == "ground":
        return piqs.ground(N)
    if kind == "excited":
        return piqs.excited(N)
    return piqs.css(N, x=np.pi / 3, y=0.7, coordinates="polar")


@pytest.mark.parametrize("N, phi, rates, states", CASES)
def test_paper_model_matches_mesolve(N, phi, rates, states):
    ham, jumps, i_f = paper_model(*N, G=1.0, phi=phi)
    e_ops = standard_e_ops(*N, i_f)
    rho0 = tuple(make_state(kind, n) for kind, n in zip(states, N))
    tlist = np.linspace(0.0, 2.0, 21)
    ours = two_ensemble_solve(N, ham, jumps, rates, rho0, tlist, e_ops,
                              options=TIGHT)
    ref = brute_force(N, ham, jumps, rates, rho0, tlist, e_ops)
    assert ours.shape == (len(e_ops), len(tlist))
    assert np.abs(ours - ref).max() < 1e-7
    # The inter-ensemble correlation <J+_1 J-_2> builds up (it stays zero
    # only at phi = pi/2, where the dissipative coupling ~ cos(phi) vanishes).
    if not np.isclose(phi, np.pi / 2):
        assert np.abs(ref[4]).max() > 1e-3


def test_generic_model_matches_mesolve():
    """Drives that break excitation conservation, product jumps, Qobj input."""
    N = (3, 2)
    jz1, jp1, jm1 = collective_matrices(N[0])
    jz2, jp2, jm2 = collective_matrices(N[1])
    jx1 = (jp1 + jm1) / 2
    jx2 = (jp2 + jm2) / 2
    d1 = num_dicke_states(N[0])
    ham = [(0.7, jx1, None), (0.4, None, jx2), (0.3, jz1, jz2),
           (0.5, qutip.Qobj(jp1.toarray()), jm2),
           (0.5, jm1, jp2), (1.3, np.eye(d1), None)]
    jumps = [[(0.6, jm1, jz2), (0.2j, jz1, None)],
             [(0.5, jm1, jp2), (0.4, None, jm2)],
             [(0.8, None, jz2)]]
    rates = [[0.4, 0.3, 0.2], [0.1, 0.6, 0.3]]
    e_ops = [[(1.0, jx1, None)], [(1.0, None, jp2)], [(1.0, jz1, jz2)],
             [(1.0, jp1, jm2), (2.0, jm1, None)]]
    rho0 = (piqs.css(N[0], x=0.4, y=1.1, coordinates="polar"),
            piqs.dicke(N[1], 1, 0))
    tlist = np.linspace(0.0, 1.5, 16)
    ours = two_ensemble_solve(N, ham, jumps, rates, rho0, tlist, e_ops,
                              options=TIGHT)
    ref = brute_force(N, [(c, _sp(x1), _sp(x2)) for c, x1, x2 in ham],
                      jumps, rates, rho0, tlist, e_ops)
    assert np.abs(ours - ref).max() < 1e-7


def _sp(x):
    if x is None:
        return None
    if isinstance(x, qutip.Qobj):
        return sp.csr_matrix(x.full())
    return sp.csr_matrix(x)


def test_block_by_block_path_agrees(monkeypatch):
    """The unassembled fallback gives the same answer as the CSR path."""
    N = (3, 2)
    ham, jumps, i_f = paper_model(*N, G=1.0, phi=0.6)
    e_ops = standard_e_ops(*N, i_f)
    rates = [[0.3, 1.2, 0.4], [0.2, 0.9, 0.5]]
    rho0 = (piqs.css(3, x=0.5, y=0.2, coordinates="polar"), piqs.ground(2))
    tlist = np.linspace(0.0, 1.0, 6)
    fast = two_ensemble_solve(N, ham, jumps, rates, rho0, tlist, e_ops,
                              options=TIGHT)
    monkeypatch.setattr(te, "_MAX_ASSEMBLED_NNZ", 0)
    slow = two_ensemble_solve(N, ham, jumps, rates, rho0, tlist, e_ops,
                              options=TIGHT)
    assert np.abs(fast - slow).max() < 1e-9


def test_only_conserving_blocks_are_stored():
    """Excitation-conserving model from ground states: blocks q1 + q2 = 0."""
    N = (6, 5)
    ham, jumps, _ = paper_model(*N, G=1.0, phi=0.3)
    spaces = (te._PairSpace(N[0]), te._PairSpace(N[1]))
    h = te._parse_terms(ham, spaces, "hamiltonian")
    js = [te._parse_terms(j, spaces, "jumps") for j in jumps]
    r1, r2 = te._check_rho0((piqs.ground(N[0]), piqs.ground(N[1])), spaces)
    system = te._build_system(spaces, h, js, np.full((2, 3), 0.5), r1, r2)
    assert sorted(system.blocks) == [(q, -q) for q in range(-5, 6)]
    assert system.size < spaces[0].size * spaces[1].size / 3


# --------------------------------------------------------------------------
# (2) Symmetry and (3) single-ensemble limit
# --------------------------------------------------------------------------

def test_symmetric_ensembles_have_equal_inversion():
    N = (5, 5)
    ham, jumps, _ = paper_model(*N, G=1.0, phi=np.pi / 3)
    jz, _, _ = collective_matrices(5)
    rates = [[0.2, 3.0, 0.1], [0.2, 3.0, 0.1]]
    tlist = np.linspace(0.0, 1.0, 11)
    out = two_ensemble_solve(N, ham, jumps, rates,
                             (piqs.ground(5), piqs.ground(5)), tlist,
                             [[(1.0, jz, None)], [(1.0, None, jz)]])
    assert np.abs(out[0] - out[1]).max() < 1e-6
    assert out[0, -1].real > -2.0  # the pump did invert the ensembles


def test_uncoupled_ensemble_matches_piqs():
    N1, N2 = 6, 4
    jz1, jp1, jm1 = collective_matrices(N1)
    jz2, jp2, jm2 = collective_matrices(N2)
    jx1 = (jp1 + jm1) / 2
    g_ce = 0.8
    rates = [[0.3, 0.5, 0.4], [0.7, 0.2, 0.1]]
    ham = [(1.1, jx1, None), (0.4, jz1 @ jz1, None), (0.9, None, jz2)]
    jumps = [[(np.sqrt(g_ce), jm1, None)], [(0.5, None, jm2)]]
    rho0 = (piqs.css(N1, x=2.0, y=0.3, coordinates="polar"),
            piqs.excited(N2))
    tlist = np.linspace(0.0, 2.0, 11)
    e_ops = [[(1.0, jz1, None)], [(1.0, jp1, None)], [(1.0, jx1 @ jx1, None)]]
    ours = two_ensemble_solve((N1, N2), ham, jumps, rates, rho0, tlist,
                              e_ops, options=TIGHT)
    d1 = num_dicke_states(N1)
    h1 = qutip.Qobj((1.1 * jx1 + 0.4 * jz1 @ jz1).toarray())
    system = piqs.Dicke(N1, hamiltonian=h1, emission=rates[0][0],
                        pumping=rates[0][1], dephasing=rates[0][2])
    ref = qutip.mesolve(
        system.liouvillian(), rho0[0], tlist,
        c_ops=[np.sqrt(g_ce) * qutip.Qobj(jm1.toarray())],
        e_ops=[qutip.Qobj(x.toarray()) for x in (jz1, jp1, jx1 @ jx1)],
        options=MESOLVE_OPTIONS)
    assert d1 == h1.shape[0]
    assert np.abs(ours - np.array(ref.expect)).max() < 1e-7
    # Ensemble 2 alone: local emission + pumping + dephasing + decay.
    out2 = two_ensemble_solve((N1, N2), ham, jumps, rates, rho0, tlist,
                              [[(1.0, None, jz2)]], options=TIGHT)
    ref2 = qutip.mesolve(
        local_lindbladian(N2, rates[1]), rho0[1], tlist,
        c_ops=[0.5 * qutip.Qobj(jm2.toarray())],
        e_ops=[qutip.Qobj(jz2.toarray())], options=MESOLVE_OPTIONS)
    assert np.abs(out2[0] - ref2.expect[0]).max() < 1e-7


def test_trace_and_unnormalised_states():
    """The trace is conserved (up to PIQS's single-precision rates); an
    unnormalised rho0 is evolved linearly, without renormalisation."""
    N = (2, 3)
    ham, jumps, _ = paper_model(*N, G=1.0, phi=0.4)
    rates = [[0.1, 0.5, 0.2], [0.3, 0.1, 0.0]]
    rho0 = (piqs.css(2, x=1.0, y=0.0, coordinates="polar"), piqs.ground(3))
    tlist = np.linspace(0, 1, 5)
    spaces = (te._PairSpace(2), te._PairSpace(3))
    r1, r2 = te._check_rho0(rho0, spaces)
    system = te._build_system(
        spaces, te._parse_terms(ham, spaces, "h"),
        [te._parse_terms(j, spaces, "j") for j in jumps],
        np.asarray(rates), r1, r2)
    y = system.state(r1, r2)
    trace_rate = system.expect(system.expectation_plan([(1.0, None, None)]),
                               system.matrix() @ y)
    assert abs(trace_rate) < 1e-6
    jz1, _, _ = collective_matrices(2)
    e_ops = [[(1.0, None, None)], [(1.0, jz1, None)]]
    normalised = two_ensemble_solve(N, ham, jumps, rates, rho0, tlist, e_ops,
                                    options=TIGHT)
    assert np.abs(normalised[0] - 1).max() < 1e-12
    scaled = two_ensemble_solve(N, ham, jumps, rates,
                                (2 * rho0[0], rho0[1]), tlist, e_ops,
                                options=TIGHT)
    assert np.abs(scaled[0] - 2).max() < 1e-6
    assert np.abs(scaled[1] / scaled[0] - normalised[1]).max() < 1e-9
    one = two_ensemble_solve(N, ham, jumps, rates, rho0, [0.3],
                             [[(2.0, None, None)]])
    assert one.shape == (1, 1) and abs(one[0, 0] - 2) < 1e-14


# --------------------------------------------------------------------------
# (4) Input validation
# --------------------------------------------------------------------------

def _valid():
    N = (2, 2)
    ham, jumps, i_f = paper_model(*N, G=1.0, phi=0.5)
    return dict(N=N, hamiltonian=ham, jumps=jumps,
                local_rates=[[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
                rho0=(piqs.ground(2), piqs.ground(2)),
                tlist=[0.0, 0.1], e_ops=[i_f])


def _call(**changes):
    args = _valid()
    args.update(changes)
    return two_ensemble_solve(**args)


def test_valid_arguments_run():
    assert _call().shape == (1, 2)


@pytest.mark.parametrize("bad", [3, (2,), (2, 0), (2, 2.0), (2, True)])
def test_bad_N(bad):
    with pytest.raises(ValueError, match="N must be a pair"):
        _call(N=bad)


def test_operator_shape_mismatch_names_the_term():
    _, jp3, _ = collective_matrices(3)
    _, _, jm2 = collective_matrices(2)
    with pytest.raises(ValueError, match=r"hamiltonian\[0\]: X1 has shape"):
        _call(hamiltonian=[(1.0, jp3, jm2)])
    with pytest.raises(ValueError, match=r"jumps\[1\]\[0\]: X2 has shape"):
        _call(jumps=[[(1.0, jm2, None)], [(1.0, None, jp3)]])
    with pytest.raises(ValueError, match=r"e_ops\[0\]\[0\]: X1 has shape"):
        _call(e_ops=[[(1.0, jp3, None)]])


def test_malformed_terms():
    with pytest.raises(ValueError, match=r"hamiltonian\[0\] must be a term"):
        _call(hamiltonian=[(1.0, None)])
    with pytest.raises(TypeError, match=r"hamiltonian\[0\]: the coefficient"):
        _call(hamiltonian=[("a", None, None)])
    with pytest.raises(TypeError, match="jumps must be a list"):
        _call(jumps="nope")
    with pytest.raises(TypeError, match="e_ops must be a list"):
        _call(e_ops=None)


def test_non_collective_operator_rejected():
    bad = np.zeros((4, 4))
    bad[0, 3] = 1.0  # couples j = 1 to j = 0
    with pytest.raises(ValueError, match=r"jumps\[0\]\[0\]: X1 couples"):
        _call(jumps=[[(1.0, bad, None)]])


@pytest.mark.parametrize("bad, match", [
    ([[0.0, 1.0], [0.0, 1.0]], r"local_rates must have shape \(2, 3\)"),
    ([0.0, 1.0, 0.0], r"local_rates must have shape \(2, 3\)"),
    ([[0.0, -1.0, 0.0], [0.0, 1.0, 0.0]], "non-negative"),
    ([[0.0, np.nan, 0.0], [0.0, 1.0, 0.0]], "finite"),
    ([[0.0, 1j, 0.0], [0.0, 1.0, 0.0]], "real array"),
])
def test_bad_local_rates(bad, match):
    with pytest.raises(ValueError, match=match):
        _call(local_rates=bad)


def test_bad_rho0():
    with pytest.raises(ValueError, match="rho0 must be a pair"):
        _call(rho0=piqs.ground(2))
    with pytest.raises(ValueError,
                       match=r"rho0\[1\] \(ensemble 2\) has shape"):
        _call(rho0=(piqs.ground(2), piqs.ground(3)))
    coherent = np.full((4, 4), 0.25)  # elements between j blocks
    with pytest.raises(ValueError, match=r"rho0\[0\].*different j blocks"):
        _call(rho0=(coherent, piqs.ground(2)))


def test_bad_tlist():
    with pytest.raises(ValueError, match="tlist must be strictly increasing"):
        _call(tlist=[0.0, 0.2, 0.1])
    with pytest.raises(ValueError, match="tlist must be a 1d array"):
        _call(tlist=[])


def test_options_validated():
    with pytest.raises(KeyError, match="unknown key"):
        _call(options={"nsteps": 10})
    with pytest.raises(ValueError, match=r"options\['method'\]"):
        _call(options={"method": "BDF"})
    with pytest.raises(ValueError, match=r"options\['atol'\]"):
        _call(options={"atol": -1.0})
    out = _call(options={"method": "RK45", "rtol": 1e-8, "atol": 1e-10})
    ref = _call(options=TIGHT)
    assert np.abs(out - ref).max() < 1e-6
