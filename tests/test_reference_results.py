"""Reference-results guard: seeded runs of every input form, bit for bit.

Each case runs ``twasolve`` with a fixed seed and records what reaches the
engine (the model's arrays, the initial-state tables, the step plan) and
what comes back (means, standard errors, steps, fault counts).
``tests/data/reference_results.npz`` holds these from the engine of commit
b0d99ca (the cases of input forms added later from the commit that added
them), all regenerated when the default initial sampling became "moments"
and again when the integrator came to apply every rotation exactly (theory
Section 5.3) with steps per precession and per dissipation rate; a
refactoring of the pipeline must reproduce them exactly.
Regenerate cases (only for a deliberate change of results, said in the
commit) with ``python tests/test_reference_results.py [case ...]``.
"""

import pathlib
import warnings

import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import Ensembles, models, twasolve
from qutip_twa.engine import kernels

DATA = pathlib.Path(__file__).parent / "data" / "reference_results.npz"
N = 6
JX, JY, JZ = piqs.jspin(N)
JP, JM = piqs.jspin(N, "+"), piqs.jspin(N, "-")
LASER = piqs.Dicke(N, hamiltonian=0.5 * JX + 0.1 * JZ * JZ,
                   collective_emission=1.0, pumping=0.5 * N, emission=0.2,
                   dephasing=0.3, collective_dephasing=0.1,
                   collective_pumping=0.05)
T = np.linspace(0, 0.5, 6)
ENS3 = Ensembles([3, 2])
CHAIN = models.chain(6, 4, np.pi / 5, pumping=2.0, drive=0.3)


def _dense_pair():
    ens = Ensembles([2, 3, 2])
    H = ens.jx(0) * ens.jx(1) + 0.5 * ens.jz(1) * ens.jz(2) + ens.jz(0)
    return ens, H


def _cases():
    ens_dense, H_dense = _dense_pair()
    E1 = Ensembles([N])
    EC = Ensembles([N], modes=1)
    return {
        "dicke_object": lambda: twasolve(
            LASER, piqs.excited(N), T, e_ops=[JZ, JP * JM], ntraj=300,
            seeds=11),
        "liouvillian": lambda: twasolve(
            LASER.liouvillian(), piqs.excited(N), T, e_ops={"jz": JZ},
            ntraj=300, seeds=12),
        "dicke_qobj": lambda: twasolve(
            0.5 * JX + 0.2 * JZ ** 2, piqs.ground(N), T,
            [JM + 0.3, 0.4 * JZ], e_ops=[JZ, JX * JX], pumping=2.0,
            emission=0.5, ntraj=300, seeds=13),
        "time_dependent": lambda: twasolve(
            [0.3 * JZ, [JX, lambda t, args: np.cos(args["w"] * t)],
             [JY, "sin(w * t)"], [JZ * JZ, np.linspace(0, 1, len(T))]],
            piqs.css(N, np.pi / 3, 0.4, coordinates="polar"), T, [JM], args={"w": 2.0},
            e_ops=[JX, JZ], ntraj=300, seeds=14,
            options={"steps_per_rate": 20}),
        "tensor_qobj": lambda: twasolve(
            (0.5 * (ENS3.jp(0) * ENS3.jm(1) + ENS3.jp(1) * ENS3.jm(0))
             + ENS3.jz(0)).to_qobj(), ENS3.excited().to_qobj(), T,
            [ENS3.lowering([1.0, 1j]).to_qobj()],
            e_ops=[ENS3.jz(1).to_qobj()], pumping=[1.0, 0.5], ntraj=300,
            seeds=15),
        "chain_semiseparable": lambda: twasolve(
            CHAIN.H, Ensembles(4, M=6).ground(), T, CHAIN.c_ops,
            e_ops=CHAIN.e_ops(sites=False, momenta=[0.5]), ntraj=300,
            seeds=16, **CHAIN.rates),
        "dense_coupling": lambda: twasolve(
            H_dense, ens_dense.css(np.pi / 2, [0.0, 1.0, 2.0]), T,
            [ens_dense.lowering([1.0, -1.0, 0.5])],
            e_ops=[ens_dense.jz(1), ens_dense.jx(0) * ens_dense.jx(1)],
            dephasing=0.5, ntraj=300, seeds=17),
        "fixed_steps": lambda: twasolve(
            LASER, piqs.excited(N), T, e_ops=[JZ], ntraj=300, seeds=18,
            options={"adaptive": False, "dt": 0.004}),
        "faults_excluded": lambda: twasolve(
            piqs.Dicke(N, emission=5.0, pumping=5.0),
            piqs.excited(N), np.linspace(0, 5, 6), e_ops=[JZ], ntraj=512,
            seeds=19, options={"adaptive": False, "dt": 0.5,
                               "faults": "exclude"}),
        "callable_e_ops": lambda: twasolve(
            LASER, piqs.dicke(N, 2, 1), T,
            e_ops={"Sz": lambda t, s: s.Sz, "J": lambda t, s: s.J},
            ntraj=300, seeds=20),
        # input forms added after b0d99ca, stored when they were added
        "spin_j": lambda: twasolve(
            [qutip.jmat(2.5, "z") ** 2 / 5, [qutip.jmat(2.5, "x"),
                                             "cos(t)"]],
            qutip.spin_coherent(2.5, 1.0, 0.3), T,
            [0.3 * qutip.jmat(2.5, "-")], e_ops=[qutip.jmat(2.5, "z")],
            ntraj=300, seeds=22),
        "generic_liouvillian": lambda: twasolve(
            qutip.liouvillian(0.5 * JX, [0.7 * JM]), piqs.excited(N), T,
            [qutip.lindblad_dissipator(0.4 * JX)],
            e_ops=[qutip.QobjEvo(JZ), qutip.QobjEvo([[JX, "sin(t)"]])],
            pumping=0.5, ntraj=300, seeds=23),
        "ensembles_one": lambda: twasolve(
            E1.jx(0) + 0.1 * E1.jz(0) ** 2, E1.dicke(2, 0), T,
            [E1.lowering(1.0)], e_ops=[E1.jz(0), JP * JM], pumping=[2.0],
            ntraj=300, seeds=21),
        "cavity": lambda: twasolve(
            EC.a().dag() * EC.a() + EC.jz() + 0.5 * (
                EC.a().dag() * EC.jm() + EC.a() * EC.jp()),
            EC.excited().with_modes([0.3 + 0.1j]), T, [EC.a()],
            e_ops=[EC.a().dag() * EC.a(), EC.jz()], dephasing=0.2,
            ntraj=300, seeds=24),
    }


