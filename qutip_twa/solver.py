"""``TwaSolver`` and ``twasolve``: the truncated Wigner approximation with
the interface of QuTiP's ``MESolver`` and ``mesolve``.

The pipeline, one stage per subpackage (docs/architecture.md):
validate (``checks``, ``options``), translate (``translate``: every input
into operators on one ``Ensembles``), build (``assembly``: the ``Model`` and
its ``Stepping``), run (``run``: batches on threads or processes through
the numba ``engine``), result (``results``: ``TwaResult``).
"""

import textwrap
import time

import numpy as np
import qutip

from .assembly import Stepping, build_model, sampling_tables
from .checks import check_ntraj, check_tlist
from .diagnostics import fault_limit
from .engine.rng import root_key
from .options import DEFAULT_OPTIONS, check_options, ignored_options
from .results import ExpectOps, TwaResult
from .run import BatchJob, Runner
from .two_time import correlate
from .steady import steady
from .translate import (find_ensembles, translate_e_ops, translate_state,
                        translate_system)

__all__ = ["TwaSolver", "twasolve", "steadystate_expect", "DEFAULT_OPTIONS"]

_SHARED_DOC = """
    H : :class:`qutip.piqs.Dicke`, :obj:`.Qobj`, :obj:`.QobjEvo`, \
:class:`EnsembleOperator` or list
        The system: a ``Dicke`` object (N, Hamiltonian and all six rates are
        read from it); a Liouvillian such as ``Dicke(...).liouvillian()``
        (decomposed into H and the PIQS rates); a Hamiltonian in the Dicke
        basis, a polynomial of degree <= 4 in Jz, J+, J-; a time-dependent
        Hamiltonian in ``mesolve``'s list format (function, string or
        array coefficients) or a ``QobjEvo``.  For several ensembles: an
        :class:`EnsembleOperator`, a list of them and ``[op, coefficient]``
        pairs, or a ``Qobj`` on the tensor product of PIQS Dicke bases.
        Cavity modes: operators of ``Ensembles(N, modes=K)``, or ``Qobj``s
        and Liouvillians on ``tensor(Fock space, Dicke basis)`` (as in the
        PIQS open-Dicke tutorial).
    c_ops : list of :obj:`.Qobj` or :class:`EnsembleOperator`, optional
        Collective jump operators (complex combinations of J-, J+, Jz and
        the identity; for several ensembles, e.g. ``ens.lowering(phases)``;
        a mode's a and a^+, e.g. cavity decay), one shared noise each, or superoperators such as
        ``Dicke(...).lindbladian()`` (one ensemble).
"""

