"""Every solver call of QuTiP's PIQS example notebooks: QuTiP against qutip-twa.

Runs the code cells of the PIQS notebooks of qutip/qutip-notebooks
(``examples/piqs*.ipynb``, read with ``git show``) in order, each notebook in
a fresh namespace, with ``mesolve``, ``steadystate``, ``correlation_2op_1t``,
``coherence_function_g1``/``g2``, ``spectrum`` and ``Dicke.pisolve``
wrapped: a call runs the QuTiP function, whose result the notebook gets back
unchanged, and the ``qutip_twa`` function of the same name with the same
arguments plus ``seeds=`` (and ``full_output=True`` where that gives the
standard error).  Prints a markdown table, one row per call (one per call
site and N for sweeps of more than 12 calls), then the twasolve failures
with their tracebacks and the QuTiP 5 shims that were needed.

Usage (needs a clone of https://github.com/qutip/qutip-notebooks; a bare
mirror is enough)::

    NUMBA_NUM_THREADS=1 python benchmarks/piqs_notebooks.py --repo PATH \\
        [--quick] [--only piqs-overview ...] > table.md

Columns: max over times of |TWA - exact| / N per e_op (/ N^2 for products,
an e_op whose source text has ``*``; photon numbers: / the largest exact
photon number; spectra: / max |S|; g1, g2: absolute, no
stderr), with the TWA standard error at that time on the same scale.
twasolve runs its default ntraj unless a standard error exceeds 0.005 on
that scale; then ntraj is raised to what 0.005 needs, at most
``--max-ntraj`` and what runs in ``--budget`` seconds.  ``steadystate``
and ``Dicke.pisolve`` have no drop-in (they return density matrices): each
``expect(op, rho)`` the notebook then takes is compared with
``steadystate_expect(L, e_ops=[op])`` or ``twasolve(system, rho0, t,
e_ops=[op])``, on every ``--stride``-th call of a steadystate sweep (per
N).  A QuTiP call that runs Python code (mesolve, not a direct sparse
solve) is stopped after ``--exact-limit`` seconds ("skipped: mesolve
cost"); a stopped mesolve hands the notebook twasolve's result.
``--quick`` (or ``PIQS_NOTEBOOKS_QUICK=1``): 200 trajectories, no raise,
stride 40, to check the script.  The shims for QuTiP 4 code are listed
with the table; none changes a model, parameter, tlist or e_op.
"""

import argparse
import ast
import contextlib
import inspect
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
import traceback
import types
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import qutip  # noqa: E402
import qutip.piqs as piqs  # noqa: E402  (the module qutip/piqs/piqs.py)
import scipy  # noqa: E402
import scipy.sparse.linalg as spla  # noqa: E402

import qutip_twa  # noqa: E402
from qutip_twa.translate.spaces import find_ensembles  # noqa: E402

REPO = "/work/.mirror/qutip+qutip-notebooks/repo"
TARGET = 0.005     # wanted standard error / N
SEED = 1
SWEEP = 12         # a call site with more calls gets one row per N
STATE_BYTES = 2e9  # exact runs storing more states than this do not store

