import numpy as np
import pytest
import qutip
from qutip import piqs
from scipy.linalg import expm

from qutip_twa.operators.dicke import collective_matrices, dicke_labels, num_dicke_states
from qutip_twa.operators.states import (InitialState, coherent_amplitudes,
                              identify_initial_state)

NS = (1, 2, 5, 10)


def bloch(N, state):
    """<J> / (N/2) of a Qobj ket or density matrix, via the Dicke matrices."""
    jz, jp, jm = collective_matrices(N)
    ops = [(jp + jm) / 2, (jp - jm) / 2j, jz]
    rho = state.proj() if state.isket else state
    return np.array([np.trace(rho.full() @ op.toarray()).real
                     for op in ops]) / (N / 2)


def direction(theta, phi):
    return np.array([np.sin(theta) * np.cos(phi),
                     np.sin(theta) * np.sin(phi), np.cos(theta)])


def rotated_css(N, theta, phi):
    """exp(-i theta (-sin(phi) Jx + cos(phi) Jy)) |N/2, N/2> as a ket."""
    jz, jp, jm = collective_matrices(N)
    jx, jy = ((jp + jm) / 2).toarray(), ((jp - jm) / 2j).toarray()
    gen = -np.sin(phi) * jx + np.cos(phi) * jy
    up = np.zeros(num_dicke_states(N), dtype=complex)
    up[0] = 1
    return qutip.Qobj(expm(-1j * theta * gen) @ up)


def angle_diff(a, b):
    return abs((a - b + np.pi) % (2 * np.pi) - np.pi)


def assert_coherent(state, N, theta, phi):
    assert isinstance(state, InitialState)
    assert state.kind == "coherent" and state.N == N
    assert state.j is None and state.prob is None
    assert abs(state.theta - theta) < 1e-8
    assert 0 <= state.phi < 2 * np.pi
    assert angle_diff(state.phi, phi) < 1e-8


def assert_single_dicke(state, N, j, m):
    assert state.kind == "dicke_mixture" and state.N == N
    assert state.theta is None and state.phi is None
    np.testing.assert_array_equal(state.j, [j])
    np.testing.assert_array_equal(state.m, [m])
    np.testing.assert_array_equal(state.prob, [1.0])


# ---------------------------------------------------------------- Dicke states

@pytest.mark.parametrize("N", NS)
def test_excited_ground_superradiant(N):
    assert_single_dicke(identify_initial_state(piqs.excited(N)), N, N / 2,
                        N / 2)
    assert_single_dicke(identify_initial_state(piqs.ground(N)), N, N / 2,
                        -N / 2)
    assert_single_dicke(identify_initial_state(piqs.superradiant(N), N=N),
                        N, N / 2, (N % 2) / 2)


@pytest.mark.parametrize("N", NS)
def test_every_dicke_state_dm_and_ket(N):
    js, ms = dicke_labels(N)
    dim = num_dicke_states(N)
    for index, (j, m) in enumerate(zip(js, ms)):
        assert_single_dicke(identify_initial_state(piqs.dicke(N, j, m)), N,
                            j, m)
        ket = np.exp(0.7j) * qutip.basis(dim, index)  # global phase is fine
        assert_single_dicke(identify_initial_state(ket), N, j, m)


@pytest.mark.parametrize("N", NS)
def test_mixture(N):
    js, ms = dicke_labels(N)
    rng = np.random.default_rng(N)
    pops = rng.random(len(js))
    pops[1] = 0.0  # a zero population is left out
    pops /= pops.sum()
    state = identify_initial_state(qutip.Qobj(np.diag(pops)))
    keep = np.arange(len(js)) != 1
    assert state.kind == "dicke_mixture"
    np.testing.assert_array_equal(state.j, js[keep])
    np.testing.assert_array_equal(state.m, ms[keep])
    np.testing.assert_allclose(state.prob, pops[keep], rtol=1e-14)
    assert state.prob.sum() == pytest.approx(1, abs=1e-14)


def test_mixture_from_piqs_sum_and_numerical_noise():
    N = 5
    rho = 0.25 * piqs.excited(N) + 0.75 * piqs.dicke(N, 1.5, -0.5)
    state = identify_initial_state(rho)
    np.testing.assert_array_equal(state.j, [2.5, 1.5])
    np.testing.assert_array_equal(state.m, [2.5, -0.5])
    np.testing.assert_allclose(state.prob, [0.25, 0.75])

    noisy = rho.full()
    noisy[3, 3] = -1e-14           # tiny negative population: clipped
    noisy[0, 1] = noisy[1, 0] = 1e-13  # tiny coherence: ignored
    state = identify_initial_state(qutip.Qobj(noisy))
    np.testing.assert_array_equal(state.m, [2.5, -0.5])
    assert np.all(state.prob >= 0) and state.prob.sum() == pytest.approx(1)


def test_result_is_frozen():
    state = identify_initial_state(piqs.excited(2))
    with pytest.raises(AttributeError):
        state.N = 3
    with pytest.raises(ValueError):
        state.prob[0] = 0.5


# ------------------------------------------------------------ coherent states

@pytest.mark.parametrize("N", NS)
def test_piqs_css_default_is_along_x(N):
    rho = piqs.css(N)
    np.testing.assert_allclose(bloch(N, rho), [1, 0, 0], atol=1e-12)
    assert_coherent(identify_initial_state(rho), N, np.pi / 2, 0.0)


ANGLES = [(0.3, 0.7), (np.pi / 2, np.pi), (2.0, -1.0), (1.2, 4.0),
          (np.pi - 1e-3, 2.5), (1e-3, -2.0), (0.8, 2 * np.pi - 1e-9),
          (2.5, -1e-9), (1.0, 1e-9)]


