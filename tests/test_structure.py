"""The code's shape: no import cycles (imports inside functions count), modules under 500
lines, functions under 60.  Exceptions are named here with the reason, to be paid off."""
from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "derive"

def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    out = {}
    for p in package.rglob("*.py"):
        parts = p.relative_to(package.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


@functools.lru_cache(maxsize=None)
def _parsed(path: Path) -> tuple[str, tuple[ast.AST, ...]]:
    """A module's text and every node of its tree (ast.walk's order), read and walked once per
    test process: the three checks below walk the same ~250 modules."""
    text = path.read_text()
    return text, tuple(ast.walk(ast.parse(text)))


def _type_checking_nodes(nodes: tuple[ast.AST, ...]) -> set[int]:
    skip: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def _targets(mods: dict[str, Path], cur: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    pkg = cur if mods[cur].name == "__init__.py" else cur.rsplit(".", 1)[0]
    base = pkg.split(".")[:len(pkg.split(".")) - node.level + 1] if node.level else []
    target = ".".join(base + ([node.module] if node.module else [])) if node.level else (node.module or "")
    return [f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target for a in node.names]


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Module -> the modules of `package` it imports anywhere (also inside functions), and
    the packages those are in (their __init__ runs first), without imports for type
    checkers only."""
    mods = _modules(package)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, path in mods.items():
        _, nodes = _parsed(path)
        skip = _type_checking_nodes(nodes)
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in skip:
                graph[m].update(t for t in _targets(mods, m, node) if t in mods and t != m
                                and not m.startswith(t + "."))   # (a module may use its own package)
    for m, targets in graph.items():   # importing a.b.c runs a/b/__init__.py first: an edge to a.b too
        targets.update(p for t in list(targets) for p in _parents(t) if p in mods and p != m
                       and not m.startswith(p + "."))
    return graph


def _parents(module: str) -> list[str]:
    """The packages above `module` (a.b.c -> a.b, without the top package a)."""
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts))]


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(frozenset(comp))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    """No two modules of derive import each other, directly or round a loop, counting the
    imports inside functions (a function-level import that dodges a cycle is the cycle)."""
    found = cycles(import_graph())
    assert not found, f"import cycles: {[sorted(c) for c in found]}"


def test_the_graph_counts_imports_inside_functions(tmp_path):
    """A function-level import is an edge of the graph, so a cycle it dodges is found."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import g\n    return g\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    (pkg / "sub").mkdir()
    (pkg / "sub" / "__init__.py").write_text("from .d import x\n")
    (pkg / "sub" / "d.py").write_text("x = 1\n")
    (pkg / "sub" / "e.py").write_text("from ..f import y\n")
    (pkg / "f.py").write_text("from .sub.e import z\n")
    graph = import_graph(pkg)
    assert graph["pkg.b"] == {"pkg.a"} and graph["pkg.c"] == set()
    assert graph["pkg.f"] == {"pkg.sub.e", "pkg.sub"}     # (the package's __init__ runs first)
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.b"}), frozenset({"pkg.f", "pkg.sub.e"})]


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [frozenset("abc")]


MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

# Modules and functions still over the limits, being split (the list may only shrink: a
# test fails when an entry is no longer over, so that it is taken off).
LONG_MODULES: set[str] = set()      # (none left: every module is under 500 lines)
LONG_FUNCTIONS: set[str] = set()    # (none left: every function is under 60 lines)


def _sizes() -> tuple[dict[str, int], dict[str, int]]:
    modules, functions = {}, {}
    for name, path in _modules().items():
        text, nodes = _parsed(path)
        modules[name] = text.count("\n") + 1
        for node in nodes:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions[f"{name}.{node.name}:{node.lineno}"] = node.end_lineno - node.lineno + 1
    return modules, functions


def _strip_line(key: str) -> str:
    return key.rsplit(":", 1)[0]


def test_modules_are_small():
    modules, _ = _sizes()
    long = {m for m, n in modules.items() if n > MAX_MODULE_LINES}
    assert long <= LONG_MODULES, f"over {MAX_MODULE_LINES} lines: {sorted(long - LONG_MODULES)}"
    assert not LONG_MODULES - long, f"no longer long, take them off LONG_MODULES: {sorted(LONG_MODULES - long)}"


def test_functions_are_small():
    _, functions = _sizes()
    long = {_strip_line(f) for f, n in functions.items() if n > MAX_FUNCTION_LINES}
    assert long <= LONG_FUNCTIONS, f"over {MAX_FUNCTION_LINES} lines: {sorted(long - LONG_FUNCTIONS)}"
    assert not LONG_FUNCTIONS - long, f"no longer long, take them off: {sorted(LONG_FUNCTIONS - long)}"
