"""compare / plot_comparison: the exact-versus-TWA table and plot."""

import matplotlib
import numpy as np
import pytest
import qutip
from qutip import piqs

from qutip_twa import compare, plot_comparison, twasolve
from conftest import assert_close_to_exact

matplotlib.use("Agg")

N = 10
TLIST = np.linspace(0, 8 / N, 41)
E_OPS = {"I": piqs.jspin(N, "+") * piqs.jspin(N, "-"),
         "jz": piqs.jspin(N, "z")}
NORMS = {"I": N ** 2, "jz": N}


@pytest.fixture(scope="module")
def laser(ntraj):
    system = piqs.Dicke(N, collective_emission=1.0, pumping=0.25 * N)
    exact = qutip.mesolve(system.liouvillian(), piqs.excited(N), TLIST,
                          e_ops=E_OPS)
    twa = twasolve(system, piqs.excited(N), TLIST, e_ops=E_OPS, ntraj=ntraj,
                   seeds=1)
    return exact, twa


def test_table_matches_direct_computation(laser):
    exact, twa = laser
    table = compare(exact, twa, norms=NORMS)
    assert table.keys == ["I", "jz"]
    assert table.ntraj == twa.num_trajectories
    for k in table.keys:
        diff = np.abs(twa.average_e_data[k] - exact.e_data[k]) / NORMS[k]
        assert table[k] == pytest.approx(diff.max(), rel=1e-12)
        assert table.time_of_max[table.keys.index(k)] == \
            TLIST[np.argmax(diff)]
        assert table.max_stderr[table.keys.index(k)] == pytest.approx(
            np.max(twa.stderr_e_data[k]) / NORMS[k])
    text = str(table)
    assert "max |TWA - exact|" in text and "jz" in text


def test_table_of_the_laser_is_within_the_budget(laser):
    """The N = 10 laser budget of docs/theory.md Section 8 (0.009 in <J+J->/N^2)."""
    exact, twa = laser
    table = compare(exact, twa, keys=["I"], norms=N ** 2)
    assert_close_to_exact(twa.average_e_data["I"] / N ** 2,
                          twa.stderr_e_data["I"] / N ** 2,
                          np.real(exact.e_data["I"]) / N ** 2, 0.009, "laser")
    assert table["I"] <= 0.009 + 4 * table.max_stderr[0]


def test_a_known_offset_is_found(laser):
    _, twa = laser
    shifted = {k: np.real(v) + 0.5 * (np.arange(len(TLIST)) == 7)
               for k, v in twa.average_e_data.items()}
    table = compare(shifted, twa)
    np.testing.assert_allclose(table.max_error, 0.5)
    assert np.all(table.time_of_max == TLIST[7])


def test_plot_draws_normalised_curves_and_band(laser):
    exact, twa = laser
    fig, axes = plot_comparison(exact, twa, norms=NORMS, time_scale=N,
                                band=2)
    assert len(axes) == 2
    exact_line, twa_line = axes[0].get_lines()[:2]
    np.testing.assert_allclose(exact_line.get_xdata(), N * TLIST)
    np.testing.assert_allclose(exact_line.get_ydata(),
                               np.real(exact.e_data["I"]) / N ** 2)
    np.testing.assert_allclose(twa_line.get_ydata(),
                               twa.average_e_data["I"] / N ** 2)
    assert len(axes[0].collections) == 1  # the band
    matplotlib.pyplot.close(fig)


def test_plot_twa_alone_and_log_time(laser):
    _, twa = laser
    fig, axes = plot_comparison(None, twa, keys=["jz"], logx=True, band=0)
    (line,) = axes[0].get_lines()
    assert len(line.get_xdata()) == len(TLIST) - 1  # t = 0 left out
    assert axes[0].get_xscale() == "log" and not axes[0].collections
    matplotlib.pyplot.close(fig)


@pytest.mark.parametrize("call, error, match", [
    (lambda ex, tw: compare(ex, ex), TypeError, "twa must be a TwaResult"),
    (lambda ex, tw: compare([1, 2], tw), TypeError, "exact must be"),
    (lambda ex, tw: compare(ex, tw, keys=["nope"]), ValueError,
     "not in exact"),
    (lambda ex, tw: compare({"x": np.zeros(41)}, tw), ValueError,
     "no e_data key in common"),
    (lambda ex, tw: compare({"I": np.zeros(3)}, tw), ValueError, "shape"),
    (lambda ex, tw: compare(ex, tw, norms=-1), ValueError, "norms"),
    (lambda ex, tw: compare(ex, tw, norms="big"), TypeError, "norms"),
    (lambda ex, tw: plot_comparison(ex, tw, band=-1), ValueError, "band"),
    (lambda ex, tw: plot_comparison(ex, tw, labels=["a"]), ValueError,
     "labels"),
    (lambda ex, tw: plot_comparison(None, tw, keys=[5]), ValueError,
     "not in twa"),
])
def test_bad_input(laser, call, error, match):
    with pytest.raises(error, match=match):
        call(*laser)


def test_different_times_are_rejected(laser):
    exact, twa = laser
    other = qutip.mesolve(piqs.Dicke(N, collective_emission=1.0)
                          .liouvillian(), piqs.excited(N), TLIST[:-1],
                          e_ops=E_OPS)
    with pytest.raises(ValueError, match="same times"):
        compare(other, twa)