CASES = _cases()


def record(case):
    """(engine inputs, results) of one case, as dicts of arrays."""
    seen = {}
    originals = {name: getattr(kernels, name) for name in
                 ("sample_initial", "propagate", "propagate_adaptive")}

    def spy(name):
        def wrapped(*args):
            seen.setdefault(name, args)
            return originals[name](*args)
        return wrapped

    for name in originals:
        setattr(kernels, name, spy(name))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = CASES[case]()
    finally:
        for name, f in originals.items():
            setattr(kernels, name, f)
    inputs = {}
    for k, v in seen["sample_initial"][3]._asdict().items():
        inputs[f"init_{k}"] = np.asarray(v)
    if "propagate" in seen:
        args = seen["propagate"]
        model, plan = args[6], {"dt": args[4]}
    else:
        args = seen["propagate_adaptive"]
        model = args[8]
        plan = {"dt_max": args[4], "steps_per_rate": args[5][:2]}
    for k, v in model._asdict().items():
        inputs[f"model_{k}"] = np.asarray(v)
    for k, v in plan.items():
        inputs[f"plan_{k}"] = np.asarray(v)
    out = {}
    for i, k in enumerate(res.e_data):
        out[f"mean_{i}"] = np.asarray(res.expect[i])
        out[f"stderr_{i}"] = np.asarray(res.stderr_expect[i])
    out["steps"] = np.asarray(res.stats["steps"])
    out["faults"] = np.asarray(res.stats["faulty_trajectories"])
    out["ntraj"] = np.asarray(res.num_trajectories)
    return inputs, out


def _flat(case):
    inputs, out = record(case)
    return {**{f"{case}/in/{k}": v for k, v in inputs.items()},
            **{f"{case}/out/{k}": v for k, v in out.items()}}


@pytest.mark.parametrize("case", list(CASES))
def test_reference_results(case):
    stored = np.load(DATA)
    expected = {k: stored[k] for k in stored.files
                if k.startswith(case + "/")}
    assert expected, f"no stored reference for {case}"
    got = _flat(case)
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        assert got[key].dtype == value.dtype, key
        np.testing.assert_array_equal(got[key], value, err_msg=key,
                                      strict=True)


if __name__ == "__main__":
    import sys
    arrays = dict(np.load(DATA)) if DATA.exists() else {}
    for name in sys.argv[1:] or CASES:  # python ... [case ...]
        arrays = {k: v for k, v in arrays.items()
                  if not k.startswith(name + "/")}
        arrays.update(_flat(name))
    DATA.parent.mkdir(exist_ok=True)
    np.savez_compressed(DATA, **arrays)
    print(f"wrote {len(arrays)} arrays for {len(CASES)} cases to {DATA}")
