"""twasolve on several ensembles: equivalences, sampling, large N."""

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import Ensembles, models, twasolve
from qutip_twa.assembly import couplings

from conftest import SAFETY


def _same_run(r1, r2, atol=0.0):
    """The same trajectories: bit for bit, or within ``atol`` where the
    starts differ in their last bits."""
    for z in "ab":
        np.testing.assert_allclose(r1.final_state[z], r2.final_state[z],
                                   rtol=0, atol=atol)
    for x, y in zip(r1.expect, r2.expect):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-12)


FINAL = {"store_final_state": True}


@pytest.mark.parametrize("case", ["laser", "time crystal"])
def test_one_ensemble_matches_single_ensemble_path(case):
    """M = 1 through Ensembles gives the same trajectories, seed for seed."""
    N = 10
    ens = Ensembles(N)
    tlist = np.linspace(0, 8 / N, 21)
    e_ops = [piqs.jspin(N, "+") * piqs.jspin(N, "-"), piqs.jspin(N, "z")]
    ens_e_ops = [ens.jp() * ens.jm(), ens.jz()]
    if case == "laser":
        system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
        H, rates = 0 * ens.jz(), {"pumping": 0.25 * N}
    else:
        system = piqs.Dicke(N, hamiltonian=N * piqs.jspin(N, "x"),
                            collective_emission=1.0, dephasing=0.8 * N)
        H, rates = N * ens.jx(), {"dephasing": 0.8 * N}
    single = twasolve(system, piqs.excited(N), tlist, e_ops=e_ops, ntraj=300,
                      seeds=5, options=FINAL)
    multi = twasolve(H, ens.excited(), tlist, [ens.jm()], e_ops=ens_e_ops,
                     ntraj=300, seeds=5, options=FINAL, **rates)
    _same_run(single, multi)
    # Dicke-basis Qobjs mixed in with Ensembles([N]) operators
    mixed = twasolve(H, piqs.excited(N), tlist, [piqs.jspin(N, "-")],
                     e_ops=e_ops, N=ens, ntraj=300, seeds=5, options=FINAL,
                     **rates)
    _same_run(single, mixed)


def _two_ensemble_model():
    ens = Ensembles([3, 2])
    H = 0.7 * (ens.jp(0) * ens.jm(1) + ens.jp(1) * ens.jm(0)) \
        + 0.4 * ens.jz(1) * ens.jz(1) + ens.jx(0)
    c_ops = [0.8 * ens.lowering([1.0, 1j]), 0.3 * ens.jz(0)]
    return ens, H, c_ops


def test_tensor_qobjs_give_the_same_run():
    ens, H, c_ops = _two_ensemble_model()
    rho = ens.css([1.0, 2.0], [0.3, 0.0])
    e_ops = [ens.jz(0), ens.jp(0) * ens.jm(1), ens.jz(1) * ens.jz(1)]
    tlist = np.linspace(0, 1, 11)
    kw = dict(ntraj=256, seeds=2, options=FINAL, pumping=[0.5, 0.2],
              emission=0.3)
    r1 = twasolve(H, rho, tlist, c_ops, e_ops=e_ops, **kw)
    r2 = twasolve(H.to_qobj(), rho.to_qobj(), tlist,
                  [c.to_qobj() for c in c_ops],
                  e_ops=[e.to_qobj() for e in e_ops], **kw)
    _same_run(r1, r2)


