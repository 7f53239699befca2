"""Seeds, batching, threads, merging, target_tol, timeout and options."""

import numpy as np
import qutip
from qutip import piqs

from qutip_twa import TwaResult, twasolve
from qutip_twa.run import batches

N = 8
SYSTEM = piqs.Dicke(N, hamiltonian=N * piqs.jspin(N, "x"),
                    collective_emission=1.0, pumping=0.5 * N)
JZ = piqs.jspin(N, "z")
T = np.linspace(0, 2 / N, 9)


def run(ntraj=600, seeds=3, **options):
    return twasolve(SYSTEM, piqs.excited(N), T, e_ops=[JZ], ntraj=ntraj,
                    seeds=seeds, options=options)


def _record_batches(monkeypatch):
    """The sizes of the batches run from now on, as a list."""
    calls = []
    original = batches.BatchJob.__call__

    def recorded(self, first, count):
        calls.append(count)
        return original(self, first, count)

    monkeypatch.setattr(batches.BatchJob, "__call__", recorded)
    return calls


def test_bit_identical_whatever_batching_and_threads():
    ref = run()
    for opts in [dict(batch_size=256), dict(map="serial"),
                 dict(num_cpus=1, batch_size=512)]:
        other = run(**opts)
        assert np.array_equal(other.expect[0], ref.expect[0]), opts
        assert np.array_equal(other.stderr_expect[0], ref.stderr_expect[0])


def test_bit_identical_over_worker_processes():
    ref = run(ntraj=1000)
    for workers in (1, 3):
        other = run(ntraj=1000, map="loky", num_cpus=workers)
        assert np.array_equal(other.expect[0], ref.expect[0]), workers
        assert np.array_equal(other.stderr_expect[0], ref.stderr_expect[0])
        assert other.num_trajectories == 1000
        assert other.stats["steps"] == ref.stats["steps"]


def test_batches_shrink_to_bound_memory(monkeypatch):
    """Batches hold every e_op value at every time: they shrink (whole
    256-blocks) to stay below batches.BATCH_VALUES_BYTES, with the same
    result."""
    ref = run(ntraj=1000)
    per_traj = 16 * len(T)  # one e_op
    monkeypatch.setattr(batches, "BATCH_VALUES_BYTES", 300 * per_traj)
    calls = _record_batches(monkeypatch)
    small = run(ntraj=1000)
    assert calls == [256, 256, 256, 232]
    assert np.array_equal(small.expect[0], ref.expect[0])


def test_seeds_differ_and_results_merge():
    a, b = run(seeds=1), run(seeds=2)
    assert not np.array_equal(a.expect[0], b.expect[0])
    merged = a + b
    assert isinstance(merged, TwaResult)
    assert merged.num_trajectories == 1200
    np.testing.assert_allclose(merged.expect[0],
                               (a.expect[0] + b.expect[0]) / 2, rtol=1e-12)
    assert len(merged.seeds) == 2
    again = run(seeds=a.seeds[0])
    assert np.array_equal(again.expect[0], a.expect[0])


def test_target_tol_stops_early_and_timeout_returns_partial():
    res = twasolve(SYSTEM, piqs.excited(N), T, e_ops=[JZ], ntraj=100000,
                   seeds=1, target_tol=0.05, options={"batch_size": 256})
    assert res.num_trajectories < 100000
    assert np.all(res.stderr_expect[0] <= 0.05)
    assert res.stats["end_condition"] == "target tolerance reached"
    res = twasolve(SYSTEM, piqs.excited(N), T, e_ops=[JZ], ntraj=10 ** 7,
                   seeds=1, timeout=0.0, options={"batch_size": 256})
    assert res.num_trajectories == 256
    assert res.stats["end_condition"] == "timeout"


def test_keep_runs_and_final_state_and_validity_fraction():
    res = run(ntraj=300, keep_runs_results=True, store_final_state=True)
    assert res.runs_expect[0].shape == (300, len(T))
    np.testing.assert_allclose(res.average_expect[0],
                               res.runs_expect[0].mean(axis=0), rtol=1e-12)
    assert res.final_state["a"].shape == (300, 1)
    frac = res.stats["fraction_J_below_1"]
    assert frac.shape == (len(T),) and np.all((0 <= frac) & (frac <= 1))


def test_validity_fraction_counts_small_J():
    """J = 0 samples two vacuum modes: J = (|a|^2 + |b|^2 - 1)/2 is below 1
    unless |a|^2 + |b|^2 > 3, probability (1 + 6) e^-6 = 1.7% (exponential
    sum of two); the excited state never is."""
    res = twasolve(0 * JZ, piqs.dicke(N, 0, 0), T[:1], e_ops=[JZ],
                   ntraj=20000, seeds=1)
    assert abs(res.stats["fraction_J_below_1"][0] - (1 - 7 * np.exp(-6))) \
        < 4 * np.sqrt(7 * np.exp(-6) / 20000)
    res = twasolve(0 * JZ, piqs.excited(N), T[:1], e_ops=[JZ], ntraj=256,
                   seeds=1)
    assert res.stats["fraction_J_below_1"][0] == 0.0


def test_qutip_about_lists_the_package(capsys):
    qutip.about()
    assert "qutip-twa" in capsys.readouterr().out


def test_progress_bar_and_plot(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    res = twasolve(SYSTEM, piqs.excited(N), T, e_ops={"Jz": JZ}, ntraj=256,
                   seeds=1, options={"progress_bar": "text"})
    fig, ax = res.plot_expect(stderr_band=2)
    fig.savefig(tmp_path / "plot.png")
    assert (tmp_path / "plot.png").stat().st_size > 0


def test_target_tol_stops_at_the_same_trajectory_whatever_the_batching():
    """The end condition is checked after every 256-block in trajectory
    order, so the stopping point and the result do not depend on the
    batch size."""
    runs = [twasolve(SYSTEM, piqs.excited(N), T, e_ops=[JZ], ntraj=100000,
                     seeds=1, target_tol=0.03,
                     options={"batch_size": size})
            for size in (256, 2048, 8192)]
    assert runs[0].stats["end_condition"] == "target tolerance reached"
    for res in runs[1:]:
        assert res.num_trajectories == runs[0].num_trajectories
        np.testing.assert_array_equal(res.expect[0], runs[0].expect[0])


def test_default_batches_let_timeout_and_interrupts_return(monkeypatch):
    """By default a run is split into about eight batches (at least 256
    trajectories per thread), with the same result as other batches."""
    calls = _record_batches(monkeypatch)
    res = run(ntraj=4096)
    assert len(calls) >= 4 and sum(calls) == 4096
    small = run(ntraj=4096, batch_size=256)
    np.testing.assert_array_equal(res.expect[0], small.expect[0])
