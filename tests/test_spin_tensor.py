"""Ensembles written as spins on a tensor product (``qutip.jmat`` factors).

QuTiP's PIQS tutorial on several ensembles starts with two collective spins
built from ``jmat(N1/2)`` and ``jmat(N2/2)`` on their tensor product, a
Liouvillian from ``qutip.liouvillian`` and states set by hand in that
basis.  A factor of dimension d is read as the spin j = (d - 1)/2 of
N = d - 1 emitters where d is not a PIQS Dicke dimension; where it is both
(d = 6: N = 3 in the Dicke basis or j = 5/2), the reading that fits every
input is taken, or the one an ``Ensembles`` passed as ``N`` names.
"""

import numpy as np
import pytest
import qutip
from qutip import jmat, liouvillian, piqs, qeye, tensor

from qutip_twa import Ensembles, TwaSolver, twasolve

from conftest import NTRAJ, assert_close_to_exact
from test_composite import FINAL, _same_run


def _tutorial(N1, N2):
    """The tutorial's first model: H = w0 (Jz1 + Jz2), collective emission
    and pumping of the total spin, |ground> x |excited>, to 30 delay
    times."""
    n0 = 1 / (np.exp(10e6 / 100 * 1.0545718e-34 / 1.380649e-23) - 1)
    gCE, gCP = 1 + n0, n0
    id1, id2 = qeye(N1 + 1), qeye(N2 + 1)
    jz1, jz2 = tensor(jmat(N1 / 2, "z"), id2), tensor(id1, jmat(N2 / 2, "z"))
    jm12 = tensor(jmat(N1 / 2, "-"), id2) + tensor(id1, jmat(N2 / 2, "-"))
    L = liouvillian(jz1 + jz2, [np.sqrt(gCE) * jm12,
                                np.sqrt(gCP) * jm12.dag()])
    ground1 = np.zeros((N1 + 1, N1 + 1))
    excited2 = np.zeros((N2 + 1, N2 + 1))
    ground1[-1, -1] = excited2[0, 0] = 1
    rho0 = tensor(qutip.Qobj(ground1), qutip.Qobj(excited2))
    tlist = np.linspace(0, 30 * np.log(N2) / (N2 * gCE), 201)
    return L, rho0, tlist, [jz1 + jz2, jz1, jz2]


@pytest.mark.parametrize("N1, N2", [(1, 4), (10, 10), (5, 15)])
def test_multiple_ensembles_tutorial_first_part(N1, N2):
    """The tutorial's call with mesolve renamed: within 0.01 N (the
    time-crystal budget, theory Section 8) plus SAFETY standard errors.
    (5, 15) has factor dimensions 6 and 16, which are also the Dicke
    dimensions of N = 3 and 6."""
    L, rho0, tlist, e_ops = _tutorial(N1, N2)
    options = {"store_states": True}
    exact = qutip.mesolve(L, rho0, tlist, [], e_ops=e_ops, options=options)
    twa = twasolve(L, rho0, tlist, [], e_ops=e_ops, options=options,
                   ntraj=NTRAJ, seeds=1)
    assert len(twa.states) == len(tlist)
    for k, n in enumerate((N1 + N2, N1, N2)):
        assert_close_to_exact(twa.expect[k], twa.stderr_expect[k],
                              exact.expect[k], 0.01 * n, f"e_ops[{k}]")