MODELS = {  # (notebook, cell) -> phrase or {assigned name: phrase}; {x} from the notebook
    ("piqs-boundary-time-crystals", 19):
        "boundary time crystal (Jx, collective decay), dephasing {gD:g}",
    ("piqs-boundary-time-crystals", 23):
        "boundary time crystal (Jx, collective decay), emission {gE:g}",
    ("piqs-entropy_purity", 17): {
        "result_local_dicke": "Jz^2 - 0.1 Jx, local emission, pumping, dephasing",
        "result_local_uncoupled": "same in the uncoupled 2^N basis, c_ops per spin"},
    ("piqs-multiple-spin-ensembles", 8):
        "two ensembles N1=1, N2=4 (jmat basis), shared collective decay",
    ("piqs-multiple-spin-ensembles", 19): {
        "result_0": "two ensembles 5 + 15, shared collective decay",
        "result_gD": "two ensembles 5 + 15, + local dephasing",
        "result_gE": "two ensembles 5 + 15, + local emission",
        "result_gCEi": "two ensembles 5 + 15, + collective decay of each"},
    ("piqs-open-dicke-model", 6):
        "Dicke model in a lossy cavity, dephasing, emission, collective emission",
    ("piqs-open-dicke-model", 7): {
        "rho_ss": "Dicke model in a lossy cavity, dephasing, pumping",
        "rho_ss2": "Dicke model in a lossy cavity, dephasing, emission",
        "rho_ss3": "Dicke model in a lossy cavity, + collective pumping",
        "rho_ss4": "Dicke model in a lossy cavity, + collective emission"},
    ("piqs-overview", 7): "0.5 Jz + Jx, local emission and dephasing",
    ("piqs-overview", 9): "0.5 Jz + Jx, local emission and dephasing, from ground",
    ("piqs-overview", 16): "pumped lossy cavity + emitters (g Jx (a + a+)), emission",
    ("piqs-overview", 21): "pumped lossy cavity + emitters, from excited, vacuum",
    ("piqs-overview", 26): "pumped lossy cavity + emitters, from B rho_ss (g2)",
    ("piqs-overview", 31): "local pumping + emission (thermal state)",
    ("piqs-overview", 43): "Jz, collective decay, from a coherent spin state",
    ("piqs-overview", 45): "Jz + J+J-, local emission, from |N/2, 0>",
    ("piqs-spin-squeezing-noise", 5): {
        "result": "two-axis countertwisting, collective decay, from |{j:g}, {m:g}>",
        "result2": "two-axis countertwisting, local emission, from |{j:g}, {m:g}>"},
    ("piqs-steadystate-superradiance", 7): "superradiant laser (collective decay, pumping)",
    ("piqs-steadystate-superradiance", 9): {
        "rho0": "superradiant laser", "rhoss": "superradiant laser",
        "result1": "superradiant laser, from J- rho_ss J+ (g2)",
        "result2": "superradiant laser, from its steady state"},
    ("piqs-steadystate-superradiance", 13): "superradiant laser, pumping sweep",
    ("piqs-steadystate-superradiance", 18): "one driven TLS (sz + 5 sx, decay)",
    ("piqs-steadystate-superradiance", 19): {
        "rhoss_TLS": "one driven TLS (sz + 5 sx, decay)",
        "result3": "one driven TLS, from s- rho_ss s+ (g2)"},
    ("piqs-steadystate-superradiance", 21): {
        "rhoss": "superradiant laser (20 Jz, pumping N/2)",
        "g2_norm,G2": "superradiant laser, steady-state g2",
        "g1_norm,G1": "superradiant laser, steady-state g1",
        "g2_ss": "superradiant laser, steady-state <J+(t) J->",
        "result1": "superradiant laser, from J- rho_ss J+ (g2)",
        "result2": "superradiant laser, from ground"},
    ("piqs-steadystate-superradiance", 26): {
        "rho_ss": "superradiant laser, local loss = pumping, sweep",
        "rho_ss_noloss": "superradiant laser, pumping sweep"},
    ("piqs-superradiant-light-emission", 5): {
        f"result{k}": f"superradiant decay from {s}" for k, s in enumerate(
            ["|N/2, N/2>", "|N/2, 0>", "symmetric CSS", "antisymmetric CSS",
             "subradiant |0, 0>", "GHZ"], 1)},
    ("piqs_introduction", 7): "0.5 Jz + Jx, local emission and dephasing",
    ("piqs_introduction", 9): "0.5 Jz + Jx, local emission and dephasing, from ground",
    ("piqs_introduction", 15): "pumped lossy cavity + emitters, emission",
    ("piqs_introduction", 19): "pumped lossy cavity + emitters, from excited, vacuum",
    ("piqs_introduction", 23): "pumped lossy cavity + emitters, from B rho_ss (g2)",
    ("piqs_steadystate_superradiance", 6): "superradiant laser (collective decay, pumping)",
    ("piqs_steadystate_superradiance", 8): {
        "result1": "superradiant laser, from J- rho_ss J+ (g2)",
        "result2": "superradiant laser, from ground"},
    ("piqs_steadystate_superradiance", 12): "superradiant laser, pumping sweep",
    ("piqs_superradiance", 6): "lossy cavity + emitters, emission, dephasing",
    ("piqs_superradiance", 10): "lossy cavity + emitters, from excited, vacuum",
}


class TooSlow(Exception):
    """Raised by the alarm that stops a QuTiP call."""


def notebook_cells(repo, name):
    """[(index, source)] of the code cells, IPython magics made ``pass``."""
    text = subprocess.run(["git", "-C", repo, "show", f"HEAD:examples/{name}"],
                          check=True, capture_output=True, text=True).stdout
    cells = []
    for i, cell in enumerate(json.loads(text)["cells"]):
        if cell["cell_type"] == "code":
            lines = "".join(cell["source"]).splitlines()
            cells.append((i, "\n".join(
                line[:len(line) - len(line.lstrip())] + "pass"
                if line.lstrip()[:1] in ("%", "!") else line
                for line in lines)))
    return cells


def ensure_shims():
    """Module-level shims for names the notebooks' QuTiP 4 era imports
    (time.clock, scipy.log, qutip.cy.piqs, IPython.core.display.display)."""
    time.clock = time.perf_counter
    scipy.log = np.log
    sys.modules.setdefault("qutip.cy.piqs", piqs)
    with contextlib.suppress(ImportError):
        import IPython.core.display
        import IPython.display
        IPython.core.display.display = IPython.display.display


