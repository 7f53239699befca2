import pickle

import matplotlib
import numpy as np
import pytest
import qutip
from qutip.solver.multitrajresult import MultiTrajResult

from qutip_twa.results import TwaResult

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

TIMES = np.linspace(0.0, 2.0, 7)


def make_data(ntraj=23, n_eops=2, hermitian=(True, False), seed=1):
    """Per-trajectory values, shape (n_eops, ntraj, ntimes)."""
    rng = np.random.default_rng(seed)
    data = (rng.normal(size=(n_eops, ntraj, len(TIMES)))
            + 1j * rng.normal(size=(n_eops, ntraj, len(TIMES))))
    for i, h in enumerate(hermitian):
        if h:
            data[i] = data[i].real
    return data


def opts(keep=False, final=False):
    return {"keep_runs_results": keep, "store_final_state": final,
            "store_states": None}


def fill(result, data, block_sizes, diagnostics=None, final=False, offset=0):
    start = 0
    for size in block_sizes:
        block = data[:, start:start + size]
        diag = None
        if diagnostics is not None:
            diag = {k: v[start:start + size].sum(axis=0)
                    for k, v in diagnostics.items()}
        fs = None
        if final:
            fs = {"x": block[0, :, -1].real.copy(),
                  "z": (offset + np.arange(start, start + size))[:, None]
                  * np.ones(3)}
        result.add_block(block.sum(axis=1), (np.abs(block) ** 2).sum(axis=1),
                         size, runs=block, diagnostics=diag, final_state=fs)
        start += size
    assert start == data.shape[1]
    return result


def new(e_ops=("a", "b"), keep=False, final=False, hermitian=(True, False),
        stats=None):
    if isinstance(e_ops, tuple):
        e_ops = list(e_ops)
    return TwaResult(e_ops, opts(keep, final), stats=stats, times=TIMES,
                     hermitian=list(hermitian))


