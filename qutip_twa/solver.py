"""``twasolve``: the truncated Wigner approximation with mesolve's interface."""

import contextlib
import time
import warnings
from math import isqrt

import numba
import numpy as np
import qutip
from qutip import Qobj, QobjEvo
from qutip import piqs
from qutip.solver.parallel import loky_pmap, mpi_pmap
from qutip.ui.progressbar import progress_bars

from .batches import BLOCK, BatchJob, fault_limit
from .checks import check_rate, check_tlist
from .composite import (build_composite, composite_observables,
                        composite_state, find_ensembles)
from .dicke import infer_num_emitters
from .identify import (canonical, collective_symbol, infer_N_from_operator,
                       jump_coefficients)
from .liouvillian import decompose_liouvillian
from .model import STEPS_PER_UNIT_RATE, Model, step_grid
from .observables import e_ops_dict
from .result import TwaResult
from .rng import root_key
from .states import ProductState, identify_initial_state
from .symbols import symbol_of_coefficients

__all__ = ["twasolve", "DEFAULT_OPTIONS", "TwaFaultWarning",
           "TwaValidityWarning"]

DEFAULT_OPTIONS = {
    "progress_bar": "",
    "progress_kwargs": {"chunk_size": 10},
    "store_final_state": False,
    "keep_runs_results": False,
    "map": "parallel",
    "num_cpus": None,
    "threads_per_worker": 1,
    "mpi_options": {},
    "dt": None,
    "adaptive": True,
    "steps_per_rate": STEPS_PER_UNIT_RATE,
    "batch_size": 8192,
    "faults": "raise",
}
# Maps that spread batches over processes (QuTiP's), by option name.
PROCESS_MAPS = {"loky": loky_pmap, "mpi": mpi_pmap}
# twasolve warns when more than this fraction of trajectories has J < 1.
VALIDITY_WARNING_FRACTION = 0.1


class TwaFaultWarning(RuntimeWarning):
    """Some trajectories were excluded as non-finite or unphysical."""


class TwaValidityWarning(UserWarning):
    """Many trajectories are in deep subradiance (J < 1)."""

_RATE_NAMES = ("emission", "dephasing", "pumping")
_COLLECTIVE = {"collective_emission": 0, "collective_pumping": 1,
               "collective_dephasing": 2}