def namespace(code):
    """A fresh namespace with the namespace shims, and their notes."""
    names = [n for n in dir(piqs) if not n.startswith("_")
             and not isinstance(getattr(piqs, n), types.ModuleType)]
    ns = {n: getattr(piqs, n) for n in names}
    ns.update(np=np, Options=options_dict, __name__="__main__")
    notes = ["qutip.piqs names pre-set (`from qutip.piqs import *` gives "
             "only `piqs` in QuTiP 5)"]
    if "np." in code and "import numpy as np" not in code:
        notes.append("np pre-set (QuTiP 5's `import *` has no np)")
    if "Options(" in code:
        notes.append("Options(**kw) -> dict(kw)" + (
            " without ntraj (mesolve rejects it)" if "ntraj=" in code else ""))
    for word, note in (("import clock", "time.clock = time.perf_counter"),
                       ("scipy import log", "scipy.log = np.log"),
                       ("qutip.cy.piqs", "qutip.cy.piqs = qutip.piqs"),
                       ("core.display import", "IPython.core.display.display "
                        "= IPython.display.display")):
        if word in code:
            notes.append(note)
    return ns, notes


def options_dict(**kw):
    """QuTiP 4's Options as the dict QuTiP 5 takes (ntraj is for mcsolve)."""
    kw.pop("ntraj", None)
    return kw


def steadystate_blocks(A):
    """QuTiP 5's direct steady-state solve restricted to the elements of a
    PIQS Dicke-basis Liouvillian inside the j blocks (the other elements of
    the Dicke-basis matrix are unphysical and make the system singular)."""
    d = A.dims[0][0][0]
    N = next(n for n in range(1, d + 1) if piqs.num_dicke_states(n) == d)
    blocks = np.asarray(piqs.block_matrix(N).todense()) != 0
    live = np.flatnonzero(blocks.T.ravel())   # column-stacked vec(rho)
    Lr = A.to("csr").data.as_scipy().tocsr()[live][:, live].tolil()
    weight = np.mean(np.abs(Lr.tocsr().data))
    trace = np.flatnonzero(np.isin(live, np.arange(d) * (d + 1)))
    Lr[0, trace] = Lr[0, trace].toarray() + weight
    b = np.zeros(len(live), complex)
    b[0] = weight
    x = np.zeros(d * d, complex)
    x[live] = spla.spsolve(Lr.tocsc(), b)
    rho = x.reshape(d, d).T
    rho = 0.5 * (rho + rho.conj().T)
    return qutip.Qobj(rho / np.trace(rho), dims=A.dims[0])


def is_photon_number(op):
    """True for c * (a+ a) on one factor of a tensor product."""
    if not isinstance(op, qutip.Qobj) or op.dims[0] != op.dims[1] \
            or len(op.dims[0]) < 2:
        return False
    dims = op.dims[0]
    for k, d in enumerate(dims):
        x = op.ptrace(k).full() / (op.shape[0] // d)
        diag = np.diag(x)
        if np.allclose(x, np.diag(diag)) and abs(diag[1]) > 0 \
                and np.allclose(diag, diag[1] * np.arange(d)):
            parts = [qutip.qeye(e) for e in dims]
            parts[k] = qutip.Qobj(x)
            if (op - qutip.tensor(parts)).norm() < 1e-9 * op.norm():
                return True
    return False


def default_ntraj(fn):
    return inspect.signature(fn).parameters["ntraj"].default


def first_line(exc):
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:160]


class Row(dict):
    """One solver call: notebook, idx, cell, line, kind, model, N, times,
    t_exact, t_twa, ntraj, errs [(label, err, stderr)], status, notes."""