@pytest.mark.parametrize("blocks", [[23], [10, 10, 3], [1] * 23])
def test_statistics_match_numpy(blocks):
    data = make_data()
    res = fill(new(), data, blocks)
    assert res.num_trajectories == 23
    n = data.shape[1]
    for i in range(2):
        mean = data[i].mean(axis=0)
        std = data[i].std(axis=0)
        np.testing.assert_allclose(res.average_expect[i],
                                   mean.real if i == 0 else mean,
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(res.std_expect[i], std, rtol=0, atol=1e-12)
        np.testing.assert_allclose(res.stderr_expect[i],
                                   data[i].std(axis=0, ddof=1) / np.sqrt(n),
                                   rtol=0, atol=1e-12)
    assert np.isrealobj(res.average_expect[0])
    assert np.iscomplexobj(res.average_expect[1])
    assert np.isrealobj(res.std_expect[1])
    assert np.isrealobj(res.stderr_expect[1])
    # without kept runs, expect/e_data are the averages
    assert res.runs_e_data == {} and res.runs_expect == []
    assert list(res.e_data) == [0, 1]
    np.testing.assert_array_equal(res.expect[1], res.average_expect[1])
    assert res.e_data is not None and res.stderr_e_data.keys() == {0, 1}


def test_keys_and_single_eop():
    ops = {"sz": qutip.sigmaz(), "sx": qutip.sigmax()}
    res = TwaResult(ops, opts(), times=TIMES, hermitian=[True, True])
    fill(res, make_data(hermitian=(True, True)), [5, 18])
    assert list(res.e_data) == ["sz", "sx"]
    assert list(res.std_e_data) == ["sz", "sx"]
    assert res.e_ops == ops
    single = TwaResult(qutip.sigmaz(), opts(), times=TIMES, hermitian=[True])
    fill(single, make_data(ntraj=4, n_eops=1, hermitian=(True,)), [4])
    assert list(single.e_data) == [0]
    empty = TwaResult(None, opts(), times=TIMES, hermitian=[])
    empty.add_block(np.zeros((0, 7)), np.zeros((0, 7)), 3)
    assert empty.expect == [] and empty.e_data == {}
    with pytest.raises(ValueError):
        TwaResult([1, 2], opts(), times=TIMES, hermitian=[True])


def test_keep_runs():
    data = make_data()
    res = fill(new(keep=True), data, [10, 13])
    assert [r.shape for r in res.runs_expect] == [(23, 7), (23, 7)]
    np.testing.assert_array_equal(res.runs_expect[0], data[0].real)
    np.testing.assert_array_equal(res.runs_expect[1], data[1])
    assert np.isrealobj(res.runs_expect[0])
    # qutip: expect/e_data are the runs when they are kept
    assert res.expect[0].shape == (23, 7)
    np.testing.assert_array_equal(res.e_data[1], data[1])
    assert res.trajectories == []
    with pytest.raises(ValueError):
        new(keep=True).add_block(data[:, 0], np.abs(data[:, 0]) ** 2, 1)


def test_single_and_no_trajectory():
    res = new()
    assert np.all(np.isnan(res.stderr_expect[0]))
    fill(res, make_data(ntraj=1), [1])
    assert np.all(np.isinf(res.stderr_expect[0]))
    np.testing.assert_array_equal(res.std_expect[0], 0)


def test_identical_blocks_are_bit_identical():
    data = make_data(ntraj=40)
    a = fill(new(), data, [10, 10, 10, 10])
    b = fill(new(), data, [10, 10, 10, 10])
    for x, y in zip(a.average_expect + a.std_expect,
                    b.average_expect + b.std_expect):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("keep", [False, True])
def test_merge_equals_single_result(keep):
    """Equal to rounding: the merged sums are the sum of two running
    sums, which a single result adds in another order."""
    data = make_data(ntraj=30)
    diag = {"J_below_1": (np.abs(data[0]) < 1).astype(int)}
    full = fill(new(keep=keep, final=True, stats={"run time": 1.0}),
                data, [8, 8, 8, 6], diagnostics=diag, final=True)
    full.add_seeds(range(4))
    a = fill(new(keep=keep, final=True, stats={"run time": 0.5}),
             data[:, :16], [8, 8],
             diagnostics={k: v[:16] for k, v in diag.items()}, final=True)
    a.add_seeds([0, 1])
    b = fill(new(keep=keep, final=True, stats={"run time": 0.25}),
             data[:, 16:], [8, 6],
             diagnostics={k: v[16:] for k, v in diag.items()}, final=True,
             offset=16)
    b.add_seeds([2, 3])
    merged = a + b
    assert isinstance(merged, TwaResult)
    assert merged.num_trajectories == 30
    assert merged.seeds == [0, 1, 2, 3]
    for x, y in zip(merged.average_expect + merged.std_expect
                    + merged.stderr_expect,
                    full.average_expect + full.std_expect
                    + full.stderr_expect):
        np.testing.assert_allclose(x, y, rtol=1e-14, atol=1e-15)
    assert merged.stats["run time"] == 0.75
    assert merged.stats["end_condition"] == "Merged results"
    assert a.stats["run time"] == 0.5  # operands untouched
    np.testing.assert_array_equal(merged.stats["fraction_J_below_1"],
                                  full.stats["fraction_J_below_1"])
    for key in ("x", "z"):
        np.testing.assert_array_equal(merged.final_state[key],
                                      full.final_state[key])
    if keep:
        for x, y in zip(merged.runs_expect, full.runs_expect):
            np.testing.assert_array_equal(x, y)
    else:
        assert merged.runs_expect == []


def test_merge_runs_kept_on_one_side_only():
    data = make_data()
    a = fill(new(keep=True), data[:, :10], [10])
    b = fill(new(keep=False), data[:, 10:], [13])
    merged = a.merge(b)
    assert merged.runs_e_data == {}
    assert merged.options["keep_runs_results"] is False
    assert merged.expect[0].shape == (7,)


def test_merge_mismatch_raises():
    data = make_data()
    a = fill(new(), data, [23])
    other_times = TwaResult(["a", "b"], opts(), times=TIMES + 1,
                            hermitian=[True, False])
    with pytest.raises(ValueError, match="times"):
        a.merge(other_times)
    with pytest.raises(ValueError, match="e_ops"):
        a.merge(TwaResult({"x": 1, "y": 2}, opts(), times=TIMES,
                          hermitian=[True, False]))
    with pytest.raises(ValueError, match="e_ops"):
        TwaResult([qutip.sigmaz()], opts(), times=TIMES, hermitian=[True]) \
            .merge(TwaResult([qutip.sigmax()], opts(), times=TIMES,
                             hermitian=[True]))
    with pytest.raises(NotImplementedError):
        a.merge(fill(new(), data, [23]), p=0.3)
    with pytest.raises(TypeError):
        a + 1
    # the equal-weight p is accepted
    assert a.merge(fill(new(), data, [23]), p=0.5).num_trajectories == 46


def test_diagnostics_fraction():
    data = make_data(ntraj=20)
    flags = np.abs(data[0]) < 1
    res = fill(new(), data, [7, 7, 6],
               diagnostics={"J_below_1": flags.astype(int)})
    frac = res.stats["fraction_J_below_1"]
    assert isinstance(frac, np.ndarray) and frac.shape == (7,)
    np.testing.assert_allclose(frac, flags.mean(axis=0), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(res.diagnostic_counts["J_below_1"],
                                  flags.sum(axis=0))


def test_final_state():
    data = make_data()
    res = fill(new(final=True), data, [10, 13], final=True)
    fs = res.final_state
    assert fs["x"].shape == (23,) and fs["z"].shape == (23, 3)
    np.testing.assert_array_equal(fs["z"][:, 0], np.arange(23))
    assert res.runs_final_states is fs
    assert res.average_final_state is None
    assert new().final_state is None
    with pytest.raises(ValueError):
        new(final=True).add_block(data[:, 0], np.abs(data[:, 0]) ** 2, 1)


def test_states_and_repr_and_types():
    res = fill(new(stats={"run time": 0.1}), make_data(), [23])
    assert isinstance(res, MultiTrajResult)
    assert res.states == [] and res.average_states is None
    assert res.runs_states is None
    assert isinstance(res.times, list) and res.times == list(TIMES)
    text = repr(res)
    assert "TwaResult" in text and "Number of trajectories: 23" in text
    assert "State not saved." in text
    fres = fill(new(final=True), make_data(), [23], final=True)
    assert "Final state saved." in repr(fres)
    assert "Trajectories not saved." in text
    kres = fill(new(keep=True), make_data(), [23])
    assert "Trajectories saved" in repr(kres)
    with pytest.raises(NotImplementedError):
        res.add((0, None))
    clone = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(clone.average_expect[1],
                                  res.average_expect[1])


@pytest.mark.parametrize("band", [0, 2])
@pytest.mark.parametrize("separate", [False, True])
def test_plot_expect(band, separate):
    res = fill(new(keep=True), make_data(), [10, 13])
    fig, ax = res.plot_expect(stderr_band=band, separate_axes=separate,
                              show_trajectories=3)
    assert isinstance(fig, plt.Figure)
    axs = list(ax) if separate else [ax]
    n_lines = sum(len(a.get_lines()) for a in axs)
    assert n_lines == 2 * (1 + 3)
    n_bands = sum(len(a.collections) for a in axs)
    assert n_bands == (2 if band else 0)
    plt.close(fig)


def test_plot_expect_no_runs_and_no_eops():
    res = fill(new(), make_data(), [23])
    with pytest.warns(UserWarning):
        fig, ax = res.plot_expect(show_trajectories=2, stderr_band=1)
    assert len(ax.get_lines()) == 2
    plt.close(fig)
    # the parent's plotting also works (it warns on the complex e_op)
    with pytest.warns(np.exceptions.ComplexWarning):
        fig, ax = MultiTrajResult.plot_expect(res)
    plt.close(fig)
    with pytest.raises(ValueError):
        TwaResult(None, opts(), times=TIMES, hermitian=[]).plot_expect()
