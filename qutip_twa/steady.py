"""Steady states: run until the trajectory averages stop changing, then
average over trajectories and the late half of the run.

Each trajectory's average over the late half is one independent sample of
the stationary value, so the standard error over trajectories accounts for
the time correlations within a trajectory (docs/theory.md Section 12).
"""

from dataclasses import dataclass, field

import numpy as np

from .results import TwaResult

__all__ = ["SteadyStateResult", "relaxation_time", "steady"]

POINTS = 161     # output times of one run; the late half has 81
WINDOWS = 8      # sub-windows of the late half tested for drift
DRIFT_Z = 4.5    # largest sub-window deviation allowed, in standard errors
DOUBLINGS = 6    # default max_time: 2**DOUBLINGS times the first run


@dataclass
class SteadyStateResult:
    """Stationary expectation values of a TWA run.

    Attributes
    ----------
    e_data, stderr_e_data : dict
        Mean over trajectories and the averaging window, and its standard
        error, for each e_op key.
    stats : dict
        ``t_relax`` (start of the averaging window), ``t_end``,
        ``num_trajectories``, ``drift_z`` (largest deviation of a
        sub-window of the averaging window from the window mean, in
        standard errors) and ``runs`` (runs needed).
    dynamics : TwaResult
        The last run, over ``[0, t_end]``.
    """

    e_data: dict
    stderr_e_data: dict
    stats: dict = field(default_factory=dict)
    dynamics: TwaResult = None

    @property
    def expect(self):
        """list: ``e_data`` in e_op order."""
        return list(self.e_data.values())

    @property
    def stderr_expect(self):
        """list: ``stderr_e_data`` in e_op order."""
        return list(self.stderr_e_data.values())


def relaxation_time(model):
    """10 / the slowest dissipative rate of ``model``: a local rate, or a
    collective channel's squared coefficient times the largest N (times 1
    on a cavity mode)."""
    rates = list(model.local_rates[model.local_rates > 0])
    weight = np.where(model.n_emitters > 0, np.max(model.n_emitters), 1.0)
    kappa2 = ((np.abs(model.jumps) ** 2).sum(axis=2) * weight).max(axis=1) \
        if model.jumps.size else np.zeros(0)
    rates += list(kappa2[kappa2 > 0])
    if not rates:
        raise ValueError(
            "the system has no dissipation, so it has no steady state to "
            "relax to; give t_relax to average over a window anyway")
    return 10.0 / min(rates)


def steady(solver, state0, ntraj, *, e_ops, seeds, args, t_relax, max_time):
    """Run ``solver`` over [0, T] with T doubling from 2 t_relax until the
    late half [T/2, T] is stationary; see ``TwaSolver.steady``."""
    if t_relax is None:
        t_relax = relaxation_time(solver.model)
    t_end = 2.0 * t_relax
    if max_time is None:
        max_time = t_end * 2 ** DOUBLINGS
    opts = dict(solver.options, keep_runs_results=True, store_states=False)
    for runs in range(1, DOUBLINGS + 64):
        tlist = np.linspace(0.0, t_end, POINTS)
        result = solver._run(opts, state0, tlist, ntraj, args=args,
                             e_ops=e_ops, seeds=seeds)
        late = tlist >= t_end / 2
        z, key = _largest_drift(result.runs_e_data, late)
        if z <= DRIFT_Z:
            return _steady_result(result, late, z, runs)
        if 2 * t_end > max_time * (1 + 1e-12):
            raise RuntimeError(_not_stationary(result, key, late, z))
        t_end *= 2


def _window_means(runs, late):
    """(num_trajectories, WINDOWS) means of ``runs`` over the sub-windows
    of the late times, and the (num_trajectories,) means over all of them."""
    cols = np.array_split(np.flatnonzero(late), WINDOWS)
    parts = np.stack([runs[:, c].mean(axis=1) for c in cols], axis=1)
    return parts, runs[:, late].mean(axis=1)


def _stderr(x, axis=0):
    n = x.shape[axis]
    return np.std(x, axis=axis) / np.sqrt(max(n - 1, 1))


def _largest_drift(runs_e_data, late):
    """Largest |sub-window mean - window mean| / its standard error over
    the e_ops (real and imaginary parts), and that e_op's key."""
    worst, worst_key = 0.0, None
    for key, runs in runs_e_data.items():
        for part in (runs.real, runs.imag):
            windows, total = _window_means(part, late)
            dev = windows - total[:, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.abs(dev.mean(axis=0)) / _stderr(dev)
            z = np.nanmax(np.where(dev.any(axis=0), z, 0.0))
            if z > worst:
                worst, worst_key = float(z), key
    return worst, worst_key


def _steady_result(result, late, z, runs):
    means, errors = {}, {}
    for key, values in result.runs_e_data.items():
        sample = values[:, late].mean(axis=1)  # one per trajectory
        means[key], errors[key] = sample.mean(), float(_stderr(sample))
    stats = {"t_relax": float(result.times[np.argmax(late)]),
             "t_end": float(result.times[-1]),
             "num_trajectories": result.num_trajectories,
             "drift_z": z, "runs": runs}
    return SteadyStateResult(means, errors, stats, result)


def _not_stationary(result, key, late, z):
    """The error message of a run that did not become stationary: the
    period of the mean's strongest oscillation where it stands out."""
    t = result.times
    mean = result.average_e_data[key][late].real
    se = result.stderr_e_data[key][late].max()
    spectrum = np.abs(np.fft.rfft(mean - mean.mean())) * 2 / len(mean)
    k = int(np.argmax(spectrum[1:])) + 1
    what = "still drifts"
    if spectrum[k] > 4 * se and k > 1:
        period = (t[-1] - t[np.argmax(late)]) * len(mean) / (k * (len(mean) - 1))
        what = (f"oscillates with period {period:.3g} and amplitude "
                f"{spectrum[k]:.3g} (a limit cycle, as in a boundary time "
                "crystal?)")
    return (f"no steady state by t = {t[-1]:g}: e_ops[{key!r}] {what}; its "
            f"mean over a part of [{t[-1] / 2:g}, {t[-1]:g}] differs from the "
            f"mean over all of it by {z:.1f} standard errors.  Give a larger "
            "max_time, or use twasolve to follow the dynamics")