class Harness:
    """Wraps the QuTiP solvers while the notebooks run and collects rows."""

    def __init__(self, quick, max_ntraj, stride, exact_limit, budget):
        self.quick, self.max_ntraj, self.budget = quick, max_ntraj, budget
        self.stride, self.exact_limit = stride, exact_limit
        self.rows, self.failures, self.shims = [], [], {}
        self.inside = False
        self.registry = {}   # id(rho or states) -> (object, row, twa call)
        self.sweeps = {}     # (notebook, cell, line, N) -> steadystate calls
        self.slow_sites = set()
        self.orig = {}

    # -- running notebooks -------------------------------------------------
    def run_notebook(self, repo, name):
        nb = name[:-len(".ipynb")]
        cells = notebook_cells(repo, name)
        ns, notes = namespace("\n".join(src for _, src in cells))
        self.nb, self.ns, self.sources = nb, ns, dict(cells)
        self.trees, self.count = {}, 0
        self.shims[nb] = notes
        for idx, src in cells:
            print(f"--- {nb} cell {idx}", file=sys.stderr, flush=True)
            try:
                code = compile(src, f"<cell {nb}:{idx}>", "exec")
                with contextlib.redirect_stdout(sys.stderr):
                    exec(code, ns)
            except Exception as exc:
                notes.append(f"cell {idx} fails: {first_line(exc)}")
            plt.close("all")
        self.registry.clear()

    def patch(self):
        """Replace the solvers (qutip's attributes, so ``from qutip import
        *`` takes the wrappers)."""
        for name, kind in (("mesolve", "mesolve"),
                           ("correlation_2op_1t", "corr"),
                           ("coherence_function_g1", "g"),
                           ("coherence_function_g2", "g"),
                           ("spectrum", "spectrum")):
            self.orig[name] = getattr(qutip, name)
            setattr(qutip, name, self._wrapper(name, kind))
        self.orig["steadystate"] = qutip.steadystate
        qutip.steadystate = self._steadystate
        self.orig["expect"] = qutip.expect
        qutip.expect = self._expect
        self.orig["pisolve"] = piqs.Dicke.pisolve
        harness = self

        def pisolve(system, initial_state, tlist):
            return harness._pisolve(system, initial_state, tlist)
        piqs.Dicke.pisolve = pisolve

    def unpatch(self):
        for name, fn in self.orig.items():
            if name == "pisolve":
                piqs.Dicke.pisolve = fn
            else:
                setattr(qutip, name, fn)

    # -- call sites ----------------------------------------------------------
    def site(self, func):
        """(cell, line, name assigned, call node) of the notebook line
        calling ``func``."""
        frame = sys._getframe(2)
        while frame and not frame.f_code.co_filename.startswith("<cell "):
            frame = frame.f_back
        if frame is None:
            return None, None, None, None
        cell = self.cell = int(frame.f_code.co_filename[:-1].rsplit(":", 1)[1])
        line = frame.f_lineno
        tree = self.trees.get(cell) or ast.parse(self.sources[cell])
        self.trees[cell] = tree
        target, call = None, None
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and node.lineno <= line <= node.end_lineno:
                t = node.targets[0]
                target = ",".join(e.id for e in t.elts) if isinstance(t, ast.Tuple) \
                    else ast.unparse(t)
            if isinstance(node, ast.Call) and node.lineno <= line <= node.end_lineno \
                    and ast.unparse(node.func).split(".")[-1] == func:
                call = node
        return cell, line, target, call

    def new_row(self, kind, func, times):
        cell, line, target, call = self.site(func)
        self.count += 1
        model = MODELS.get((self.nb, cell), "?")
        if isinstance(model, dict):
            model = model.get(target, "?")
        with contextlib.suppress(Exception):
            model = model.format_map(self.ns)  # loop values, e.g. {gD:g}
        row = Row(notebook=self.nb, idx=self.count, cell=cell, line=line,
                  kind=kind, model=model, N=self.ns.get("N"), times=times,
                  t_exact=None, t_twa=None, ntraj=None, errs=[], status="",
                  notes=[], call=call)
        self.rows.append(row)
        return row

    def labels(self, call, n, keyword="e_ops", position=4):
        """Source text of the e_ops of a call (or e0, e1, ...); a name
        assigned earlier in the cell also shows its value (A = jp*jm)."""
        node = None
        if call is not None:
            node = next((k.value for k in call.keywords if k.arg == keyword), None)
            if node is None and len(call.args) > position:
                node = call.args[position]
        if isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) == n:
            return [ast.unparse(e) for e in node.elts]
        if node is None or n != 1:
            return [f"e{k}" for k in range(n)]
        label = ast.unparse(node)
        for stmt in ast.walk(self.trees[self.cell]):
            if isinstance(stmt, ast.Assign) and stmt.lineno < call.lineno \
                    and isinstance(stmt.value, ast.BinOp) \
                    and ast.unparse(stmt.targets[0]) == label:
                label = f"{label} = {ast.unparse(stmt.value)}"
        return [label]

    def emitters(self, row, *inputs):
        with contextlib.suppress(Exception):
            row["N"] = int(find_ensembles(*inputs)[0].N_tot)

    # -- the two sides ---------------------------------------------------------
    def shim(self, note):
        if note not in self.shims[self.nb]:
            self.shims[self.nb].append(note)

    def exact(self, row, fn, args, kw, interruptible=True):
        """Run the QuTiP call (under the alarm where it runs Python code);
        (result, exception).  QuTiP 4 keywords QuTiP 5 lacks are dropped."""
        key = (self.nb, row["cell"], row["line"])
        if key in self.slow_sites:
            row["status"] = "skipped: mesolve cost (as the previous call here)"
            return None, TooSlow()

        def alarm(*_):
            raise TooSlow()
        old = signal.signal(signal.SIGALRM, alarm)
        if interruptible:
            signal.setitimer(signal.ITIMER_REAL, self.exact_limit)
        t0 = time.perf_counter()
        self.inside = True
        try:
            while True:
                try:
                    return fn(*args, **kw), None
                except TypeError as exc:
                    bad = re.findall(r"unexpected keyword argument '(\w+)'", str(exc))
                    if not bad or bad[0] not in kw:
                        raise
                    kw = {k: v for k, v in kw.items() if k != bad[0]}
                    self.shim(f"{fn.__name__}: {bad[0]}= dropped (not in QuTiP 5)")
        except TooSlow as exc:
            self.slow_sites.add(key)
            row["status"] = f"skipped: mesolve cost (> {self.exact_limit:.0f} s, stopped)"
            return None, exc
        except Exception as exc:
            row["status"] = f"QuTiP 5 fails: {first_line(exc)}"
            return None, exc
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
            self.inside = False
            row["t_exact"] = (row["t_exact"] or 0.0) + time.perf_counter() - t0

    def twa(self, row, fn, args, kw, scales):
        """Run the qutip_twa call (seeded); raise ntraj if a stderr / scale
        exceeds TARGET.  Returns the result or None."""
        kw = dict(kw, seeds=SEED)
        if self.quick:
            kw["ntraj"] = 200
        params = inspect.signature(fn).parameters
        ntraj = kw.get("ntraj", params["ntraj"].default)
        self.inside = True
        try:
            out, dt, warned = self._call(fn, args, kw)
        except TypeError as exc:
            extra = [k for k in kw if k not in params]
            if "unexpected keyword" not in str(exc) or not extra:
                return self._failed(row, exc)
            row["notes"].append(f"drop-in {first_line(exc)}; compared without "
                                + ", ".join(f"{k}=" for k in extra))
            self.failures.append((row, exc, traceback.format_exc()))
            kw = {k: v for k, v in kw.items() if k not in extra}
            try:
                out, dt, warned = self._call(fn, args, kw)
            except Exception as exc2:
                return self._failed(row, exc2)
        except Exception as exc:
            return self._failed(row, exc)
        finally:
            self.inside = False
        worst = max((np.nanmax(se) / s for _, _, se, s in scales(out)
                     if se is not None and np.size(se)), default=0.0)
        wanted = ntraj * (worst / TARGET) ** 2
        need = min(self.max_ntraj, 1000 * math.ceil(wanted / 1000),
                   1000 * int(ntraj * self.budget / dt / 1000))
        if not self.quick and worst > TARGET and need > ntraj:
            row["notes"].append(f"ntraj {ntraj} -> {need} (stderr {worst:.2g}"
                                + ("" if need >= wanted else
                                   f"; 0.005 needs {wanted:.2g}") + ")")
            self.inside = True
            try:
                out, dt, warned = self._call(fn, args, dict(kw, ntraj=need))
                ntraj = need
            except Exception as exc:
                return self._failed(row, exc)
            finally:
                self.inside = False
        row["t_twa"] = (row["t_twa"] or 0.0) + dt
        row["ntraj"] = ntraj
        for w in warned:
            note = f"{w.category.__name__}: {str(w.message)[:70]}"
            if note not in row["notes"]:
                row["notes"].append(note)
        return out

    @staticmethod
    def _call(fn, args, kw):
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            t0 = time.perf_counter()
            out = fn(*args, **kw)
            dt = time.perf_counter() - t0
        return out, dt, [w for w in warned if "qutip_twa" in
                         getattr(w.category, "__module__", "")]

    def _failed(self, row, exc):
        msg = f"TWA error: {first_line(exc)}"
        if msg not in row["status"]:
            row["status"] = (row["status"] + "; " if row["status"] else "") + msg
            self.failures.append((row, exc, traceback.format_exc()))
        return None

    def record(self, row, entries):
        """entries: (label, exact array, twa array, stderr array, scale)."""
        for label, ex, tw, se, scale in entries:
            d = np.abs(np.asarray(tw) - np.asarray(ex)).ravel()
            i = int(np.argmax(d))
            s = None if se is None else np.ravel(se)[i] / scale
            row["errs"].append((label, d[i] / scale, s))

    def scale(self, row, op, exact, label):
        """N (N^2 for a product, ``*`` in its source text), or the largest
        exact photon number for a photon-number e_op."""
        if exact is not None and is_photon_number(op):
            return max(float(np.max(np.abs(exact))), 1e-300), "photons"
        return float(row["N"] or 1) ** (2 if "*" in label else 1), None

    # -- wrappers ------------------------------------------------------------
    def _wrapper(self, name, kind):
        harness = self

        def wrapped(*args, **kw):
            if harness.inside:
                return harness.orig[name](*args, **kw)
            return getattr(harness, "_" + kind)(name, args, kw)
        wrapped.__name__ = name
        return wrapped

    def _mesolve(self, name, args, kw):
        H, rho0, tlist = args[:3]
        c_ops = args[3] if len(args) > 3 else kw.get("c_ops")
        bound = inspect.signature(self.orig[name]).bind(*args, **kw).arguments
        e_ops = bound.get("e_ops")
        row = self.new_row("mesolve", name, len(tlist))
        ops = e_ops if isinstance(e_ops, (list, tuple)) else \
            ([] if e_ops is None else [e_ops])
        self.emitters(row, H, c_ops, ops or None, rho0)
        ekw = dict(kw)
        opts = dict(bound.get("options") or {})
        size = len(tlist) * rho0.shape[0] ** 2 * 16
        if ops and opts.get("store_states") and size > STATE_BYTES:
            ekw["options"] = dict(opts, store_states=False)
            row["notes"].append(f"exact run without store_states ({size / 1e9:.0f} GB)")
        exact, exc = self.exact(row, self.orig[name], args, ekw)
        tw_kw = dict(kw, options=dict(opts)) if "options" in kw else dict(kw)
        labels = self.labels(row["call"], len(ops))
        scales = [self.scale(row, op, None if exact is None else exact.expect[k],
                             label) for k, (op, label) in enumerate(zip(ops, labels))]

        def pairs(res):
            return [(lab, None, se, s) for lab, se, (s, _) in
                    zip(labels, res.stderr_expect, scales)]
        twa = self.twa(row, qutip_twa.twasolve, args, tw_kw, pairs)
        if exact is not None and twa is not None:
            self.record(row, [(lab + (" (photons)" if kind else ""), ex, tw, se, s)
                              for lab, ex, tw, se, (s, kind) in zip(
                                  labels, exact.expect, twa.expect,
                                  twa.stderr_expect, scales)])
        if exact is None and isinstance(exc, TooSlow) and twa is not None:
            row["notes"].append("notebook continued with twasolve's result")
            return twa
        if exact is None:
            raise exc
        row["status"] = row["status"] or "ok"
        return exact

    def exact_from_steady(self, row, fn, args, kw):
        """exact() for a correlation; state0=None (the steady state) where
        QuTiP 5's steadystate fails: the block shim's steady state."""
        exact, exc = self.exact(row, fn, args, kw)
        if exact is None and args[1] is None and "singular" in str(exc) \
                and not args[3] and len(args[0].dims[0][0]) == 1:
            self.shim(f"{fn.__name__}(state0=None): the steady state from the "
                      "steadystate shim")
            row["status"] = ""
            exact, exc = self.exact(row, fn, (args[0], steadystate_blocks(args[0]))
                                    + tuple(args[2:]), kw)
        return exact, exc

    def _corr(self, name, args, kw):
        """correlation_2op_1t(H, state0, taulist, c_ops, a_op, b_op)."""
        row = self.new_row(name, name, len(args[2]))
        self.emitters(row, args[0], args[3], list(args[4:6]), args[1])
        exact, exc = self.exact_from_steady(row, self.orig[name], args, kw)
        scale = float(row["N"] or 1)
        twa = self.twa(row, qutip_twa.correlation_2op_1t, args,
                       dict(kw, full_output=True),
                       lambda r: [("corr", None, r.stderr[0], scale)])
        if exact is not None and twa is not None:
            self.record(row, [("<A(t)B>", exact, twa.correlation[0],
                               twa.stderr[0], scale)])
        if exact is None:
            raise exc
        row["status"] = row["status"] or "ok"
        return exact

    def _g(self, name, args, kw):
        """coherence_function_g1/g2(H, state0, taulist, c_ops, a_op)."""
        row = self.new_row(name, name, len(args[2]))
        self.emitters(row, args[0], args[3], [args[4]], args[1])
        exact, exc = self.exact_from_steady(row, self.orig[name], args, kw)
        twa = self.twa(row, getattr(qutip_twa, name), args, kw, lambda r: [])
        k = name[-1]
        if exact is not None and twa is not None:
            self.record(row, [(f"g{k}", exact[0], twa[0], None, 1.0),
                              (f"G{k}", exact[1], twa[1], None,
                               float(row["N"] or 1))])
            row["notes"].append("no stderr from qutip_twa." + name)
        if exact is None:
            raise exc
        row["status"] = row["status"] or "ok"
        return exact

    def _spectrum(self, name, args, kw):
        """spectrum(H, wlist, c_ops, a_op, b_op)."""
        row = self.new_row(name, name, len(args[1]))
        self.emitters(row, args[0], args[2], list(args[3:5]))
        exact, exc = self.exact(row, self.orig[name], args, kw)
        scale = 1.0 if exact is None else float(np.max(np.abs(exact)))
        twa = self.twa(row, qutip_twa.spectrum, args, dict(kw, full_output=True),
                       lambda r: [("S", None, r[1], scale)])
        if exact is not None and twa is not None:
            self.record(row, [("S(w) / max S", exact, twa[0], twa[1], scale)])
        if exact is None:
            raise exc
        row["status"] = row["status"] or "ok"
        return exact

    def _steadystate(self, A, c_ops=(), *args, **kw):
        if self.inside:
            return self.orig["steadystate"](A, c_ops, *args, **kw)
        row = self.new_row("steadystate", "steadystate", 1)
        row["times"] = "ss"
        self.emitters(row, A, list(c_ops) or None)
        rho, exc = self.exact(row, self.orig["steadystate"], (A, c_ops) + args, kw,
                              interruptible=kw.get("method", "direct") != "direct")
        if rho is None and "singular" in str(exc) and not c_ops \
                and len(A.dims[0][0]) == 1 and not args \
                and kw.get("method", "direct") == "direct" and set(kw) <= {"method"}:
            t0 = time.perf_counter()
            rho = steadystate_blocks(A)
            row["t_exact"] += time.perf_counter() - t0
            row["status"] = ""
            self.shim("steadystate: QuTiP 5's direct solve finds PIQS Dicke-basis "
                      "Liouvillians singular; solved on the elements inside the j blocks")
            row["notes"].append("exact via the singular-solve shim")
        if rho is None:
            raise exc
        row["status"] = ("no drop-in: returns a density matrix; compared: "
                         "steadystate_expect(L, e_ops=[op]) per expect(op, rho)")
        key = (self.nb, row["cell"], row["line"], row["N"])
        self.sweeps[key] = self.sweeps.get(key, 0) + 1
        if (self.sweeps[key] - 1) % self.stride == 0:
            def run(ops, seeds=None, ntraj=default_ntraj(qutip_twa.steadystate_expect)):
                return qutip_twa.steadystate_expect(
                    A, list(c_ops) or None, e_ops=ops, seeds=seeds, ntraj=ntraj)
            self.registry[id(rho)] = (rho, row, run)
        return rho

    def _pisolve(self, system, initial_state, tlist):
        row = self.new_row("pisolve", "pisolve", len(tlist))
        self.emitters(row, system)
        out, exc = self.exact(row, self.orig["pisolve"], (system, initial_state, tlist), {})
        if out is None:
            raise exc
        row["status"] = ("no drop-in: returns states; compared: twasolve(system, "
                         "rho0, t, e_ops=[op]) per expect(states, op)")

        def run(ops, seeds=None, ntraj=default_ntraj(qutip_twa.twasolve)):
            return qutip_twa.twasolve(system, initial_state, tlist, e_ops=ops,
                                      seeds=seeds, ntraj=ntraj)
        self.registry[id(out.states)] = (out.states, row, run)
        return out

    def _expect(self, oper, state):
        value = self.orig["expect"](oper, state)
        hit = None if self.inside else \
            self.registry.get(id(state)) or self.registry.get(id(oper))
        if hit is None or hit[0] is not state and hit[0] is not oper:
            return value
        _, row, run = hit
        op = oper if hit[0] is state else state
        _, _, _, call = self.site("expect")
        label = self.labels(call, 1, keyword="oper", position=0 if hit[0] is state else 1)[0]
        scale, kind = self.scale(row, op, value, label)
        twa = self.twa(row, run, ([op],), {},
                       lambda r: [(label, None, r.stderr_expect[0], scale)])
        if twa is not None:
            self.record(row, [(label + (" (photons)" if kind else ""), value,
                               twa.expect[0], twa.stderr_expect[0], scale)])
        return value


