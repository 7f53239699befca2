"""TwaSolver: a solver class over the one pipeline, options per key, names."""

import ast
import pathlib

import numpy as np
import pytest
from qutip import piqs

import qutip_twa
from qutip_twa import TwaSolver, twasolve
from qutip_twa.translate import collective

N = 6
SYSTEM = piqs.Dicke(N, hamiltonian=piqs.jspin(N, "x"),
                    collective_emission=1.0, pumping=2.0)
JZ = piqs.jspin(N, "z")
T = np.linspace(0, 0.5, 6)


def test_run_equals_twasolve_bit_for_bit():
    solver = TwaSolver(SYSTEM.liouvillian())
    for seed, state in [(1, piqs.excited(N)), (2, piqs.css(
            N, 1.0, 0.5, coordinates="polar"))]:
        ref = twasolve(SYSTEM, state, T, e_ops=[JZ], ntraj=256, seeds=seed)
        got = solver.run(state, T, 256, e_ops=[JZ], seeds=seed)
        np.testing.assert_array_equal(got.expect[0], ref.expect[0])
        assert got.stats["N"] == N and got.solver == "twasolve"


def test_runs_do_not_identify_operators_again(monkeypatch):
    calls = []
    original = collective.collective_coefficients

    def counted(*args, **kw):
        calls.append(args[2])
        return original(*args, **kw)

    monkeypatch.setattr(collective, "collective_coefficients", counted)
    solver = TwaSolver(0.5 * piqs.jspin(N, "x"), [piqs.jspin(N, "-")])
    assert calls[-2:] == ["H", "c_ops[0]"]
    built = len(calls)
    for seed in range(3):
        solver.run(piqs.ground(N), T, 8, seeds=seed)
    assert len(calls) == built


def test_run_checks_state_and_e_ops_against_the_system():
    solver = TwaSolver(SYSTEM)
    with pytest.raises(ValueError, match="implies N = 5"):
        solver.run(piqs.excited(5), T, 8)
    with pytest.raises(ValueError, match=r"e_ops\[0\] implies N = 4"):
        solver.run(piqs.excited(N), T, 8, e_ops=[piqs.jspin(4, "z")])


@pytest.mark.parametrize("options, exc, match", [
    ("fast", TypeError, "options must be a dict"),
    ([("dt", 0.1)], TypeError, "options must be a dict"),
    ({"fast": True}, KeyError, "fast"),
    ({"progress_bar": "fancy"}, ValueError, "progress_bar"),
    ({"store_final_state": 1}, TypeError, "store_final_state"),
    ({"progress_kwargs": 3}, TypeError, "progress_kwargs"),
])
def test_bad_options_are_rejected(options, exc, match):
    with pytest.raises(exc, match=match):
        TwaSolver(SYSTEM, options=options)
    with pytest.raises(exc, match=match):
        twasolve(SYSTEM, piqs.excited(N), T, options=options, ntraj=1)


def test_options_are_validated_on_assignment():
    solver = TwaSolver(SYSTEM, options={"steps_per_rate": 50})
    solver.options = {"faults": "exclude"}
    assert solver.options["steps_per_rate"] == (50, 50)
    assert solver.options["faults"] == "exclude"
    with pytest.raises(ValueError, match="steps_per_rate"):
        solver.options = {"steps_per_rate": -1}
    assert solver.options["steps_per_rate"] == (50, 50)
    solver.options = None
    assert solver.options == qutip_twa.solver.DEFAULT_OPTIONS
    solver.options["dt"] = 1.0  # a copy: the solver's options stay valid
    assert solver.options["dt"] is None


def test_public_names():
    for name in ("TwaSolver", "TwaFaultWarning", "TwaValidityWarning",
                 "twasolve", "TwaResult"):
        assert name in qutip_twa.__all__ and hasattr(qutip_twa, name)
    assert issubclass(qutip_twa.TwaFaultWarning, RuntimeWarning)
    assert issubclass(qutip_twa.TwaValidityWarning, UserWarning)


def _imports(path, package_root):
    """Modules of qutip_twa imported at module level by ``path``."""
    tree = ast.parse(path.read_text())
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    here = parts if path.name == "__init__.py" else parts[:-1]
    out = set()
    for node in tree.body:  # module level only
        if isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            mod = base + (node.module.split(".") if node.module else [])
            if mod[:1] != ["qutip_twa"]:
                continue
            for alias in node.names:
                out.add(".".join(mod + [alias.name]))
                out.add(".".join(mod))
    return out


def test_no_import_cycles():
    """The module import graph of the package has no cycle."""
    root = pathlib.Path(qutip_twa.__file__).parent
    modules = {}
    for path in root.rglob("*.py"):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph = {name: {m for m in _imports(path, root) if m in modules
                    and m != name}
             for name, path in modules.items()}
    state = {}

    def visit(node, stack):
        state[node] = "open"
        for nxt in graph[node]:
            if state.get(nxt) == "open":
                raise AssertionError("import cycle: "
                                     + " -> ".join(stack + [nxt]))
            if nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for name in sorted(modules):
        if name not in state:
            visit(name, [name])


def test_run_with_new_args_equals_a_new_solver():
    """run(args=...) changes the coefficients' arguments for that run, as
    MESolver.run does, and leaves the solver's own arguments alone."""
    H = [0.5 * piqs.jspin(N, "z"), [piqs.jspin(N, "x"), "cos(w * t)"]]
    solver = TwaSolver(H, [piqs.jspin(N, "-")], args={"w": 1.0})
    other = solver.run(piqs.excited(N), T, 64, args={"w": 3.0}, e_ops=[JZ],
                       seeds=1)
    ref = TwaSolver(H, [piqs.jspin(N, "-")], args={"w": 3.0}).run(
        piqs.excited(N), T, 64, e_ops=[JZ], seeds=1)
    np.testing.assert_array_equal(other.expect[0], ref.expect[0])
    again = solver.run(piqs.excited(N), T, 64, e_ops=[JZ], seeds=1)
    first = TwaSolver(H, [piqs.jspin(N, "-")], args={"w": 1.0}).run(
        piqs.excited(N), T, 64, e_ops=[JZ], seeds=1)
    np.testing.assert_array_equal(again.expect[0], first.expect[0])
    assert not np.array_equal(again.expect[0], other.expect[0])
    with pytest.raises(TypeError, match="args must be a dict"):
        solver.run(piqs.excited(N), T, 4, args=[1.0])