@pytest.mark.parametrize("N1, N2", [(4, 2), (5, 4)])
def test_spin_factors_give_the_same_run_as_ensembles(N1, N2):
    """jmat factors (dimension 5: a spin; 6: a spin or Dicke N = 3, decided
    by the operators) give the Ensembles model's trajectories, seed for
    seed, for operators, a Liouvillian and a coherent state."""
    ens = Ensembles([N1, N2])
    H = ens.jz(0) + 0.5 * ens.jx(1) + 0.3 * ens.jp(0) * ens.jm(1) \
        + 0.3 * ens.jp(1) * ens.jm(0)
    jump = ens.jm(0) + 0.5j * ens.jm(1)  # a Liouvillian fixes it up to
    # a phase: the largest part is taken real (a tie would leave it open)
    # not Jz^2: in a spin space J^2 is a number, and Jz^2 is read as
    # j(j + 1) + Jz - J+J- (the same mean for collective dynamics, other
    # values per trajectory)
    e_ops = [ens.jz(0), ens.jp(0) * ens.jm(1), ens.jp(1) * ens.jm(1)]
    tlist = np.linspace(0, 1, 6)
    kw = dict(ntraj=256, seeds=3, options=FINAL)
    ref = twasolve(H, ens.css([1.0, 2.0], [0.3, 0.0]), tlist, [jump],
                   e_ops=e_ops, **kw)

    def spin(op):
        """op on tensor(jmat(N1/2), jmat(N2/2))."""
        out = 0
        for w, (idx, coef) in op._terms.items():
            for row, c in zip(idx, coef):
                factors = [qeye(N1 + 1), qeye(N2 + 1)]
                for letter, m in zip(w, row):
                    factors[m] = factors[m] * jmat(ens.N[m] / 2, letter)
                out = out + c * tensor(factors)
        return out

    rho = tensor(qutip.spin_coherent(N1 / 2, 1.0, 0.3),
                 qutip.spin_coherent(N2 / 2, 2.0, 0.0))
    ops = twasolve(spin(H), rho, tlist, [spin(jump)],
                   e_ops=[spin(e) for e in e_ops], **kw)
    # spin_coherent's angles are read back to the last bit (b differs by
    # 6e-17 at t = 0 for N1, N2 = 5, 4), and the trajectories carry that
    _same_run(ref, ops, atol=1e-12)
    superop = twasolve(liouvillian(spin(H), [spin(jump)]), rho, tlist,
                       e_ops=[spin(e) for e in e_ops], **kw)
    _same_run(ref, superop, atol=1e-12)


def test_an_ensembles_names_the_reading():
    """Dimension 6 with only a state to read: the Dicke basis of N = 3
    unless N = Ensembles([5, 1]) says spin 5/2."""
    rho = tensor(qutip.basis(6, 0), qutip.basis(2, 0))
    H = 0 * tensor(qeye(6), qeye(2))
    assert TwaSolver(H).ensembles == Ensembles([3, 1])
    assert TwaSolver(H, N=Ensembles([5, 1])).ensembles == Ensembles([5, 1])
    jz = tensor(jmat(2.5, "z"), qeye(2))
    spin = twasolve(jz, rho, [0, 0.1], e_ops=[jz], ntraj=2000, seeds=1,
                    N=Ensembles([5, 1]))
    assert_close_to_exact(spin.expect[0], spin.stderr_expect[0], 2.5, 0.0)


def test_the_lower_degree_reading_wins():
    """jmat(5/2, "z") also fits the Dicke basis of N = 3 (as Jz plus a
    function of J^2, degree 2); the spin reading needs degree 1.  On a tie
    the Dicke basis is read."""
    jz = tensor(jmat(2.5, "z"), qeye(2))
    assert TwaSolver(jz).ensembles == Ensembles([5, 1])
    dicke_jz = tensor(piqs.jspin(3, "z"), qeye(2))
    assert TwaSolver(dicke_jz).ensembles == Ensembles([3, 1])
    assert TwaSolver(tensor(qeye(6), jmat(0.5, "z"))).ensembles \
        == Ensembles([3, 1])


def test_single_emitter_factor_with_a_coupling_jump():
    """A jump coupling a single emitter (N = 1, where local and collective
    dissipators coincide) to an ensemble, in the Dicke basis: decomposed
    into the collective jump, the Ensembles model's run."""
    ens = Ensembles([1, 4])
    jump = ens.jm(0) + ens.jm(1)
    ref = twasolve(ens.jz(0) + ens.jz(1), ens.product(
        [piqs.ground(1), piqs.excited(4)]), np.linspace(0, 0.5, 6),
        [jump], e_ops=[ens.jz(1)], ntraj=256, seeds=2, options=FINAL)
    L = liouvillian((ens.jz(0) + ens.jz(1)).to_qobj(), [jump.to_qobj()])
    out = twasolve(L, tensor(piqs.ground(1), piqs.excited(4)),
                   np.linspace(0, 0.5, 6), e_ops=[ens.jz(1).to_qobj()],
                   ntraj=256, seeds=2, options=FINAL)
    _same_run(ref, out)