# -- report ----------------------------------------------------------------
def md(text):
    return str(text).replace("|", "\\|").replace("*", "\\*")


def fmt(x, spec=".3g"):
    return "-" if x is None else format(x, spec)


def group_rows(rows):
    """Rows, with the calls of a site of more than SWEEP calls merged per N."""
    counts = {}
    for r in rows:
        key = (r["notebook"], r["kind"], r["cell"], r["line"])
        counts[key] = counts.get(key, 0) + 1
    out, groups = [], {}
    for r in rows:
        key = (r["notebook"], r["kind"], r["cell"], r["line"])
        if counts[key] <= SWEEP:
            out.append(r)
            continue
        gkey = key + (r["N"],)
        if gkey not in groups:
            groups[gkey] = []
            out.append(groups[gkey])
        groups[gkey].append(r)
    return out


def merged(rs):
    """One row for a sweep: idx range, summed times, worst errors."""
    errs = {}
    for r in rs:
        for label, e, s in r["errs"]:
            if label not in errs or e > errs[label][0]:
                errs[label] = (e, s)
    notes, kinds = [], set()
    for r in rs:
        for n in r["notes"]:
            if re.sub(r"[\d.]+", "#", n) not in kinds:
                kinds.add(re.sub(r"[\d.]+", "#", n))
                notes.append(n)
    statuses = []
    for r in rs:
        if r["status"] not in statuses:
            statuses.append(r["status"])
    compared = sum(bool(r["errs"]) or r["t_twa"] is not None for r in rs)
    return Row(rs[0], idx=f"{rs[0]['idx']}-{rs[-1]['idx']}",
               t_exact=sum(r["t_exact"] or 0 for r in rs),
               t_twa=sum(r["t_twa"] or 0 for r in rs),
               ntraj=max((r["ntraj"] or 0 for r in rs), default=0) or None,
               errs=[(k, *v) for k, v in errs.items()],
               status=f"{len(rs)} calls, TWA on {compared}: " + "; ".join(statuses),
               notes=notes)