_OPTIONS_DOC = """
    options : dict, optional
        ``progress_bar``, ``progress_kwargs``, ``store_final_state``,
        ``store_states`` (None, the default: True when there are no e_ops;
        True: ``result.states`` holds the phase-space samples of every
        trajectory at every output time, 32 M bytes per trajectory and
        time), ``keep_runs_results``, ``map`` ("parallel", the default: numba
        threads in this process; "serial": one thread; "loky" or "mpi":
        batches of trajectories spread over worker processes by QuTiP's
        ``loky_pmap`` or ``mpi_pmap``, the latter through
        ``mpi4py.futures``, for clusters), ``num_cpus`` (threads, or worker
        processes for "loky" and "mpi"), ``threads_per_worker`` (numba
        threads in each worker process, default 1), ``mpi_options``
        (arguments of ``MPIPoolExecutor``), ``adaptive`` (default True: each
        trajectory takes steps of 1 / (n_p r_p + n_d r_d) for its local
        precession frequency r_p and dissipation rate r_d, see the theory
        page; False, or a time-dependent H: fixed steps from the model's
        worst-case rates), ``steps_per_rate`` ((n_p, n_d), default (100,
        20); one number sets both), ``tol`` (None, the default, or the
        relative error allowed in each step's rotation by the Hamiltonian:
        the precession then limits the step through how fast its field
        turns instead of n_p times its frequency; adaptive steps only),
        ``scheme`` ("rotation", the default: every U(2) rotation applied
        exactly; "heun": plain Stratonovich Heun, for comparison),
        ``dt`` (largest step;
        with ``adaptive=False`` the step), ``batch_size`` (the most
        trajectories per engine call, a multiple of 256, default 8192;
        batches hold about ntraj / 8 trajectories, at least 256 per thread,
        so that a timeout or Ctrl-C returns partial results, and fewer when
        their e_ops values would exceed 256 MiB), ``faults`` ("raise", the default:
        a trajectory that becomes non-finite or reaches J > N/2 + 20 +
        0.05 N raises ``FloatingPointError``; "exclude": such trajectories
        are dropped from the averages with a ``TwaFaultWarning``, and
        ``stats["faulty_trajectories"]`` counts them per output time),
        ``initial_sampling`` ("moments", the default: each occupied Fock
        mode n of the start draws ``|z|^2`` uniformly from n + 1/2 +- sqrt(3)/2,
        which gives every first and second moment of Dicke and coherent
        spin states exactly; "ring": the paper's fixed modulus
        ``|z|^2 = n + 1/2``, which misses <Jz^2> by 1/16 per occupied mode).
        Each value is validated; unknown keys raise ``KeyError``, a
        non-dict ``TypeError``.  ``mesolve``'s integrator options
        (``method``, ``atol``, ``rtol``, ``nsteps``, ``normalize_output``,
        ...) are accepted and ignored (listed in
        ``stats["ignored_options"]``): they have no meaning here.
    emission, dephasing, pumping : float or array of M floats, default 0
        Local rates per emitter in PIQS conventions (gamma D[sigma-],
        gamma D[sigma_z / 2], gamma D[sigma+]); per ensemble for several.
    args : dict, optional
        Arguments of time-dependent coefficients, as in ``mesolve``.
"""

_RUN_DOC = """
    ntraj : int, default 1000
        Number of trajectories (the maximum when ``target_tol`` is set).
    e_ops : :obj:`.Qobj`, :class:`EnsembleOperator`, callable, list or dict
        Collective operators (degree <= 4) or functions ``f(t, sample)``
        returning one value per trajectory, where ``sample`` is a
        :class:`PhaseSpaceSample`.
    seeds : int or numpy.random.SeedSequence, optional
        Root seed; trajectory i's noise depends only on it and i, so equal
        seeds give bit-identical results whatever the batching or threads.
    target_tol : float, (atol, rtol) or list of those, optional
        Stop early once every standard error is below
        ``atol + rtol |mean|``.
    timeout : float, optional
        Stop after the batch that passes this many seconds.  ``target_tol``
        and ``ntraj`` are checked after every block of 256 trajectories, in
        trajectory order, so where a run stops for them does not depend on
        the batch size.
"""