def twasolve(H, rho0, tlist, c_ops=None, *, e_ops=None, args=None,
             options=None, ntraj=1000, seeds=None, target_tol=None,
             timeout=None, emission=0.0, dephasing=0.0, pumping=0.0, N=None):
    """Truncated Wigner simulation of a permutation-invariant emitter ensemble.

    Takes the inputs of ``qutip.mesolve`` for a ``qutip.piqs`` model and
    returns trajectory averages of exact Weyl symbols.

    Parameters
    ----------
    H : :class:`qutip.piqs.Dicke`, :obj:`.Qobj`, :obj:`.QobjEvo` or list
        The system: a ``Dicke`` object (N, Hamiltonian and all six rates are
        read from it); a Liouvillian such as ``Dicke(...).liouvillian()``
        (decomposed into H and the PIQS rates); a Hamiltonian in the Dicke
        basis, a polynomial of degree <= 4 in Jz, J+, J-; or a
        time-dependent Hamiltonian in any form ``mesolve`` accepts (list
        format with function, string or array coefficients, ``QobjEvo``).
        For several ensembles: an :class:`EnsembleOperator`, a list of
        them and ``[op, coefficient]`` pairs, or a ``Qobj`` on the tensor
        product of PIQS Dicke bases.
    rho0 : :obj:`.Qobj` or :class:`ProductState`
        Initial state in the Dicke basis: a density matrix diagonal in it
        (``piqs.excited``, ``ground``, ``dicke``, ``superradiant``,
        mixtures), a Dicke-state ket, or a coherent spin state
        (``piqs.css``).  For several ensembles: a :class:`ProductState`
        (``Ensembles.ground()``, ``excited()``, ``dicke()``, ``css()``,
        ``product()``) or a product state on the tensor product.
    tlist : array_like
        Increasing output times; the first is the initial time.
    c_ops : list of :obj:`.Qobj`, optional
        Collective jump operators (complex combinations of J-, J+, Jz and
        the identity) or superoperators such as ``Dicke(...).lindbladian()``;
        for several ensembles, ``EnsembleOperator``s linear in J+, Jz, J-
        (e.g. ``ens.lowering(phases)``), one shared noise each.
    e_ops : :obj:`.Qobj`, :class:`EnsembleOperator`, callable, list or dict
        Collective operators (degree <= 4) or functions ``f(t, sample)``
        returning one value per trajectory, where ``sample`` is a
        :class:`PhaseSpaceSample`.
    args : dict, optional
        Arguments of time-dependent coefficients, as in ``mesolve``.
    options : dict, optional
        ``progress_bar``, ``progress_kwargs``, ``store_final_state``,
        ``keep_runs_results``, ``map`` ("parallel", the default: numba
        threads in this process; "serial": one thread; "loky" or "mpi":
        batches of trajectories spread over worker processes by QuTiP's
        ``loky_pmap`` or ``mpi_pmap``, the latter through
        ``mpi4py.futures``, for clusters), ``num_cpus`` (threads, or worker
        processes for "loky" and "mpi"), ``threads_per_worker`` (numba
        threads in each worker process, default 1), ``mpi_options``
        (arguments of ``MPIPoolExecutor``), ``adaptive`` (default True: each
        trajectory takes steps of 1 / (``steps_per_rate`` x its local rate
        of change), see the theory page; False, or a time-dependent H:
        fixed steps of 1 / (``steps_per_rate`` x the model's worst-case
        rate)), ``steps_per_rate`` (default 100), ``dt`` (largest step;
        with ``adaptive=False`` the step), ``batch_size`` (trajectories per
        engine call, a multiple of 256; smaller when the batch's e_ops
        values would exceed 256 MiB), ``faults`` ("raise", the default:
        a trajectory that becomes non-finite or reaches J > N/2 + 20 +
        0.05 N raises ``FloatingPointError``; "exclude": such trajectories
        are dropped from the averages with a ``TwaFaultWarning``, and
        ``stats["faulty_trajectories"]`` counts them per output time).
        Unknown keys raise ``KeyError``.
    ntraj : int, default 1000
        Number of trajectories (the maximum when ``target_tol`` is set).
    seeds : int or numpy.random.SeedSequence, optional
        Root seed; trajectory i's noise depends only on it and i, so equal
        seeds give bit-identical results whatever the batching or threads.
    target_tol : float, (atol, rtol) or list of those, optional
        Stop early once every standard error is below
        ``atol + rtol |mean|``.
    timeout : float, optional
        Stop after the batch that passes this many seconds.
    emission, dephasing, pumping : float or array of M floats, default 0
        Local rates per emitter in PIQS conventions (gamma D[sigma-],
        gamma D[sigma_z / 2], gamma D[sigma+]); per ensemble for several.
    N : int or :class:`Ensembles`, optional
        Number of emitters; inferred from the Dicke-basis dimension or from
        the ``Ensembles`` of the operators.

    Returns
    -------
    TwaResult
        ``stats["end_condition"]`` says why the run stopped: "ntraj
        reached", "target tolerance reached", "timeout" or "interrupted"
        (KeyboardInterrupt after at least one batch: the finished batches
        are returned).  A ``TwaValidityWarning`` is issued when more than
        10% of trajectories have J < 1 at some output time.

    Raises
    ------
    TypeError
        An argument of the wrong kind (H, c_ops, e_ops, rho0, rates, seeds),
        with the accepted kinds in the message.
    ValueError
        Inconsistent or unphysical values: dimensions that are no PIQS
        Dicke basis or disagree on N; a non-Hermitian H; an operator that is
        not a collective polynomial of degree <= 4 (jumps: degree 1); rates
        that are negative or not finite; a ``tlist`` that is not increasing
        and finite; ``ntraj`` < 1; option values; initial states without a
        positive sampling (GHZ, superpositions, entangled ensembles); time
        coefficients that are not finite.
    KeyError
        An unknown option.
    FloatingPointError
        With ``options["faults"] = "raise"``: trajectories became
        non-finite or left the physical range (see ``faults``).
    """
    tlist = check_tlist(tlist)
    opts = _check_options(options)
    ntraj = _check_ntraj(ntraj)
    rates = dict(emission=emission, dephasing=dephasing, pumping=pumping)
    ens = find_ensembles(H, c_ops, e_ops, rho0, N)
    if ens is None:
        model, N = _build_model(H, c_ops, args, tlist, N, rates, rho0)
        init = ProductState(None, [identify_initial_state(rho0, N)])
        keys, evaluators, hermitian = _parse_e_ops(e_ops, N)
        sizes = {"N": N}
    else:
        if N is not None and N != ens:
            raise ValueError(f"N = {N!r} disagrees with the ensembles of the "
                             f"operators, {ens!r}; omit N or pass that "
                             "Ensembles")
        model = build_composite(ens, H, c_ops, rates, args, tlist)
        init = composite_state(rho0, ens)
        keys, evaluators, hermitian = composite_observables(e_ops, ens)
        sizes = {"N": ens.N.tolist(), "M": ens.M}
    result = TwaResult(e_ops, {k: opts[k] for k in
                               ("keep_runs_results", "store_final_state")},
                       solver="twasolve", times=tlist, hermitian=hermitian)
    key, seq = root_key(seeds)
    runner = _Runner(model, init, tlist, opts, evaluators, key)
    result.add_seeds([seq])
    result.stats.update({"adaptive": runner.adaptive, "dt": runner.dt,
                         **sizes})
    runner.run(result, ntraj, _check_tol(target_tol, len(keys)), timeout)
    return result


