"""Derivers hold maths as data (issue 9): no deriver module imports a printer
(derive.printing) or writes LaTeX or Markdown maths into a string.

The check walks each module's syntax tree: every string constant outside a docstring and
outside a display class's `_latex` method (the one place a sympy class says how it prints)
must hold no `$` and no backslash.  Add a module to CHECKED once it is migrated."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DERIVERS = ROOT / "derive" / "derivers"

# The migrated modules (a package means every module in it).
CHECKED = [
    "algorithms.py",     # pseudocode
    "optimize",          # gd, lr_range, optimal_lr
    "evaluate.py",
    "numderiv.py",
]


def _modules() -> list[Path]:
    out: list[Path] = []
    for name in CHECKED:
        path = DERIVERS / name
        out.extend(sorted(path.glob("*.py")) if path.is_dir() else [path])
    return out


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _printing_methods(tree: ast.AST) -> set[int]:
    """String constants inside `_latex` methods (how a display class prints itself)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "_latex":
            ids.update(id(n) for n in ast.walk(node) if isinstance(n, ast.Constant))
    return ids


def offending_strings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string constant with `$` or a backslash outside docstrings and `_latex`."""
    tree = ast.parse(source)
    allowed = _docstrings(tree) | _printing_methods(tree)
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in allowed
            and ("$" in n.value or "\\" in n.value)]


def printer_imports(source: str) -> list[int]:
    """Lines that import derive.printing (relative or absolute)."""
    out = []
    for n in ast.walk(ast.parse(source)):
        if isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[-1] == "printing":
            out.append(n.lineno)
        if isinstance(n, ast.Import) and any(a.name.endswith(".printing") for a in n.names):
            out.append(n.lineno)
    return out


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(DERIVERS)))
def test_no_latex_in_strings_and_no_printer_import(path):
    source = path.read_text()
    assert offending_strings(source) == []
    assert printer_imports(source) == []


def test_the_check_finds_latex_and_printer_imports():
    bad = 'from ..printing import latex\ndef f(x):\n    """Doc $x$ is fine."""\n    return f"${latex(x)}$"\n'
    assert printer_imports(bad) == [1]
    assert {line for line, _ in offending_strings(bad)} == {4}
    ok = 'class A:\n    def _latex(self, p):\n        return r"\\left(x\\right)"\n'
    assert offending_strings(ok) == []