@pytest.mark.parametrize("N", NS)
@pytest.mark.parametrize("theta, phi", ANGLES)
def test_piqs_css_polar_flips_phi(N, theta, phi):
    # piqs.css(N, theta, phi, "polar") points along (theta, -phi).
    rho = piqs.css(N, theta, phi, coordinates="polar")
    np.testing.assert_allclose(bloch(N, rho), direction(theta, -phi),
                               atol=1e-12)
    assert_coherent(identify_initial_state(rho), N, theta, -phi)


@pytest.mark.parametrize("N", NS)
@pytest.mark.parametrize("theta, phi", ANGLES + [(1e-6, 1.0),
                                                 (np.pi - 1e-6, 3.0)])
def test_rotated_css_ket_and_dm(N, theta, phi):
    ket = rotated_css(N, theta, phi)
    np.testing.assert_allclose(bloch(N, ket), direction(theta, phi),
                               atol=1e-12)
    assert_coherent(identify_initial_state(ket), N, theta, phi)
    assert_coherent(identify_initial_state(ket.proj(), N=N), N, theta, phi)


@pytest.mark.parametrize("N", NS)
def test_coherent_amplitudes_match_rotation(N):
    for theta, phi in ANGLES:
        amps = coherent_amplitudes(N, theta, phi)
        ket = rotated_css(N, theta, phi).full().ravel()
        assert abs(np.vdot(amps, ket[:N + 1])) == pytest.approx(1, abs=1e-12)
        np.testing.assert_allclose(ket[N + 1:], 0, atol=1e-14)


@pytest.mark.parametrize("N", NS)
def test_qutip_spin_coherent_embedded(N):
    theta, phi = 1.1, 5.0
    amps = qutip.spin_coherent(N / 2, theta, phi).full().ravel()
    ket = np.zeros(num_dicke_states(N), dtype=complex)
    ket[:N + 1] = amps
    assert_coherent(identify_initial_state(qutip.Qobj(ket)), N, theta, phi)


def test_ghz_of_one_emitter_is_coherent():
    assert_coherent(identify_initial_state(piqs.ghz(1)), 1, np.pi / 2, 0.0)


def test_nearly_excited_is_dicke():
    # Coherences below 1e-10 count as zero: this is the excited state.
    state = identify_initial_state(rotated_css(5, 1e-13, 0.4))
    assert_single_dicke(state, 5, 2.5, 2.5)


# ------------------------------------------------------------------ rejected

@pytest.mark.parametrize("N", (2, 5, 10))
def test_ghz_rejected(N):
    with pytest.raises(ValueError, match="rho0.*GHZ.*no positive Wigner"):
        identify_initial_state(piqs.ghz(N))


@pytest.mark.parametrize("N", (2, 5, 10))
def test_superposition_of_dicke_states_rejected(N):
    dim = num_dicke_states(N)
    ket = (qutip.basis(dim, 0) + qutip.basis(dim, 1)).unit()
    for state in (ket, ket.proj()):
        with pytest.raises(ValueError, match="rho0 must be a PIQS"):
            identify_initial_state(state)


def test_mixed_coherent_states_rejected():
    for rho in (0.5 * piqs.css(4) + 0.5 * piqs.excited(4),
                0.5 * piqs.css(4) + 0.5 * piqs.css(4, -1 / np.sqrt(2))):
        with pytest.raises(ValueError, match="rho0 is neither"):
            identify_initial_state(rho)


def test_non_hermitian_rejected():
    rho = piqs.excited(2).full()
    rho[0, 1] = 0.1
    with pytest.raises(ValueError, match="rho0 is not Hermitian"):
        identify_initial_state(qutip.Qobj(rho))


def test_wrong_trace_or_norm_rejected():
    with pytest.raises(ValueError, match="rho0 has trace 2"):
        identify_initial_state(2 * piqs.excited(3))
    # QuTiP's g2 route: evolve J- rho J+ with mesolve
    jm = piqs.jspin(4, "-")
    with pytest.raises(ValueError, match="coherence_function_g2"):
        identify_initial_state(jm * piqs.excited(4) * jm.dag())
    with pytest.raises(ValueError, match="rho0 is a ket with squared norm"):
        identify_initial_state(2 * qutip.basis(6, 0))


def test_negative_population_rejected():
    rho = qutip.Qobj(np.diag([1.5, -0.5, 0, 0]))
    with pytest.raises(ValueError, match="rho0 has a negative population"):
        identify_initial_state(rho)


def test_wrong_dimension_rejected():
    with pytest.raises(ValueError, match="rho0 has dimension 5"):
        identify_initial_state(qutip.qeye(5) / 5)
    with pytest.raises(ValueError, match="rho0 has dimension 5"):
        identify_initial_state(qutip.basis(5, 0))


def test_mismatched_N_rejected():
    with pytest.raises(ValueError, match="N = 4.*rho0 has dimension 6"):
        identify_initial_state(piqs.excited(3), N=4)
    assert identify_initial_state(piqs.excited(3), N=3).N == 3


def test_not_a_qobj_rejected():
    with pytest.raises(TypeError, match="rho0 must be a qutip.Qobj"):
        identify_initial_state(piqs.excited(2).full())
    with pytest.raises(TypeError, match="rho0 must be a qutip.Qobj"):
        identify_initial_state([1, 0])


def test_superoperator_and_bra_rejected():
    with pytest.raises(ValueError, match="rho0 has type 'super'"):
        identify_initial_state(qutip.spre(piqs.excited(2)))
    with pytest.raises(ValueError, match="rho0 has type 'operator-ket'"):
        identify_initial_state(qutip.operator_to_vector(piqs.excited(2)))
    with pytest.raises(ValueError, match="rho0 has type 'bra'"):
        identify_initial_state(qutip.basis(4, 0).dag())