# -- argument checks --------------------------------------------------------

def _check_options(options):
    opts = dict(DEFAULT_OPTIONS)
    for k, v in (options or {}).items():
        if k not in DEFAULT_OPTIONS:
            raise KeyError(f"unknown option {k!r}; twasolve accepts "
                           f"{sorted(DEFAULT_OPTIONS)}")
        opts[k] = v
    if opts["faults"] not in ("raise", "exclude"):
        raise ValueError(f"options['faults'] must be 'raise' or 'exclude', "
                         f"got {opts['faults']!r}")
    maps = ("parallel", "serial", *PROCESS_MAPS)
    if opts["map"] not in maps:
        raise ValueError(f"options['map'] must be one of {maps}, got "
                         f"{opts['map']!r}")
    for name in ("num_cpus", "threads_per_worker"):
        value = opts[name]
        if (value is not None or name != "num_cpus") and not (
                isinstance(value, (int, np.integer))
                and not isinstance(value, bool) and value >= 1):
            raise ValueError(f"options[{name!r}] must be a positive integer, "
                             f"got {value!r}")
    if not isinstance(opts["mpi_options"], dict):
        raise TypeError(f"options['mpi_options'] must be a dict of "
                        "MPIPoolExecutor arguments, got "
                        f"{type(opts['mpi_options']).__name__}")
    bs = opts["batch_size"]
    if not isinstance(bs, (int, np.integer)) or bs < BLOCK or bs % BLOCK:
        raise ValueError(f"options['batch_size'] must be a positive multiple "
                         f"of {BLOCK}, got {bs!r}")
    for name in ("dt", "steps_per_rate"):
        value = opts[name]
        if (value is not None or name != "dt") and not (
                isinstance(value, (int, float, np.integer, np.floating))
                and np.isfinite(value) and value > 0):
            raise ValueError(f"options[{name!r}] must be a positive number, "
                             f"got {value!r}")
    if not isinstance(opts["adaptive"], (bool, np.bool_)):
        raise TypeError(f"options['adaptive'] must be True or False, got "
                        f"{opts['adaptive']!r}")
    return opts


def _check_ntraj(ntraj):
    if not isinstance(ntraj, (int, np.integer)) or isinstance(ntraj, bool) \
            or ntraj < 1:
        raise ValueError(f"ntraj must be a positive integer, got {ntraj!r}")
    return int(ntraj)


def _check_tol(target_tol, n_eops):
    if target_tol is None:
        return None
    if np.isscalar(target_tol):
        tols = [(float(target_tol), 0.0)] * n_eops
    elif len(target_tol) == 2 and np.isscalar(target_tol[0]):
        tols = [tuple(map(float, target_tol))] * n_eops
    else:
        tols = [tuple(map(float, t)) for t in target_tol]
    if len(tols) != n_eops or any(a < 0 or r < 0 for a, r in tols):
        raise ValueError("target_tol must be atol, (atol, rtol) or one "
                         "(atol, rtol) per e_op, all >= 0")
    if n_eops == 0:
        raise ValueError("target_tol needs e_ops to estimate errors")
    return np.array(tols)


