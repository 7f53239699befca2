"""Result class of ``twasolve``: trajectory statistics kept as block sums.

:class:`TwaResult` behaves like qutip's
:class:`~qutip.solver.multitrajresult.MultiTrajResult` for users (same
``expect``/``e_data``/``average_*``/``std_*``/``runs_*`` attributes, ``merge``,
``+``, ``plot_expect``, ``repr``), but it never holds one Python object per
trajectory. The solver runs the trajectories in blocks and hands over, per
block, the sums of the e_op values and of their squared moduli, which are
added in block order: memory does not grow with the number of trajectories
unless per-trajectory values or states are kept on request.
"""

import time
import warnings

import numpy as np
from qutip import Qobj
from qutip.solver.multitrajresult import MultiTrajResult

from ..checks import check_seconds
from .expect import e_ops_dict
from .sample import PhaseSpaceSample

__all__ = ["TwaResult"]


def _concat(chunks):
    """Concatenate along axis 0 a list of arrays or of dicts of arrays."""
    if isinstance(chunks[0], dict):
        return {key: np.concatenate([c[key] for c in chunks], axis=0)
                for key in chunks[0]}
    return np.concatenate(chunks, axis=0)


class TwaResult(MultiTrajResult):
    """Result of a truncated-Wigner (``twasolve``) simulation.

    Parameters
    ----------
    e_ops : :obj:`.Qobj`, callable, list or dict of these, or None
        The e_ops given to the solver. The keys of ``e_data`` follow qutip:
        the indices ``0..n-1`` for a list, the keys of a dict, ``0`` for a
        single item.
    options : dict
        Result options; ``"keep_runs_results"``, ``"store_final_state"``
        and ``"store_states"`` (phase-space samples at every output time:
        TWA has no density matrices) are read.
    solver : str, default "twasolve"
        Name of the solver.
    stats : dict, optional
        Solver statistics, updated in place by the solver.
    times : array_like
        The output times (1d).
    hermitian : list of bool
        One flag per e_op, in key order: True gives real arrays for that
        e_op, False complex ones.

    Attributes
    ----------
    times : list of float
        Output times.
    num_trajectories : int
        Number of trajectories added.
    seeds : list
        Seeds of the trajectories (or blocks), as the solver records them.
    stats : dict
        Solver stats. For every diagnostic ``name`` given to
        :meth:`add_block`, ``stats["fraction_" + name]`` is the array (one
        value per time) of the fraction of trajectories with that property,
        or, for a value with its squares, ``stats["mean_" + name]`` and
        ``stats["stderr_" + name]`` its mean and standard error.
    trajectories : list
        Always empty: no per-trajectory result objects exist.

    Notes
    -----
    ``std_expect`` is the population standard deviation
    ``sqrt(max(<|x|^2> - |<x>|^2, 0))`` over trajectories, as in qutip.
    ``stderr_expect`` is the unbiased standard error of the mean,
    ``std * sqrt(n / (n - 1)) / sqrt(n) = std / sqrt(n - 1)`` (``inf`` for a
    single trajectory, ``nan`` for none). For complex e_ops both refer to the
    modulus of the deviation, ``|x - <x>|``.
    """

    def __init__(self, e_ops, options, *, solver="twasolve", stats=None,
                 times, hermitian):
        options = dict(options)
        options["store_states"] = bool(options.get("store_states"))
        options.setdefault("keep_runs_results", False)
        options.setdefault("store_final_state", False)
        super().__init__(e_ops_dict(e_ops), options, solver=solver,
                         stats=stats, times=times, hermitian=hermitian)

    def _post_init(self, times, hermitian):
        """Set up the block sums (called by ``MultiTrajResult.__init__``)."""
        self.e_ops = dict(self._raw_ops)
        times = np.asarray(times, dtype=float)
        if times.ndim != 1:
            raise ValueError("times must be a 1d array")
        self.times = times.tolist()
        self._hermitian = [bool(h) for h in hermitian]
        if len(self._hermitian) != len(self._raw_ops):
            raise ValueError(
                f"hermitian has {len(self._hermitian)} entries for "
                f"{len(self._raw_ops)} e_ops")
        self.trajectories = []
        self.deterministic_trajectories = []
        self._deterministic_weight_info = []
        self.num_trajectories = 0
        self.seeds = []
        # sums over all blocks, added in block order: memory does not grow
        # with the number of trajectories
        self._sum = np.zeros((len(self._raw_ops), len(self.times)), complex)
        self._sumsq = np.zeros((len(self._raw_ops), len(self.times)))
        self._runs = []          # per block: complex (n_eops, count, n_times)
        self._final = []         # per block: dict of arrays (or arrays)
        self._states = []        # per block: dict of arrays (count, nt, M)
        self._diag_counts = {}   # name -> int array (n_times,)
        self._cache = None
        self._target_ntraj = None
        self._target_tols = None
        self._deadline = None
        self.stats.setdefault("end_condition", "unknown")

    # ------------------------------------------------------------------
    # stopping rules
    # ------------------------------------------------------------------
    def add_end_condition(self, ntraj, target_tol=None, timeout=None):
        """Set when the solver stops adding trajectories.

        Parameters
        ----------
        ntraj : int
            Number of trajectories (the maximum when ``target_tol`` is set).
        target_tol : float, (atol, rtol) or list of those, optional
            Stop once every standard error is below ``atol + rtol |mean|``
            (one pair for all e_ops or one per e_op).
        timeout : float, optional
            Stop once this many seconds have passed since this call.
        """
        self._target_ntraj = int(ntraj)
        self._target_tols = _tolerances(target_tol, len(self._raw_ops))
        timeout = check_seconds("timeout", timeout)
        self._deadline = None if timeout is None else time.time() + timeout

    def end_condition(self, ntraj_run=None, clock=True):
        """Why the solver should stop now ("target tolerance reached",
        "timeout", "ntraj reached"), or None to go on.

        ``ntraj_run`` counts the trajectories run so far, excluded faulty
        ones included (default: ``num_trajectories``); ``clock=False``
        leaves out the timeout.
        """
        if self._target_tols is not None and self.num_trajectories and all(
                np.all(err <= atol + rtol * np.abs(mean))
                for mean, err, (atol, rtol) in zip(
                    self.average_expect, self.stderr_expect,
                    self._target_tols)):
            return "target tolerance reached"
        if clock and self._deadline is not None \
                and time.time() > self._deadline:
            return "timeout"
        if ntraj_run is None:
            ntraj_run = self.num_trajectories
        if ntraj_run >= (self._target_ntraj or 0):
            return "ntraj reached"
        return None

    # ------------------------------------------------------------------
    # filling
    # ------------------------------------------------------------------
    def add_block(self, sums, sumsq, count, runs=None, diagnostics=None,
                  final_state=None, states=None):
        """Add the statistics of one block of trajectories.

        Parameters
        ----------
        sums : array_like, complex, shape (n_eops, n_times)
            Sum over the block's trajectories of the e_op values.
        sumsq : array_like, real, shape (n_eops, n_times)
            Sum over the block's trajectories of ``|value|**2``.
        count : int
            Number of trajectories in the block.
        runs : array_like, complex, shape (n_eops, count, n_times), optional
            Per-trajectory values; required (and only kept) when the option
            ``keep_runs_results`` is set.
        diagnostics : dict of str to array of shape (n_times,), optional
            Sums over the block's trajectories at each time: a count of
            trajectories with some property, accumulated into
            ``stats["fraction_" + name]``, or a value together with its
            squares under ``name + "_sq"``, accumulated into
            ``stats["mean_" + name]`` and ``stats["stderr_" + name]``.
        final_state : dict of arrays or array, optional
            Final phase-space samples of the block (trajectory axis first);
            kept when the option ``store_final_state`` is set.
        states : dict of arrays, optional
            Amplitudes ``{"a": ..., "b": ...}`` of shape (count, n_times, M)
            at every output time; kept when the option ``store_states`` is
            set.
        """
        count = int(count)
        if count <= 0:
            raise ValueError("a block needs at least one trajectory")
        shape = (len(self._raw_ops), len(self.times))
        sums = np.array(sums, dtype=complex).reshape(shape)
        sumsq = np.array(sumsq, dtype=float).reshape(shape)
        if self.options["keep_runs_results"]:
            if runs is None:
                raise ValueError("keep_runs_results is set: runs are needed")
            runs = np.array(runs, dtype=complex)
            if runs.shape != (shape[0], count, shape[1]):
                raise ValueError(
                    f"runs has shape {runs.shape}, expected "
                    f"{(shape[0], count, shape[1])}")
            self._runs.append(runs)
        if self.options["store_final_state"]:
            if final_state is None:
                raise ValueError("store_final_state is set: final_state is "
                                 "needed")
            self._final.append(final_state)
        if self.options["store_states"]:
            if states is None:
                raise ValueError("store_states is set: states are needed")
            self._states.append(states)
        self._sum += sums
        self._sumsq += sumsq
        self.num_trajectories += count
        for name, counts in (diagnostics or {}).items():
            counts = np.asarray(counts)
            prev = self._diag_counts.get(name)
            self._diag_counts[name] = counts.copy() if prev is None \
                else prev + counts
        self._update_diagnostics()
        self._cache = None

    def add_seeds(self, seeds):
        """Append ``seeds`` (an iterable) to :attr:`seeds`."""
        self.seeds.extend(seeds)

    def add(self, trajectory_info):
        """Not supported: TWA results are filled with :meth:`add_block`."""
        raise NotImplementedError("TwaResult is filled with add_block")

    def _update_diagnostics(self):
        """Diagnostic sums -> stats: ``fraction_<name>`` for a count,
        ``mean_<name>`` and ``stderr_<name>`` for a value whose squares
        come as ``<name>_sq``."""
        n = self.num_trajectories
        nan = np.full(len(self.times), np.nan)
        sums = self._diag_counts
        for name, total in sums.items():
            if name.endswith("_sq"):
                continue
            mean = total / n if n else nan
            if name + "_sq" not in sums:
                self.stats[f"fraction_{name}"] = mean
                continue
            self.stats[f"mean_{name}"] = mean
            var = np.maximum(sums[name + "_sq"] / n - mean ** 2, 0) if n \
                else nan
            self.stats[f"stderr_{name}"] = np.sqrt(var / (n - 1)) \
                if n > 1 else np.full(len(self.times), np.inf)

    @property
    def diagnostic_counts(self):
        """dict: for each diagnostic, the number of trajectories per time."""
        return {k: v.copy() for k, v in self._diag_counts.items()}

    # ------------------------------------------------------------------
    # statistics
    # ------------------------------------------------------------------
    def _compute(self):
        if self._cache is not None:
            return self._cache
        n, nt = self.num_trajectories, len(self.times)
        avg, std, err = {}, {}, {}
        if n:
            mean = self._sum / n
            var = self._sumsq / n - np.abs(mean) ** 2
            sd = np.sqrt(np.maximum(var, 0.0))
            se = sd / np.sqrt(n - 1) if n > 1 else np.full_like(sd, np.inf)
        else:
            mean = np.full((len(self._raw_ops), nt), np.nan, dtype=complex)
            sd = se = np.full(mean.shape, np.nan)
        for i, k in enumerate(self._raw_ops):
            avg[k] = mean[i].real.copy() if self._hermitian[i] else mean[i]
            std[k] = sd[i]
            err[k] = se[i]
        self._cache = avg, std, err
        return self._cache

    @property
    def average_e_data(self):
        """dict: trajectory average of each e_op (array over times)."""
        return self._compute()[0]

    @property
    def std_e_data(self):
        """dict: population standard deviation of each e_op over the
        trajectories (real array over times)."""
        return self._compute()[1]

    @property
    def stderr_e_data(self):
        """dict: unbiased standard error of the mean of each e_op,
        ``std / sqrt(n - 1)`` (real array over times)."""
        return self._compute()[2]

    @property
    def runs_e_data(self):
        """dict: per-trajectory values of each e_op as arrays of shape
        ``(num_trajectories, n_times)``; ``{}`` unless ``keep_runs_results``
        was set."""
        if not (self.options["keep_runs_results"] and self._runs):
            return {}
        if len(self._runs) > 1:
            self._runs = [np.concatenate(self._runs, axis=1)]
        out = {}
        for i, k in enumerate(self._raw_ops):
            view = self._runs[0][i]  # read-only views: no copy of the runs
            view = view.real if self._hermitian[i] else view[...]
            view.flags.writeable = False
            out[k] = view
        return out

    @runs_e_data.setter
    def runs_e_data(self, value):
        """``MultiTrajResult.__init__`` starts it empty; the values come
        from the kept blocks, so nothing else may be set."""
        if value and any(value.values()):
            raise AttributeError("runs_e_data is read from the kept runs")

    @property
    def stderr_expect(self):
        """list of arrays: ``stderr_e_data`` in e_op order."""
        return [np.array(v) for v in self.stderr_e_data.values()]

    @property
    def runs_weights(self):
        """list: the weight ``1 / n`` of each trajectory in the averages."""
        n = self.num_trajectories
        return [1 / n] * n

    # ------------------------------------------------------------------
    # states: TWA has phase-space samples, no density matrices
    # ------------------------------------------------------------------
    @property
    def runs_final_states(self):
        """Final phase-space samples (dict of arrays, trajectory axis first),
        or None if not stored."""
        if not self._final:
            return None
        if len(self._final) > 1:
            self._final = [_concat(self._final)]
        return self._final[0]

    @property
    def final_state(self):
        """Same as :attr:`runs_final_states`."""
        return self.runs_final_states

    @property
    def average_final_state(self):
        """None: no density matrix exists in TWA."""
        return None

    @property
    def average_states(self):
        """None: no density matrix exists in TWA."""
        return None

    @property
    def states(self):
        """Phase-space samples at every output time (with the option
        ``store_states``, the default when there are no e_ops): a list of
        :class:`PhaseSpaceSample`, one per time, each holding every kept
        trajectory; ``[]`` if not stored.  They are not density matrices
        (the TWA has none): use their arrays (``Sz``, ``J``, ``a``, ...) or
        give e_ops."""
        if not self._states:
            return []
        if len(self._states) > 1:
            self._states = [_concat(self._states)]
        a, b = self._states[0]["a"], self._states[0]["b"]
        return [PhaseSpaceSample(a[:, i], b[:, i])
                for i in range(a.shape[1])]

    @property
    def runs_states(self):
        """Same as :attr:`states` (each sample holds every trajectory), or
        None if not stored."""
        return self.states or None

    # ------------------------------------------------------------------
    # merging
    # ------------------------------------------------------------------
    def merge(self, other, p=None):
        """Merge two results of the same simulation set-up.

        The merged sums are those of ``self`` plus those of ``other``: they
        equal the sums of a result filled with all the blocks in order up
        to floating-point rounding (relative 1e-16), not bit for bit; kept
        runs and states are concatenated in that order.

        Parameters
        ----------
        other : TwaResult
            Result with the same times and e_ops (same keys; e_ops that are
            both :obj:`.Qobj` must be equal).
        p : None
            Only equal weights for all trajectories (``p=None``, or the
            equivalent ``N / (N + N')``) are supported.

        Returns
        -------
        TwaResult
        """
        if not isinstance(other, TwaResult):
            raise TypeError("a TwaResult can only be merged with a TwaResult")
        n_tot = self.num_trajectories + other.num_trajectories
        if p is not None and not (
                n_tot and np.isclose(p, self.num_trajectories / n_tot,
                                     rtol=1e-12, atol=0)):
            raise NotImplementedError(
                "TwaResult.merge only supports equal trajectory weights "
                "(p=None)")
        if list(self._raw_ops) != list(other._raw_ops):
            raise ValueError("Shared `e_ops` is required to merge results")
        for k, op in self._raw_ops.items():
            op2 = other._raw_ops[k]
            if (isinstance(op, Qobj) and isinstance(op2, Qobj)
                    and op is not op2 and not op == op2):
                raise ValueError(
                    f"Shared `e_ops` is required to merge results (key {k!r})")
        if self._hermitian != other._hermitian:
            raise ValueError("e_ops differ in hermiticity")
        if len(self.times) != len(other.times) or not np.array_equal(
                self.times, other.times):
            raise ValueError("Shared `times` are required to merge results")

        options = dict(self.options)
        keep = bool(self._runs) and bool(other._runs)
        options["keep_runs_results"] = keep
        options["store_final_state"] = (bool(self._final)
                                        and bool(other._final))
        options["store_states"] = bool(self._states) and bool(other._states)
        stats = dict(self.stats)
        stats["run time"] = (self.stats.get("run time", 0)
                             + other.stats.get("run time", 0))
        stats["end_condition"] = "Merged results"
        new = TwaResult(self._raw_ops, options, solver=self.solver,
                        stats=stats, times=self.times,
                        hermitian=self._hermitian)
        new._sum = self._sum + other._sum
        new._sumsq = self._sumsq + other._sumsq
        new.num_trajectories = n_tot
        new.seeds = list(self.seeds) + list(other.seeds)
        if keep:
            new._runs = self._runs + other._runs
        if options["store_final_state"]:
            new._final = self._final + other._final
        if options["store_states"]:
            new._states = self._states + other._states
        for src in (self._diag_counts, other._diag_counts):
            for name, counts in src.items():
                prev = new._diag_counts.get(name)
                new._diag_counts[name] = counts.copy() if prev is None \
                    else prev + counts
        new._update_diagnostics()
        return new

    def __add__(self, other):
        if not isinstance(other, TwaResult):
            return NotImplemented
        return self.merge(other)

    def __repr__(self):
        lines = [f"<{self.__class__.__name__}", f"  Solver: {self.solver}"]
        if self.stats:
            lines.append("  Solver stats:")
            lines.extend(f"    {k}: {v!r}" for k, v in self.stats.items())
        if self.times:
            lines.append(f"  Time interval: [{self.times[0]}, "
                         f"{self.times[-1]}] ({len(self.times)} steps)")
        lines.append(f"  Number of e_ops: {len(self._raw_ops)}")
        lines.append("  Phase-space samples saved." if self._states else
                     "  Final state saved." if self._final
                     else "  State not saved.")
        lines.append(f"  Number of trajectories: {self.num_trajectories}")
        lines.append("  Trajectories saved (e_op values)." if self._runs
                     else "  Trajectories not saved.")
        return "\n".join(lines + [">"])

    # ------------------------------------------------------------------
    # plotting
    # ------------------------------------------------------------------
    def plot_expect(self, *, fig=None, axes=None, labels=None, title=None,
                    xlabel="Time", ylabel="Expectation value",
                    show_legend=True, show_trajectories=0, show_average=True,
                    trajectory_kwargs=None, separate_axes=False,
                    stderr_band=0, **plot_kwargs):
        """Plot the expectation values (real parts).

        Same parameters as
        :meth:`qutip.solver.multitrajresult.MultiTrajResult.plot_expect`
        (``show_trajectories`` uses the kept per-trajectory values), plus:

        Parameters
        ----------
        stderr_band : float, default 0
            If positive, shade ``average +- stderr_band * stderr`` around each
            average curve (same colour, alpha 0.3).

        Returns
        -------
        fig : matplotlib.figure.Figure
        axes : matplotlib.axes.Axes or array of Axes
        """
        import matplotlib.pyplot as plt

        runs = self.runs_expect
        if show_trajectories > 0 and not runs:
            warnings.warn(
                "Trajectories are not saved. Set options={'keep_runs_results'"
                ": True} to plot individual trajectories. Showing average "
                "only.", stacklevel=2)
            show_trajectories = 0
        if not show_average and show_trajectories <= 0:
            raise ValueError(
                "Nothing to plot: set show_average=True or provide "
                "show_trajectories > 0 with keep_runs_results=True.")
        if not self._raw_ops:
            raise ValueError(
                "No expectation-value data to plot. "
                "Ensure that e_ops were supplied to the solver.")
        if title is None:
            title = self.solver
        if labels is None:
            labels = [k if isinstance(k, str) else f"e_ops[{k}]"
                      for k in self._raw_ops]
        n_e = len(labels)
        traj_kw = {"alpha": 0.3, "linewidth": 0.8, "color": "gray"}
        traj_kw.update(trajectory_kwargs or {})
        plot_kw = {"linewidth": 2, **plot_kwargs}

        custom_axes = True
        if separate_axes:
            if fig is None and axes is None:
                fig, axes = plt.subplots(n_e, 1, sharex=True,
                                         figsize=(6, 3 * n_e), squeeze=False)
                axes = axes.flatten()
                custom_axes = False
            elif axes is None:
                axes = np.array([fig.add_subplot(n_e, 1, i + 1)
                                 for i in range(n_e)])
                custom_axes = False
            elif fig is None:
                if not hasattr(axes, "__len__"):
                    axes = np.array([axes])
                fig = axes[0].get_figure()
            ax_list = list(axes)
        else:
            if fig is None and axes is None:
                fig, axes = plt.subplots()
            elif axes is None:
                axes = fig.add_subplot(111)
            elif fig is None:
                fig = axes.get_figure()
            ax_list = [axes] * n_e

        times = np.asarray(self.times)
        avg = self.average_expect
        err = self.stderr_expect if stderr_band > 0 else None
        for i, (ax, label) in enumerate(zip(ax_list, labels)):
            if show_trajectories > 0:
                for j in range(min(show_trajectories, runs[i].shape[0])):
                    ax.plot(times, runs[i][j].real,
                            label=f"{label} (traj)" if j == 0 else None,
                            **traj_kw)
            if show_average:
                mean = avg[i].real
                (line,) = ax.plot(
                    times, mean, **plot_kw,
                    label=f"{label} (avg)" if show_trajectories > 0
                    else label)
                if err is not None:
                    e = np.where(np.isfinite(err[i]), err[i], np.nan)
                    ax.fill_between(times, mean - stderr_band * e,
                                    mean + stderr_band * e,
                                    color=line.get_color(), alpha=0.3,
                                    linewidth=0)
        for ax in dict.fromkeys(ax_list):  # each distinct axes once
            ax.set_ylabel(ylabel)
            if show_legend:
                ax.legend()
            if custom_axes or not separate_axes:
                ax.set_xlabel(xlabel)
                ax.set_title(title)
        if separate_axes and not custom_axes:
            ax_list[0].set_title(title)
            ax_list[-1].set_xlabel(xlabel)
        return fig, axes


def _tolerances(target_tol, n_eops):
    """(n_eops, 2) array of (atol, rtol) from ``target_tol``, or None."""
    if target_tol is None:
        return None
    if n_eops == 0:
        raise ValueError("target_tol needs e_ops to estimate errors")
    accepted = ("target_tol must be atol, (atol, rtol) or one (atol, rtol) "
                f"per e_op, all finite and >= 0, got {target_tol!r}")
    try:
        tols = np.array(target_tol, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(accepted) from err
    if tols.ndim == 0:
        tols = np.array([tols, 0.0])
    if tols.shape == (2,):
        tols = np.tile(tols, (n_eops, 1))
    if tols.shape != (n_eops, 2) or not np.all(np.isfinite(tols)) \
            or np.any(tols < 0):
        raise ValueError(accepted)
    return tols
