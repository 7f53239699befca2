"""Exact-versus-TWA comparison: the error table and the side-by-side plot."""

from dataclasses import dataclass

import numpy as np

from .results import TwaResult

__all__ = ["compare", "plot_comparison", "Comparison"]


@dataclass(frozen=True)
class Comparison:
    """Maximum deviations between an exact and a TWA result, per e_op.

    Attributes
    ----------
    keys : list
        The compared ``e_data`` keys.
    max_error : numpy.ndarray
        ``max_t |<TWA>(t) - exact(t)| / norm`` per key.
    time_of_max : numpy.ndarray
        The time at which that maximum is reached.
    max_stderr : numpy.ndarray
        ``max_t stderr(t) / norm``: the statistical part of the error.
    norms : numpy.ndarray
        The normalisation of each key.
    ntraj : int
        Number of trajectories of the TWA result.
    """

    keys: list
    max_error: np.ndarray
    time_of_max: np.ndarray
    max_stderr: np.ndarray
    norms: np.ndarray
    ntraj: int

    def __str__(self):
        width = max([len(str(k)) for k in self.keys] + [10])
        lines = [f"{'observable':<{width}}  {'max |TWA - exact|':>17}  "
                 f"{'at t':>9}  {'max stderr':>10}"]
        for k, err, t, se in zip(self.keys, self.max_error,
                                 self.time_of_max, self.max_stderr):
            lines.append(f"{str(k):<{width}}  {err:>17.4g}  {t:>9.4g}  "
                         f"{se:>10.2g}")
        lines.append(f"({self.ntraj} trajectories)")
        return "\n".join(lines)

    def __getitem__(self, key):
        """``max_error`` of one key."""
        return self.max_error[self.keys.index(key)]


def compare(exact, twa, *, keys=None, norms=None):
    """Maximum absolute deviation of a TWA result from an exact one.

    Parameters
    ----------
    exact : :class:`qutip.solver.Result` or dict
        An exact result (``mesolve``, ``population_solve``, ``pair_solve``
        ...) or a dict ``{key: array over times}``.
    twa : :class:`.TwaResult`
        The truncated-Wigner result, with the same times.
    keys : list, optional
        The ``e_data`` keys to compare; default: all keys of ``twa`` that
        ``exact`` has too.
    norms : float or dict, optional
        Divide both curves by this number (one for all keys, or per key)
        before comparing, for example ``N**2`` for ``<J+J->``.

    Returns
    -------
    Comparison
        ``print`` it for the error table.

    Raises
    ------
    TypeError
        If ``twa`` is not a :class:`.TwaResult` or ``exact`` is not a
        result or dict.
    ValueError
        If the times differ, or a key is missing from either result.
    """
    times, curves = _exact_curves(exact, twa)
    keys = _common_keys(curves, twa, keys)
    norm = _norms(norms, keys)
    err, at, se = [], [], []
    for k, n in zip(keys, norm):
        diff = np.abs(np.real(twa.average_e_data[k]) - np.real(curves[k])) / n
        i = int(np.argmax(diff))
        err.append(diff[i])
        at.append(times[i])
        se.append(np.max(twa.stderr_e_data[k]) / n)
    return Comparison(list(keys), np.array(err), np.array(at), np.array(se),
                      norm, twa.num_trajectories)