# -- the system ---------------------------------------------------------------

def _build_model(H, c_ops, args, tlist, N, local_kw, rho0):
    rates = {k: check_rate(k, v) for k, v in local_kw.items()}
    terms, Ns = [], []  # Hamiltonian (Qobj or None, coefficient); known Ns
    jumps = []  # (alpha, beta, gamma, name)
    if N is not None:
        if not isinstance(N, (int, np.integer)) or N < 1:
            raise ValueError(f"N must be a positive integer, got {N!r}")
        Ns.append(("N", int(N)))

    def add_rates(found, source):
        for name in _RATE_NAMES:
            if found[name] and rates[name]:
                raise ValueError(
                    f"the local rate {name!r} is given both by {source} and "
                    "by the keyword argument; give it once")
            rates[name] = canonical(rates[name] + found[name])
        for name, col in _COLLECTIVE.items():
            if found[name]:
                row = [0.0, 0.0, 0.0]
                row[col] = canonical(np.sqrt(canonical(found[name])))
                jumps.append(tuple(row) + (f"{source} {name}",))

    if isinstance(H, piqs.Dicke):
        Ns.append(("H.N", int(H.N)))
        found = {k: check_rate(f"H.{k}", getattr(H, k))
                 for k in _RATE_NAMES + tuple(_COLLECTIVE)}
        add_rates(found, "the Dicke object H")
        if H.hamiltonian is not None:
            terms.append((H.hamiltonian, None, "H.hamiltonian"))
    elif isinstance(H, Qobj) and H.issuper:
        op, found = decompose_liouvillian(H, name="H")
        Ns.append(("H", infer_num_emitters(isqrt(H.shape[0]), "H")))
        add_rates(found, "the Liouvillian H")
        if op is not None:
            terms.append((op, None, "H"))
    elif isinstance(H, Qobj):
        terms.append((H, None, "H"))
    elif isinstance(H, (QobjEvo, list)):
        for i, part in enumerate(QobjEvo(H, args=args, tlist=tlist)
                                 .to_list()):
            op, coeff = (part, None) if isinstance(part, Qobj) else part
            if op.issuper:
                if coeff is not None:
                    raise ValueError("H: time-dependent superoperators are "
                                     "not supported; give a time-dependent "
                                     "Hamiltonian and constant c_ops")
                sub, found = decompose_liouvillian(op, name=f"H[{i}]")
                add_rates(found, f"the Liouvillian H[{i}]")
                if sub is not None:
                    terms.append((sub, None, f"H[{i}]"))
            else:
                terms.append((op, coeff, f"H[{i}]"))
    else:
        raise TypeError(
            "H must be a qutip.piqs.Dicke, a Liouvillian or Hamiltonian Qobj "
            "in the PIQS Dicke basis, a QobjEvo or a mesolve list; got "
            f"{type(H).__name__}")

    if c_ops is None:
        c_ops = []
    elif isinstance(c_ops, Qobj):
        c_ops = [c_ops]
    for k, c in enumerate(c_ops):
        name = f"c_ops[{k}]"
        if not isinstance(c, Qobj):
            raise TypeError(f"{name} must be a constant Qobj (collective "
                            f"jump or Lindbladian), got {type(c).__name__}")
        if c.issuper:
            op, found = decompose_liouvillian(c, name=name)
            add_rates(found, name)
            if op is not None:
                terms.append((op, None, name))
        else:
            jumps.append(("op", c, name))

    for op, _, name in terms:
        Ns.append((name, infer_N_from_operator(op, name)))
    for j in jumps:
        if j[0] == "op":
            Ns.append((j[2], infer_N_from_operator(j[1], j[2])))
    if isinstance(rho0, Qobj) and rho0.shape[0] > 1:
        Ns.append(("rho0", infer_N_from_operator(
            rho0 if rho0.isoper else rho0.proj(), "rho0")))
    if not Ns:
        raise ValueError("cannot infer N; pass N=")
    N = Ns[0][1]
    for name, n in Ns:
        if n != N:
            raise ValueError(f"{Ns[0][0]} implies N = {N} emitters but "
                             f"{name} implies N = {n}")

    ham = []
    row_list = []
    for j in jumps:
        if j[0] == "op":
            c0, am, ap, az = jump_coefficients(j[1], N, j[2])
            row_list.append((am, ap, az))
            if c0:
                # D[L + c0] = D[L] - i[(i/2)(c0* L - c0 L^+), .]
                ham.append((_symbol_of_linear(
                    0.5j * np.conj(c0) * np.array([am, ap, az])
                    - 0.5j * c0 * np.conj([ap, am, az])), None))
        else:
            row_list.append(j[:3])
    for op, coeff, name in terms:
        if not op.isherm and coeff is None:
            raise ValueError(f"{name} must be Hermitian")
        ham.append((collective_symbol(op, N, name), coeff))
    model = Model(
        n_emitters=np.array([float(N)]),
        local_rates=np.array([[rates["emission"], rates["pumping"],
                               rates["dephasing"]]]),
        jumps=np.array(row_list, dtype=complex).reshape(-1, 1, 3),
        hamiltonian=ham)
    model.check_hermitian(tlist)
    return model, N


