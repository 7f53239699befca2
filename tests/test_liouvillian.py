import time

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa.operators.dicke import dicke_labels, num_dicke_states
from qutip_twa.translate.liouvillian import RATE_NAMES, decompose_liouvillian

NS = (2, 5, 10)
RATES = dict(emission=0.3, dephasing=0.7, pumping=0.11,
             collective_emission=1.3, collective_dephasing=0.45,
             collective_pumping=0.05)
COLLECTIVE_OPS = dict(collective_emission="-", collective_dephasing="z",
                      collective_pumping="+")


def hamiltonian(N):
    """0.7 Jx + 0.3 Jz + 0.2 Jz^2 in the Dicke basis."""
    jz = piqs.jspin(N, "z")
    return 0.7 * piqs.jspin(N, "x") + 0.3 * jz + 0.2 * jz * jz


def exact_liouvillian(N, H, rates):
    """sum rate * generator - i[H, .], assembled in double precision.

    PIQS computes its matrix elements in single precision, so a Liouvillian
    built by piqs.Dicke with a rate like 0.3 matches the generators only to
    ~1e-7. Here the local generators are PIQS's at unit rate, scaled in
    double precision, and the collective ones are D[c] on the j-diagonal
    blocks (PIQS drops coherences between blocks), which PIQS approximates.
    """
    j = dicke_labels(N)[0]
    block = np.equal.outer(j, j).ravel(order="F").astype(float)
    total = qutip.liouvillian(H).full() if H is not None else 0
    for key, rate in rates.items():
        if key in COLLECTIVE_OPS:
            c = piqs.jspin(N, COLLECTIVE_OPS[key])
            gen = qutip.lindblad_dissipator(c).full() * block[None, :]
        else:
            gen = piqs.Dicke(N, **{key: 1.0}).lindbladian().full()
        total = total + rate * gen
    d = num_dicke_states(N)
    return qutip.Qobj(total, dims=[[[d], [d]], [[d], [d]]])


def assert_rates(rates, expected, rtol):
    assert set(rates) == set(RATE_NAMES)
    assert all(isinstance(v, float) for v in rates.values())
    scale = max(expected.values())
    for key in RATE_NAMES:
        want = expected.get(key, 0.0)
        assert abs(rates[key] - want) <= rtol * max(want, 1e-3 * scale), key


def assert_hamiltonian(H, expected, atol):
    assert isinstance(H, qutip.Qobj)
    assert H.dims == [[expected.shape[0]], [expected.shape[0]]]
    assert H.isherm
    assert np.abs((H - expected).full()).max() <= atol * np.abs(
        expected.full()).max()


def piqs_rate(rate):
    """The rate as PIQS stores it (a C float)."""
    return float(np.float32(rate))


@pytest.mark.parametrize("N", NS)
@pytest.mark.parametrize("key", RATE_NAMES)
def test_single_rate(N, key):
    H0 = hamiltonian(N)
    H, rates, _ = decompose_liouvillian(
        exact_liouvillian(N, H0, {key: RATES[key]}))
    assert_rates(rates, {key: RATES[key]}, 1e-9)
    assert_hamiltonian(H, H0, 1e-9)
    # The same Liouvillian built by PIQS, to its single precision.
    L = piqs.Dicke(N, hamiltonian=H0, **{key: RATES[key]}).liouvillian()
    H, rates, _ = decompose_liouvillian(L)
    assert_rates(rates, {key: piqs_rate(RATES[key])}, 1e-6)
    assert_hamiltonian(H, H0, 1e-6)


@pytest.mark.parametrize("N", NS)
def test_all_rates(N):
    H0 = hamiltonian(N)
    H, rates, _ = decompose_liouvillian(exact_liouvillian(N, H0, RATES))
    assert_rates(rates, RATES, 1e-9)
    assert_hamiltonian(H, H0, 1e-9)
    expected = {key: piqs_rate(rate) for key, rate in RATES.items()}
    ensemble = piqs.Dicke(N, hamiltonian=H0, **RATES)
    for L in (ensemble.liouvillian(),
              ensemble.lindbladian() + qutip.liouvillian(H0)):
        H, rates, _ = decompose_liouvillian(L, N=N)
        assert_rates(rates, expected, 2e-6)
        assert_hamiltonian(H, H0, 1e-6)


@pytest.mark.parametrize("N", NS)
def test_only_dissipation_or_only_hamiltonian(N):
    H, rates, _ = decompose_liouvillian(
        piqs.Dicke(N, emission=0.5, collective_dephasing=0.25).lindbladian())
    assert H is None
    assert_rates(rates, dict(emission=0.5, collective_dephasing=0.25), 1e-6)
    H0 = hamiltonian(N)
    H, rates, _ = decompose_liouvillian(qutip.liouvillian(H0))
    assert rates == {key: 0.0 for key in RATE_NAMES}
    assert_hamiltonian(H, H0, 1e-9)


def test_zero_liouvillian():
    d = num_dicke_states(4)
    H, rates, _ = decompose_liouvillian(qutip.Qobj(
        np.zeros((d * d, d * d)), dims=[[[d], [d]], [[d], [d]]]))
    assert H is None
    assert rates == {key: 0.0 for key in RATE_NAMES}


def test_num_emitters_argument():
    L = piqs.Dicke(3, emission=0.5).liouvillian()
    assert decompose_liouvillian(L, N=3)[1]["emission"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="N=4"):
        decompose_liouvillian(L, N=4)