_RETURNS_DOC = """
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
        An argument of the wrong kind (H, c_ops, e_ops, rho0, rates, seeds,
        options), with the accepted kinds in the message.
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


class TwaSolver:
    """Truncated Wigner solver for permutation-invariant emitter ensembles.

    Built once for a system, it runs for any initial state, times, e_ops
    and seeds without identifying the operators again, as ``MESolver``
    does for ``mesolve``.

    Parameters
    ----------{shared}{options}
    N : int or :class:`Ensembles`, optional
        Number of emitters (or the ensembles); inferred from the operators.

    Attributes
    ----------
    ensembles : Ensembles
        The ensembles the system acts on.
    model : Model
        The model handed to the engine (Hamiltonian symbols, jump rows,
        local rates, couplings).
    stats : dict
        ``"init time"``: seconds spent translating and building.
    """

    name = "twasolve"

    def __init__(self, H, c_ops=None, *, options=None, emission=0.0,
                 dephasing=0.0, pumping=0.0, args=None, N=None):
        start = time.time()
        self.options = options
        self.ensembles, self._spin = find_ensembles(H, c_ops, N=N)
        system = translate_system(
            H, c_ops, self.ensembles,
            dict(emission=emission, dephasing=dephasing, pumping=pumping),
            args, self._spin)
        self.model = build_model(system)
        self.stats = {"init time": time.time() - start}

    @property
    def options(self):
        """dict: the solver options; assigning a dict validates each key and
        updates the current options (``None`` restores the defaults)."""
        return dict(self._options)

    @options.setter
    def options(self, new):
        self._options = check_options(
            new, None if new is None else getattr(self, "_options", None))

    def run(self, state0, tlist, ntraj=1000, *, args=None, e_ops=None,
            seeds=None, target_tol=None, timeout=None):
        """Sample ``ntraj`` trajectories from ``state0`` over ``tlist``.

        Parameters
        ----------
        state0 : :obj:`.Qobj` or :class:`ProductState`
            Initial state in the Dicke basis: a density matrix diagonal in
            it (``piqs.excited``, ``ground``, ``dicke``, ``superradiant``,
            mixtures), a Dicke-state ket, or a coherent spin state
            (``piqs.css``).  For several ensembles: a
            :class:`ProductState` (``Ensembles.ground()``, ``excited()``,
            ``dicke()``, ``css()``, ``product()``) or a product state on
            the tensor product.  Modes: vacuum unless set by
            :meth:`ProductState.with_modes`, or Fock, Fock-mixture
            (``thermal_dm``) or coherent states as tensor factors.
        tlist : array_like
            Increasing output times; the first is the initial time.
        args : dict, optional
            New arguments of the time-dependent coefficients of H for this
            run (as ``MESolver.run``).{run}{returns}
        """
        return self._run(self._options, state0, tlist, ntraj, args=args,
                         e_ops=e_ops, seeds=seeds, target_tol=target_tol,
                         timeout=timeout)

    def _run(self, opts, state0, tlist, ntraj, *, args=None, e_ops=None,
             seeds=None, target_tol=None, timeout=None):
        """``run`` with the options ``opts`` instead of ``self.options``."""
        tlist, ntraj = check_tlist(tlist), check_ntraj(ntraj)
        init, expect = self._translate(state0, e_ops,
                                       opts["initial_sampling"])
        model = self.model.with_args(args)
        model.check_hermitian(tlist)
        stepping = Stepping.from_options(model, tlist, opts)
        result, key = self._new_result(opts, e_ops, expect, tlist, stepping,
                                       seeds)
        result.add_end_condition(ntraj, target_tol, timeout)
        job = BatchJob(
            key=key, model=model.engine_model(stepping.grid),
            init=init, stepping=stepping, tlist=tlist, e_ops=expect,
            J_limit=fault_limit(self.model.n_emitters),
            exclude_faults=opts["faults"] == "exclude",
            keep_runs=opts["keep_runs_results"],
            store_final_state=opts["store_final_state"],
            store_states=result.options["store_states"])
        Runner(job, opts).run(result, ntraj)
        return result

    def steady(self, state0=None, ntraj=1000, *, e_ops, args=None,
               seeds=None, t_relax=None, max_time=None):
        """Stationary expectation values, with standard errors.

        Runs over [0, T] with T = 2 t_relax, 4 t_relax, ... until the
        trajectory averages over the late half [T/2, T] are stationary
        (no eighth of it differs from the whole by more than 4.5 standard
        errors), then averages each trajectory over that half: one
        independent sample per trajectory, so the standard error holds
        whatever the correlation time (docs/theory.md Section 12).  Seeded
        runs are reproducible.

        Parameters
        ----------
        state0 : :obj:`.Qobj` or :class:`ProductState`, optional
            Initial state (see :meth:`run`); default: every emitter
            excited.  Where the steady state is unique it does not matter.
        ntraj : int
            Number of trajectories.
        e_ops : list or dict
            Observables, as for :meth:`run` (at least one).
        args : dict, optional
            Arguments of time-dependent coefficients.
        seeds : int or sequence, optional
            As for :meth:`run`.
        t_relax : float, optional
            First guess of the relaxation time; default 10 / the slowest
            dissipative rate (a local rate, or a collective channel's rate
            times N).
        max_time : float, optional
            Longest run; default 2**6 times the first, 2 t_relax.

        Returns
        -------
        :class:`SteadyStateResult`
            ``expect``/``e_data`` and ``stderr_expect``/``stderr_e_data``;
            ``stats["t_relax"]``, the start of the averaging window, and
            ``dynamics``, the last run.

        Raises
        ------
        RuntimeError
            No stationary window by ``max_time``; the message gives the
            period where the averages oscillate (a limit cycle).
        ValueError
            No e_ops, or no dissipation and no ``t_relax``.
        """
        if e_ops is None or not len(e_ops):
            raise ValueError("e_ops: steady needs at least one observable")
        if state0 is None:
            state0 = self.ensembles.excited()
        return steady(self, state0, ntraj, e_ops=e_ops, seeds=seeds,
                      args=args, t_relax=t_relax, max_time=max_time)

    def correlation(self, state0, tlist, taulist, a_op, b_op, ntraj=1000, *,
                    c_op=None, reverse=False, ordering="quantum",
                    seeds=None, args=None, keep_runs=False, t_relax=None,
                    max_time=None):
        """Two-time correlations <A(t + tau) B(t)> (with ``c_op``:
        <A(t) B(t + tau) C(t)>), with standard errors.

        Each trajectory contributes the product of the Weyl symbols of A at
        t + tau and B at t, the symmetrically ordered correlation, and with
        ``ordering="quantum"`` half the commutator <[A(t + tau), B(t)]>,
        from the response of A to a small rotation generated by B at t,
        run with the same noise (docs/theory.md Section 14).

        Parameters
        ----------
        state0 : :obj:`.Qobj`, :class:`ProductState` or None
            State at ``tlist[0]`` (see :meth:`run`); None: the steady
            state, reached as :meth:`steady` does from all emitters
            excited (``tlist`` is then ignored).
        tlist : array_like
            Start times t.
        taulist : array_like
            Delays tau, increasing from 0.
        a_op, b_op : :obj:`.Qobj` or :class:`EnsembleOperator`
            Collective operators of degree <= 4; for ``ordering="quantum"``
            b_op must be linear in J+, J-, Jz (any combination over the
            ensembles, such as ``ens.lowering(phases)``).
        ntraj : int
            Number of trajectories (each runs 1 + 2 x the number of
            non-zero Hermitian parts of b_op copies over taulist; more for
            three operators).
        c_op : :obj:`.Qobj` or :class:`EnsembleOperator`, optional
            The third operator: <A(t) B(t + tau) C(t)>, with a_op and c_op
            linear in the spin operators and b_op of degree <= 4 (the
            numerator of g2 is A = J+, B = J+J-, C = J-).
        reverse : bool
            True: <A(t) B(t + tau)> instead.
        ordering : {"quantum", "symmetric"}
            "symmetric": the symmetrically ordered correlation
            <{A(t + tau), B(t)}> / 2 alone.
        seeds, args :
            As for :meth:`run`.
        keep_runs : bool
            Keep the per-trajectory values (``CorrelationResult.runs``).
        t_relax, max_time : float, optional
            As for :meth:`steady`, for ``state0=None``.

        Returns
        -------
        :class:`CorrelationResult`
        """
        return correlate(self, state0, tlist, taulist, a_op, b_op, ntraj,
                         c_op=c_op, reverse=reverse, ordering=ordering,
                         seeds=seeds,
                         args=args, keep_runs=keep_runs, t_relax=t_relax,
                         max_time=max_time)

    def _translate(self, state0, e_ops, sampling):
        """(SamplingTables, ExpectOps) of a run's state and e_ops."""
        ens, spin = find_ensembles(None, None, e_ops, state0,
                                   N=self.ensembles)
        init = translate_state(state0, ens, spin)
        return (sampling_tables(init, sampling),
                ExpectOps(translate_e_ops(e_ops, ens, spin)))

    def _new_result(self, opts, e_ops, expect, tlist, stepping, seeds):
        """An empty ``TwaResult`` with the run's stats, and the root key."""
        store_states = opts["store_states"]
        if store_states is None:  # as mesolve: states when there are no e_ops
            store_states = not len(expect)
        result = TwaResult(
            e_ops, {"keep_runs_results": opts["keep_runs_results"],
                    "store_final_state": opts["store_final_state"],
                    "store_states": store_states},
            solver=self.name, times=tlist, hermitian=expect.hermitian)
        key, seq = root_key(seeds)
        result.add_seeds([seq])
        result.stats.update({"adaptive": stepping.adaptive,
                             "dt": stepping.dt, **self._sizes()})
        if ignored_options(opts):
            result.stats["ignored_options"] = ignored_options(opts)
        return result, key

    def _sizes(self):
        N = self.ensembles.N
        return {"N": int(N[0])} if len(N) == 1 else \
            {"N": N.tolist(), "M": len(N)}