@pytest.mark.parametrize("state", ["css", "dicke", "product"])
def test_initial_expectations(state):
    """At t = 0 the sampled symbols average to the exact expectations.

    Exact for first moments, their products across ensembles (the
    ensembles are sampled independently) and on-site second moments
    (docs/theory.md Section 6); the paper's fixed-modulus ("ring") sampling
    misses 1/8 of <Jz^2> when both Schwinger modes are occupied.
    """
    ens = Ensembles([4, 3])
    e_ops = {"jz0": ens.jz(0), "x01": ens.jp(0) * ens.jm(1),
             "zz": ens.jz(0) * ens.jz(1), "y1": ens.jy(1)}
    if state == "css":
        rho = ens.css([0.7, 2.2], [0.4, 5.0])
    elif state == "dicke":
        rho = ens.dicke([1.0, 1.5], [0.0, -0.5])
    else:
        rho = ens.product([piqs.excited(4),
                           piqs.css(3, np.pi / 3, 1.0, coordinates="polar")])
        e_ops["I0"] = ens.jp(0) * ens.jm(0)
    res = twasolve(0 * ens.jz(0), rho, [0.0], e_ops=e_ops, ntraj=20000,
                   seeds=1)
    exact = rho.to_qobj()
    for k, (name, op) in enumerate(e_ops.items()):
        want = (op.to_qobj() * exact).tr()
        err = abs(res.e_data[name][0] - want)
        assert err <= SAFETY * res.stderr_expect[k][0] + 1e-9, (name, err)
    if state == "dicke":  # on-site second moments, |1, 0> in ensemble 0
        z2 = twasolve(0 * ens.jz(0), rho, [0.0], e_ops=[ens.jz(0) ** 2],
                      ntraj=20000, seeds=1)
        assert abs(z2.expect[0][0]) <= SAFETY * z2.stderr_expect[0][0]
        ring = twasolve(0 * ens.jz(0), rho, [0.0], e_ops=[ens.jz(0) ** 2],
                        ntraj=256, seeds=1,
                        options={"initial_sampling": "ring"})
        assert ring.expect[0][0] == pytest.approx(0.0 - 1 / 8)


def test_relabelling_ensembles():
    """Swapping the two ensembles changes nothing beyond noise."""
    ens, H, c_ops = _two_ensemble_model()
    swapped = Ensembles([2, 3])
    swap = {0: 1, 1: 0}

    def relabel(op):
        terms = {w: (np.vectorize(swap.get)(i), c)
                 for w, (i, c) in op.terms.items()}
        from qutip_twa import EnsembleOperator
        return EnsembleOperator(swapped, terms)

    tlist = np.linspace(0, 1, 6)
    kw = dict(ntraj=8000, seeds=3)
    r1 = twasolve(H, ens.css([1.0, 2.0], 0.0), tlist, c_ops,
                  e_ops=[ens.jz(0), ens.jp(0) * ens.jm(1)],
                  pumping=[0.5, 0.2], **kw)
    r2 = twasolve(relabel(H), swapped.css([2.0, 1.0], 0.0), tlist,
                  [relabel(c) for c in c_ops],
                  e_ops=[swapped.jz(1), swapped.jp(1) * swapped.jm(0)],
                  pumping=[0.2, 0.5], seeds=4, ntraj=8000)
    for k in range(2):
        err = np.abs(r1.expect[k] - r2.expect[k])
        tol = SAFETY * np.hypot(r1.stderr_expect[k], r2.stderr_expect[k])
        assert np.all(err <= tol + 1e-12)


def test_coupling_paths_agree(monkeypatch):
    """Running sums, the dense coupling matrix and plain monomials agree."""
    ch = models.chain(6, 5, np.pi / 3, pumping=2.0, drive=0.5)
    ens = ch.ensembles
    tlist = np.linspace(0, 0.3, 4)
    e_ops = [ch.forward_emission(), ens.jz(2), ens.jp(1) * ens.jm(4)]
    kw = dict(ntraj=1024, seeds=7, **ch.rates)

    def run():
        return twasolve(ch.H, ens.ground(), tlist, ch.c_ops, e_ops=e_ops,
                        **kw)

    separable = run()
    monkeypatch.setattr(couplings, "lower_generators", lambda A: None)
    dense = run()
    monkeypatch.setattr(couplings, "MAX_DENSE_EXCHANGE", 0)
    monomials = run()
    for other in (dense, monomials):
        for k in range(len(e_ops)):
            # same seeds: trajectories agree until rounding differences grow
            err = np.abs(separable.expect[k] - other.expect[k])
            assert np.all(err <= SAFETY * separable.stderr_expect[k] + 1e-9)