def report(h, total, times):
    lines = ["| notebook | # | model | N | times | QuTiP s | twasolve s (ntraj) "
             "| max \\|TWA - exact\\| / N (products / N²) ± stderr "
             "| status, notes |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in group_rows(h.rows):
        r = merged(r) if isinstance(r, list) else r
        errs = "; ".join(f"{md(lab)} {e:.2g}" + ("" if s is None else f" ± {s:.1g}")
                         for lab, e, s in r["errs"]) or "-"
        tw = "-" if r["t_twa"] is None else f"{r['t_twa']:.1f} ({r['ntraj']})"
        status = "; ".join([r["status"]] + r["notes"])
        kind = "" if r["kind"] == "mesolve" else f"{r['kind']}: "
        lines.append(f"| {r['notebook']} | {r['idx']} | {md(kind + r['model'])} | "
                     f"{fmt(r['N'], 'd') if isinstance(r['N'], int) else '?'} | "
                     f"{r['times']} | {fmt(r['t_exact'], '.1f')} | {tw} | {errs} | "
                     f"{md(status)} |")
    lines += ["", "## twasolve failures", ""]
    seen = {}
    for row, exc, tb in h.failures:
        seen.setdefault(first_line(exc), [tb, []])[1].append(
            f"{row['notebook']} #{row['idx']} (cell {row['cell']})")
    for msg, (tb, where) in seen.items():
        calls = ", ".join(where[:6]) + (f" and {len(where) - 6} more" if len(where) > 6 else "")
        tail = "\n".join(tb.strip().splitlines()[-6:])
        lines += [f"- **{md(msg)}** in {calls}", "", "```", tail, "```", ""]
    if not h.failures:
        lines.append("none")
    lines += ["", "## QuTiP 5 shims and notebook cells that fail", ""]
    for nb, notes in h.shims.items():
        lines.append(f"- {nb} ({times[nb]:.0f} s): " + "; ".join(md(n) for n in notes))
    lines += ["", f"Total run time {total / 60:.1f} min "
              f"({'quick' if h.quick else 'full'} run, max ntraj {h.max_ntraj}, "
              f"steadystate sweeps: TWA on every {h.stride}th call)."]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repo", default=REPO, help="clone of qutip-notebooks")
    ap.add_argument("--quick", action="store_true",
                    default=bool(os.environ.get("PIQS_NOTEBOOKS_QUICK")))
    ap.add_argument("--only", nargs="*", help="notebook names, no .ipynb")
    ap.add_argument("--max-ntraj", type=int, default=8000)
    ap.add_argument("--stride", type=int, help="default 20 (quick: 40)")
    ap.add_argument("--exact-limit", type=float, default=300.0,
                    help="seconds before a QuTiP call is stopped")
    ap.add_argument("--budget", type=float, default=60.0,
                    help="seconds a raised-ntraj twasolve run may take")
    a = ap.parse_args()
    listing = subprocess.run(["git", "-C", a.repo, "ls-tree", "--name-only",
                              "HEAD", "examples/"], check=True,
                             capture_output=True, text=True).stdout.split()
    names = [p.split("/")[-1] for p in listing
             if "piqs" in p.lower() and p.endswith(".ipynb")]
    if a.only:
        names = [n for n in names if n[:-6] in a.only]
    ensure_shims()
    h = Harness(a.quick, a.max_ntraj, a.stride or (40 if a.quick else 20),
                a.exact_limit, a.budget)
    h.patch()
    start, times = time.perf_counter(), {}
    try:
        for name in names:
            t0 = time.perf_counter()
            h.run_notebook(a.repo, name)
            times[name[:-6]] = time.perf_counter() - t0
    finally:
        h.unpatch()
    print(report(h, time.perf_counter() - start, times))


if __name__ == "__main__":
    main()