TwaSolver.__doc__ = TwaSolver.__doc__.format(shared=_SHARED_DOC,
                                             options=_OPTIONS_DOC)
TwaSolver.run.__doc__ = TwaSolver.run.__doc__.format(
    run=textwrap.indent(_RUN_DOC, "    "),
    returns=textwrap.indent(_RETURNS_DOC, "    "))


def twasolve(H, rho0, tlist, c_ops=None, *, e_ops=None, args=None,
             options=None, ntraj=1000, seeds=None, target_tol=None,
             timeout=None, emission=0.0, dephasing=0.0, pumping=0.0, N=None):
    """Truncated Wigner simulation of permutation-invariant emitter ensembles.

    Takes the inputs of ``qutip.mesolve`` for a ``qutip.piqs`` model and
    returns trajectory averages of exact Weyl symbols; a thin wrapper over
    :class:`TwaSolver`, as ``mesolve`` over ``MESolver``.

    Parameters
    ----------{shared}
    rho0 : :obj:`.Qobj` or :class:`ProductState`
        Initial state (see :meth:`TwaSolver.run`).
    tlist : array_like
        Increasing output times; the first is the initial time; array
        coefficients of H are read on it.{options}{run}
    N : int or :class:`Ensembles`, optional
        Number of emitters; inferred from the Dicke-basis dimension or from
        the ``Ensembles`` of the operators.
{returns}"""
    tlist = check_tlist(tlist)
    ntraj = check_ntraj(ntraj)
    solver = solver_for(_with_times(H, tlist), c_ops, e_ops, rho0,
                        options=options, args=args, N=N,
                        rates=dict(emission=emission, dephasing=dephasing,
                                   pumping=pumping))
    return solver.run(rho0, tlist, ntraj, e_ops=e_ops, seeds=seeds,
                      target_tol=target_tol, timeout=timeout)