def test_million_emitters_superradiant_burst():
    """N = 10^6 through Ensembles, at a cost set by N G t, not by N.

    Energy balance: d<Jz>/dt = -G <J+ J-> holds exactly in the TWA too
    (the Moyal expansion of the generator on the quadratic Jz stops at the
    second order that the TWA keeps), so the emitted energy must equal the
    loss of inversion; the burst must also take the inversion from N/2 to
    -N/2 after the semiclassical delay ~ ln(N) / (N G).
    """
    N = 10 ** 6
    ens = Ensembles([N])
    tlist = np.linspace(0, 2 * np.log(N) / N, 401)
    res = twasolve(0 * ens.jz(), ens.excited(), tlist, [ens.jm()],
                   e_ops=[ens.jp() * ens.jm() / N, ens.jz() / N],
                   ntraj=256, seeds=1)
    emitted = np.trapezoid(res.expect[0].real, tlist)
    lost = res.expect[1][0].real - res.expect[1][-1].real
    assert emitted == pytest.approx(lost, rel=2e-3)
    assert res.expect[1][0].real == pytest.approx(0.5)
    assert res.expect[1][-1].real < -0.499
    delay = tlist[np.argmax(res.expect[0].real)] * N
    assert 0.8 * np.log(N) < delay < 1.3 * np.log(N)
    assert res.stats["steps"] < 10000  # no growth with N


def _tutorial_superoperator(N1, N2, gCE, gCP, gD):
    """The PIQS multiple-ensembles tutorial's model: qutip.liouvillian of
    H = Jz_1 + Jz_2 with the coupled jumps sqrt(gCE) J- and sqrt(gCP) J+ of
    both ensembles, plus super_tensor of each ensemble's PIQS Liouvillian
    (local dephasing gD) with identities."""
    d1, d2 = piqs.num_dicke_states(N1), piqs.num_dicke_states(N2)
    id1, id2 = qutip.qeye(d1), qutip.qeye(d2)
    jm12 = qutip.tensor(piqs.jspin(N1, "-"), id2) \
        + qutip.tensor(id1, piqs.jspin(N2, "-"))
    htot = qutip.tensor(piqs.jspin(N1, "z"), id2) \
        + qutip.tensor(id1, piqs.jspin(N2, "z"))
    L = qutip.liouvillian(htot, [np.sqrt(gCE) * jm12,
                                 np.sqrt(gCP) * jm12.dag()])
    for k, n in enumerate((N1, N2)):
        local = piqs.Dicke(n, dephasing=gD).liouvillian()
        ids = [qutip.to_super(id1), qutip.to_super(id2)]
        ids[k] = local
        L = L + qutip.super_tensor(*ids)
    return L


def test_superoperator_of_several_ensembles(ntraj):
    """A tensor-product Liouvillian as the PIQS tutorial builds it is
    decomposed into the same model as its Ensembles form (H, rates,
    jumps), and the two runs agree within their standard errors."""
    from qutip_twa.translate.tensor_liouvillian import \
        decompose_tensor_liouvillian
    N1, N2, gCE, gCP, gD = 2, 3, 1.0, 0.2, 0.5
    L = _tutorial_superoperator(N1, N2, gCE, gCP, gD)
    ens = Ensembles([N1, N2])
    H, rates, jumps = decompose_tensor_liouvillian(L, ens, "H")
    assert (H - ens.jz(0) - ens.jz(1)).num_terms == 0
    np.testing.assert_array_equal(rates["dephasing"], [gD, gD])
    assert not np.any(rates["emission"]) and not np.any(rates["pumping"])
    rows = [np.concatenate([c[1], c[2]]) for c in
            (j.linear_coefficients() for j in jumps)]
    expected = [np.sqrt(gCP) * np.array([0, 0, 1, 1]),
                np.sqrt(gCE) * np.array([1, 1, 0, 0])]
    for row in rows:  # J- or J+ of both ensembles, rates gCE and gCP
        assert any(np.allclose(row, e, atol=1e-6) for e in expected)
    assert len(rows) == 2
    rho0 = qutip.tensor(piqs.ground(N1), piqs.excited(N2))
    tlist = np.linspace(0, 3, 16)
    e_ops = [ens.jz(0), ens.jz(1)]
    sup = twasolve(L, rho0, tlist, e_ops=e_ops, ntraj=ntraj, seeds=1)
    L_ens = ens.lowering(1.0)
    ref = twasolve(ens.jz(0) + ens.jz(1), ens.product(
        [piqs.ground(N1), piqs.excited(N2)]), tlist,
        [np.sqrt(gCE) * L_ens, np.sqrt(gCP) * L_ens.dag()], e_ops=e_ops,
        dephasing=gD, ntraj=ntraj, seeds=2)
    for k in range(2):
        se = np.hypot(sup.stderr_expect[k], ref.stderr_expect[k])
        assert np.all(np.abs(sup.expect[k] - ref.expect[k])
                      <= 4.5 * se + 1e-12), k