def _symbol_of_linear(coef):
    """Symbol of coef[0] J- + coef[1] J+ + coef[2] Jz."""
    return symbol_of_coefficients({(0, 0, 1): coef[0], (1, 0, 0): coef[1],
                                   (0, 1, 0): coef[2]})


# -- e_ops ------------------------------------------------------------------

def _parse_e_ops(e_ops, N):
    items = e_ops_dict(e_ops)
    evaluators, hermitian = [], []
    for k, op in items.items():
        name = f"e_ops[{k!r}]"
        if isinstance(op, Qobj):
            evaluators.append(collective_symbol(op, N, name))
            hermitian.append(bool(op.isherm))
        elif callable(op):
            evaluators.append(op)
            hermitian.append(False)
        else:
            raise TypeError(f"{name} must be a Qobj or a callable "
                            f"f(t, sample), got {type(op).__name__}")
    return list(items), evaluators, hermitian


# -- running ------------------------------------------------------------------

class _Runner:
    """Runs batches of trajectories and feeds their block sums to the result.

    With the "parallel" and "serial" maps the batches run here, one after
    another, each on numba threads; with "loky" and "mpi" a round of
    ``num_cpus`` batches at a time goes to QuTiP's process map, and the
    outputs are added in trajectory order, so the result is the same.
    """

    def __init__(self, model, init, tlist, opts, evaluators, key):
        self.tlist, self.opts = tlist, opts
        adaptive = bool(opts["adaptive"]) and model.time_independent
        if adaptive:
            dt, steps = None, None
            arrays = model.engine_arrays(tlist[:1].repeat(2))
        else:
            span = tlist[-1] - tlist[0]
            rate = model.rate_scale(tlist)
            dt = opts["dt"] or (1.0 / (opts["steps_per_rate"] * rate)
                                if rate > 0 else max(span, 1.0))
            grid, steps = step_grid(tlist, dt)
            dt = float(np.max(np.diff(grid), initial=dt))
            arrays = model.engine_arrays(grid)
        self.adaptive, self.dt = adaptive, dt
        if adaptive:
            hint = (f"a larger options['steps_per_rate'] (now "
                    f"{opts['steps_per_rate']:g})")
        else:
            hint = f"a smaller options['dt'] (now {dt:.3g})"
        self.step_hint = hint
        self.job = BatchJob(
            key=key, arrays=arrays, init=init.engine_arrays(), tlist=tlist,
            evaluators=evaluators, J_limit=fault_limit(model.n_emitters),
            steps=steps, dt_max=float(opts["dt"] or np.inf),
            steps_per_rate=float(opts["steps_per_rate"]),
            exclude_faults=opts["faults"] == "exclude",
            keep_runs=bool(opts["keep_runs_results"]),
            store_final_state=bool(opts["store_final_state"]),
            step_hint=hint)
        self.faults = np.zeros(len(tlist), dtype=np.int64)
        self.excluded = 0
        self.total_steps = 0

    def run(self, result, ntraj, tols, timeout):
        opts = self.opts
        processes = opts["map"] in PROCESS_MAPS
        workers = _num_workers(opts, processes)
        threads = numba.get_num_threads()
        if processes:
            self.job.threads = opts["threads_per_worker"]
        else:
            numba.set_num_threads(workers)
        batch = min(opts["batch_size"], self.job.largest_batch())
        if processes:  # at least one batch per worker
            share = -(-ntraj // workers)
            batch = min(batch, BLOCK * -(-share // BLOCK))
        bar = progress_bars[opts["progress_bar"] or ""](
            ntraj, **opts["progress_kwargs"])
        start = time.time()
        done = 0
        end = "ntraj reached"
        try:
            while done < ntraj:
                firsts = range(done, min(ntraj, done + batch *
                                         (workers if processes else 1)),
                               batch)
                counts = [min(batch, ntraj - f) for f in firsts]
                for output, count in zip(
                        self._map(list(zip(firsts, counts)), workers), counts):
                    self._add(result, output)
                    done += count
                    for _ in range(count):
                        bar.update()
                if tols is not None and self._converged(result, tols):
                    end = "target tolerance reached"
                    break
                if timeout is not None and time.time() - start > timeout:
                    end = "timeout"
                    break
        except KeyboardInterrupt:
            if result.num_trajectories == 0:
                raise
            end = "interrupted"  # keep the batches finished so far
        finally:
            numba.set_num_threads(threads)
            bar.finished()
        self._finish(result, done, start, end)

    def _map(self, batches, workers):
        """BatchOutputs of (first, count) pairs, in their order."""
        name = self.opts["map"]
        if name not in PROCESS_MAPS:
            return [self.job(first, count) for first, count in batches]
        map_kw = {"num_cpus": workers, "fail_fast": True}
        if name == "mpi":
            map_kw.update(self.opts["mpi_options"])
            _load_loky_resource_tracker()
        return PROCESS_MAPS[name](_run_batch, batches, task_args=(self.job,),
                                  map_kw=map_kw)

    def _add(self, result, output):
        for block in output.blocks:
            result.add_block(**block)
        self.faults += output.faults
        self.excluded += output.excluded
        self.total_steps += output.steps

    def _finish(self, result, done, start, end):
        result.stats["run time"] = time.time() - start
        result.stats["end_condition"] = end
        result.stats["steps"] = self.total_steps / max(done, 1)
        result.stats["faulty_trajectories"] = self.faults.copy()
        result.stats["excluded_trajectories"] = self.excluded
        if self.excluded:
            warnings.warn(
                f"{self.excluded} of {done} trajectories became non-finite "
                "or left the physical range and were excluded from the "
                "averages (stats['faulty_trajectories'] counts them per "
                f"output time); {self.step_hint} may avoid this",
                TwaFaultWarning, stacklevel=4)
        below = result.stats.get("fraction_J_below_1")
        if below is not None and np.max(below) > VALIDITY_WARNING_FRACTION:
            i = int(np.argmax(below))
            warnings.warn(
                f"{100 * below[i]:.0f}% of trajectories have J < 1 at t = "
                f"{self.tlist[i]:g} (threshold "
                f"{100 * VALIDITY_WARNING_FRACTION:.0f}%): deep subradiance, "
                "where the TWA is unreliable; see "
                "stats['fraction_J_below_1']", TwaValidityWarning,
                stacklevel=4)

    @staticmethod
    def _converged(result, tols):
        for mean, err, (atol, rtol) in zip(result.average_expect,
                                           result.stderr_expect, tols):
            if np.any(err > atol + rtol * np.abs(mean)):
                return False
        return True


def _load_loky_resource_tracker():
    """Import the submodule that qutip's mpi_pmap expects on ``loky.backend``.

    mpi_pmap stops loky's resource tracker when loky is installed, but reads
    ``loky.backend.resource_tracker`` without importing it (AttributeError
    with loky 3.7 unless some other code imported it first).
    """
    with contextlib.suppress(ImportError):
        import loky.backend.resource_tracker  # noqa: F401


def _run_batch(batch, job):
    """Task of the process maps: one batch (first, count) of ``job``."""
    return job(*batch)


def _num_workers(opts, processes):
    """Worker processes (process maps) or numba threads (the others)."""
    if opts["map"] == "serial":
        return 1
    if opts["num_cpus"]:
        want = int(opts["num_cpus"])
    elif processes:
        want = int(qutip.settings.num_cpus)
    else:
        want = numba.config.NUMBA_NUM_THREADS
    return want if processes else min(want, numba.config.NUMBA_NUM_THREADS)