twasolve.__doc__ = twasolve.__doc__.format(
    shared=_SHARED_DOC, options=_OPTIONS_DOC, run=_RUN_DOC,
    returns=_RETURNS_DOC)


def solver_for(H, c_ops, e_ops, rho0, *, options, args, N, rates):
    """The ``TwaSolver`` of a function call (twasolve, steadystate_expect,
    the correlation functions): the ensembles read from all its inputs."""
    options = check_options(options)
    ens, spin = find_ensembles(H, c_ops, e_ops, rho0, N)
    return TwaSolver(H, c_ops, options=options, args=args,
                     N=int(ens.N[0]) if spin is True else ens, **rates)


def _with_times(H, tlist):
    """A list H with its array coefficients read on ``tlist`` (mesolve's
    convention)."""
    if not isinstance(H, (list, tuple)):
        return H
    return [[part[0], qutip.coefficient(part[1], tlist=tlist)]
            if isinstance(part, (list, tuple)) and len(part) == 2
            and isinstance(part[1], np.ndarray) else part for part in H]


def steadystate_expect(H, c_ops=None, e_ops=None, *, rho0=None, args=None,
                       options=None, ntraj=1000, seeds=None, t_relax=None,
                       max_time=None, emission=0.0, dephasing=0.0,
                       pumping=0.0, N=None):
    """Stationary expectation values by the TWA: ``TwaSolver.steady``.

    Takes the system as :func:`twasolve` does (a ``Dicke`` object, a
    Liouvillian, Hamiltonian and ``c_ops``, ``Ensembles`` operators), where
    ``qutip.steadystate`` would take its Liouvillian; ``rho0`` (default: all
    emitters excited), ``t_relax`` and ``max_time`` are those of
    :meth:`TwaSolver.steady`.

    Returns
    -------
    :class:`SteadyStateResult`
    """
    ntraj = check_ntraj(ntraj)
    solver = solver_for(H, c_ops, e_ops, rho0, options=options, args=args,
                        N=N, rates=dict(emission=emission,
                                        dephasing=dephasing,
                                        pumping=pumping))
    return solver.steady(rho0, ntraj, e_ops=e_ops, args=args, seeds=seeds,
                         t_relax=t_relax, max_time=max_time)