def test_not_piqs_liouvillian():
    N = 5
    d = num_dicke_states(N)
    L = piqs.Dicke(N, hamiltonian=hamiltonian(N), emission=0.5).liouvillian()
    extra = qutip.lindblad_dissipator(piqs.jspin(N, "x") ** 2)  # nonlinear
    rng = np.random.default_rng(1)
    random = qutip.Qobj(rng.standard_normal((d * d, d * d)),
                        dims=[[[d], [d]], [[d], [d]]])
    high_degree = qutip.liouvillian(piqs.jspin(N, "z") ** 5)
    for bad in (L + extra, random, high_degree):
        with pytest.raises(ValueError, match="my_L is a superoperator but "
                           "not a collective Liouvillian"):
            decompose_liouvillian(bad, name="my_L")


def test_invalid_rates_or_hamiltonian():
    N = 4
    G = piqs.Dicke(N, emission=1.0).lindbladian()
    with pytest.raises(ValueError, match="my_L has a negative emission"):
        decompose_liouvillian(-0.5 * G, name="my_L")
    with pytest.raises(ValueError, match="my_L has a complex emission"):
        decompose_liouvillian((1 + 1j) * G, name="my_L")
    A = 1j * piqs.jspin(N, "z")  # anti-Hermitian "Hamiltonian"
    with pytest.raises(ValueError, match="non-Hermitian"):
        decompose_liouvillian(-1j * (qutip.spre(A) - qutip.spost(A)))


def test_single_emitter_reads_as_collective():
    """For N = 1, D[J-] of local emission is the collective D[J-]."""
    H, rates, jumps = decompose_liouvillian(
        piqs.Dicke(1, emission=1.0, dephasing=0.5).liouvillian())
    assert H is None and not jumps
    assert rates["emission"] == rates["dephasing"] == 0.0
    assert rates["collective_emission"] == pytest.approx(1.0)
    # local dephasing at rate 0.5 is D[Jz] at rate 0.5 for one emitter
    assert rates["collective_dephasing"] == pytest.approx(0.5)


def test_wrong_types_and_dimensions():
    with pytest.raises(TypeError, match="my_L must be a qutip.Qobj super"):
        decompose_liouvillian(piqs.jspin(3, "z"), name="my_L")
    with pytest.raises(TypeError, match="my_L"):
        decompose_liouvillian(np.eye(36), name="my_L")
    with pytest.raises(ValueError, match="my_L"):
        decompose_liouvillian(qutip.to_super(qutip.qeye(5)), name="my_L")


@pytest.mark.parametrize("N", (40, 60))
def test_large_N_timing(N):
    H0 = hamiltonian(N)
    rates_in = dict(emission=0.5, dephasing=0.25, collective_emission=1.0)
    L = piqs.Dicke(N, hamiltonian=H0, **rates_in).liouvillian()
    start = time.perf_counter()
    H, rates, _ = decompose_liouvillian(L)
    first = time.perf_counter() - start
    start = time.perf_counter()
    decompose_liouvillian(L)
    cached = time.perf_counter() - start
    print(f"\ndecompose_liouvillian N={N}: first call {first:.2f} s, "
          f"cached generators {cached:.2f} s")
    assert_rates(rates, rates_in, 1e-6)
    assert_hamiltonian(H, H0, 1e-6)


@pytest.mark.parametrize("N", [4, 7])
def test_generic_collective_liouvillians(N):
    """Liouvillians built the generic QuTiP way from collective operators:
    D[J-] (a PIQS rate), D[Jx] and D[J- + 0.5 i Jz] (jumps that mix J-, Jz,
    J+), with PIQS local rates, act as the decomposition says on the
    block-diagonal states PIQS represents."""
    jx, jz = piqs.jspin(N, "x"), piqs.jspin(N, "z")
    jm = piqs.jspin(N, "-")
    local = piqs.Dicke(N, emission=0.3, dephasing=0.2).lindbladian()
    H0 = 0.5 * jx + 0.2 * jz * jz
    cases = [
        (qutip.liouvillian(H0, [jm]), {"collective_emission": 1.0}, 0),
        (qutip.liouvillian(H0, [jx]) + local, {"emission": 0.3,
                                               "dephasing": 0.2}, 1),
        (qutip.lindblad_dissipator(jm + 0.5j * jz), {}, 1),
    ]
    for L, expected, n_jumps in cases:
        H, rates, jumps = decompose_liouvillian(L)
        for key in RATE_NAMES:
            assert rates[key] == pytest.approx(expected.get(key, 0.0))
        assert len(jumps) == n_jumps
        rebuilt = -1j * (qutip.spre(H) - qutip.spost(H)) if H is not None \
            else 0 * L
        for key, rate in rates.items():
            if rate:
                rebuilt += rate * piqs.Dicke(N, **{key: 1.0}).lindbladian()
        for cm, cp, cz in jumps:
            rebuilt += qutip.lindblad_dissipator(
                cm * jm + cp * piqs.jspin(N, "+") + cz * jz)
        j = dicke_labels(N)[0]
        X = np.random.default_rng(2).standard_normal((len(j), len(j)))
        X = qutip.operator_to_vector(qutip.Qobj(
            np.where(j[:, None] == j[None, :], X, 0)))
        diff = (L - rebuilt) * X
        assert diff.norm() <= 1e-6 * (L * X).norm()

