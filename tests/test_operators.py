"""Ensembles and EnsembleOperator: algebra, matrices, identification."""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import Ensembles
from qutip_twa.translate.collective import tensor_operator


def _close(a, b):
    return (a - b).norm() <= 1e-10 * max(1.0, b.norm())


@pytest.fixture
def ens():
    return Ensembles([3, 2])


def test_single_ensemble_matrices_are_piqs():
    N = 5
    ens = Ensembles(N)
    for op, piqs_op in [(ens.jz(), piqs.jspin(N, "z")),
                        (ens.jp(), piqs.jspin(N, "+")),
                        (ens.jm(), piqs.jspin(N, "-")),
                        (ens.jx(), piqs.jspin(N, "x")),
                        (ens.jy(), piqs.jspin(N, "y"))]:
        assert _close(op.to_qobj(), piqs_op)


def test_algebra_matches_matrices(ens):
    a, b = ens.jp(0) + 0.3j * ens.jz(1), ens.jm(1) * ens.jz(0) - 2.0
    qa, qb = a.to_qobj(), b.to_qobj()
    assert _close((a * b).to_qobj(), qa * qb)
    assert _close((b * a).to_qobj(), qb * qa)
    assert _close((a + b).to_qobj(), qa + qb)
    assert _close((a - 2 * b).to_qobj(), qa - 2 * qb)
    assert _close((a * b).dag().to_qobj(), (qa * qb).dag())
    assert _close((np.float64(0.5) * a / 4).to_qobj(), qa / 8)
    assert _close((1 - a).to_qobj(), qutip.qeye(qa.dims[0]) - qa)


def test_letters_on_different_ensembles_commute(ens):
    zero = ens.jz(0) * ens.jp(1) - ens.jp(1) * ens.jz(0)
    assert zero.num_terms == 0
    comm = ens.jp(0) * ens.jm(0) - ens.jm(0) * ens.jp(0)
    assert _close(comm.to_qobj(), (2 * ens.jz(0)).to_qobj())


def test_vectorised_builders(ens):
    A = np.array([[0.5, 1 + 1j], [1 - 1j, -0.2]])
    by_hand = sum(A[m, n] * ens.jp(m) * ens.jm(n)
                  for m in range(2) for n in range(2))
    assert _close(ens.exchange(A).to_qobj(), by_hand.to_qobj())
    c = np.array([0.3, -1j])
    assert _close(ens.lowering(c).to_qobj(),
                  (0.3 * ens.jm(0) - 1j * ens.jm(1)).to_qobj())
    assert _close(ens.raising(2.0).to_qobj(),
                  (2 * ens.jp(0) + 2 * ens.jp(1)).to_qobj())
    assert _close(ens.inversion(c).to_qobj(),
                  (0.3 * ens.jz(0) - 1j * ens.jz(1)).to_qobj())


def test_linear_coefficients(ens):
    op = 0.5 + 2 * ens.jm(1) - 1j * ens.jp(0) + ens.jz(0)
    c0, cm, cp, cz = op.linear_coefficients()
    assert c0 == 0.5
    np.testing.assert_array_equal(cm, [0, 2])
    np.testing.assert_array_equal(cp, [-1j, 0])
    np.testing.assert_array_equal(cz, [1, 0])
    with pytest.raises(ValueError, match="not linear"):
        (ens.jp(0) * ens.jm(1)).linear_coefficients()


def test_large_chain_builds_fast():
    """M = 500 chain: the exchange sum has 250000 terms, built as arrays."""
    from qutip_twa import models
    ch = models.chain(500, 250, np.pi / 10, pumping=250.0)
    assert ch.H.num_terms == 500 * 499
    assert ch.forward_emission().num_terms == 500 * 500


@pytest.mark.parametrize("Ns", [[1, 1], [2, 1], [3, 2], [1, 2, 1]])
def test_tensor_identification_round_trip(Ns):
    ens = Ensembles(Ns)
    op = (0.3 * ens.jp(0) * ens.jm(1) + 0.3 * ens.jp(1) * ens.jm(0)
          + ens.jz(0) * ens.jz(0) + 2 * ens.jz(1)
          + 0.1j * ens.jx(1) * ens.jz(0) * ens.jp(0))
    found = tensor_operator(op.to_qobj(), ens, "op")
    assert found.degree <= 3
    assert _close(found.to_qobj(), op.to_qobj())


def test_tensor_identification_rejects_local_operator():
    ens = Ensembles([2, 2])
    dims = ens.jz(0).to_qobj().dims
    rng = np.random.default_rng(1)
    mat = rng.normal(size=(16, 16))
    with pytest.raises(ValueError, match="not a polynomial"):
        tensor_operator(qutip.Qobj(mat + mat.T, dims=dims), ens, "H")