def plot_comparison(exact, twa, *, keys=None, norms=None, labels=None,
                    time_scale=1.0, xlabel="Time", logx=False, band=2.0,
                    axes=None, exact_label="exact", twa_label="TWA"):
    """Exact curves (lines) and TWA averages with standard-error bands.

    Parameters
    ----------
    exact : :class:`qutip.solver.Result`, dict or None
        The exact result as in :func:`compare`; None plots the TWA alone
        (for sizes no exact solver reaches).
    twa : :class:`.TwaResult`
        The truncated-Wigner result.
    keys : list, optional
        The ``e_data`` keys to plot, one axes each; default: all of ``twa``'s
        keys (that ``exact`` has, if given).
    norms : float or dict, optional
        Divide the curves by these numbers (see :func:`compare`).
    labels : list of str, optional
        y-axis labels, one per key; default: the keys.
    time_scale : float, default 1.0
        Plot ``time_scale * t`` on the x axis (for example ``N`` for N G t).
    xlabel : str, default "Time"
        The x-axis label.
    logx : bool, default False
        Logarithmic time axis (the t = 0 point is then left out).
    band : float, default 2.0
        Half-width of the shaded band in standard errors; 0 for none.
    axes : sequence of matplotlib Axes, optional
        Where to draw, one per key; default: a new figure with one row.
    exact_label, twa_label : str
        Legend entries.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : numpy.ndarray of Axes

    Raises
    ------
    TypeError, ValueError
        As :func:`compare`, and if ``axes`` or ``labels`` do not have one
        entry per key or ``band`` is negative.
    """
    import matplotlib.pyplot as plt

    if exact is None:
        _check_twa(twa)
        curves = {}
        keys = list(twa.e_data) if keys is None else list(keys)
        _check_keys(keys, twa.e_data, "twa")
    else:
        _, curves = _exact_curves(exact, twa)
        keys = _common_keys(curves, twa, keys)
    norm = _norms(norms, keys)
    labels = [str(k) for k in keys] if labels is None else list(labels)
    if len(labels) != len(keys):
        raise ValueError(f"labels has {len(labels)} entries for "
                         f"{len(keys)} keys")
    if not (np.isfinite(band) and band >= 0):
        raise ValueError(f"band must be a non-negative number of standard "
                         f"errors, got {band!r}")
    if axes is None:
        fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.6),
                                 squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(np.asarray(axes, dtype=object))
        if len(axes) != len(keys):
            raise ValueError(f"axes has {len(axes)} entries for "
                             f"{len(keys)} keys")
        fig = axes[0].get_figure()
    x = time_scale * np.asarray(twa.times)
    shown = x > 0 if logx else np.ones(len(x), dtype=bool)
    for ax, k, n, label in zip(axes, keys, norm, labels):
        mean = np.real(twa.average_e_data[k])[shown] / n
        err = twa.stderr_e_data[k][shown] / n
        if k in curves:
            ax.plot(x[shown], np.real(curves[k])[shown] / n, "k-", lw=1.5,
                    label=exact_label)
        (line,) = ax.plot(x[shown], mean, "--", lw=1.5, label=twa_label)
        if band > 0:
            ax.fill_between(x[shown], mean - band * err, mean + band * err,
                            color=line.get_color(), alpha=0.3, lw=0,
                            label=f"TWA ± {band:g} s.e.")
        if logx:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(plt.NullFormatter())
        ax.set_xlabel(xlabel)
        ax.set_ylabel(label)
    axes[0].legend()
    fig.tight_layout()
    return fig, axes


def _check_twa(twa):
    if not isinstance(twa, TwaResult):
        raise TypeError(f"twa must be a TwaResult (from twasolve), got "
                        f"{type(twa).__name__}")


def _exact_curves(exact, twa):
    """The exact times (those of ``twa``) and ``{key: curve}``."""
    _check_twa(twa)
    times = np.asarray(twa.times)
    if isinstance(exact, dict):
        curves = exact
    elif hasattr(exact, "e_data") and hasattr(exact, "times"):
        if not (len(exact.times) == len(times)
                and np.allclose(exact.times, times, rtol=1e-9, atol=0)):
            raise ValueError("exact and twa must have the same times "
                             "(use the same tlist for both solvers)")
        curves = exact.e_data
    else:
        raise TypeError(f"exact must be a qutip Result (mesolve, "
                        f"population_solve, ...) or a dict of arrays, got "
                        f"{type(exact).__name__}")
    for k, v in curves.items():
        if np.shape(v) != times.shape:
            raise ValueError(f"exact[{k!r}] has shape {np.shape(v)}, "
                             f"expected one value per time {times.shape}")
    return times, curves


def _check_keys(keys, data, name):
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"keys {missing} are not in {name}'s e_data "
                         f"(it has {list(data)})")


def _common_keys(curves, twa, keys):
    if keys is None:
        keys = [k for k in twa.e_data if k in curves]
        if not keys:
            raise ValueError(f"exact and twa have no e_data key in common "
                             f"(exact: {list(curves)}, twa: "
                             f"{list(twa.e_data)})")
        return keys
    keys = list(keys)
    _check_keys(keys, curves, "exact")
    _check_keys(keys, twa.e_data, "twa")
    return keys


def _norms(norms, keys):
    if norms is None:
        values = [1.0] * len(keys)
    elif isinstance(norms, dict):
        values = [norms.get(k, 1.0) for k in keys]
    else:
        values = [norms] * len(keys)
    try:
        values = np.array(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"norms must be a number or a dict of numbers, got "
                        f"{norms!r}") from None
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"norms must be positive and finite, got {norms!r}")
    return values
