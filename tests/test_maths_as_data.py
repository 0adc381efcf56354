"""Derivers that hold maths as data: no LaTeX or Markdown maths in their string literals,
and no import of derive.printing (issue 9, item 1).

A module listed in MIGRATED builds sentences with derive.sentence and notation with sympy
objects; the only LaTeX it may hold is inside a printer method (`_latex`) of a display
class, which prints its arguments with the printer it is given.  Docstrings are prose
and skipped.  On merge, union the MIGRATED lists of the helpers.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MIGRATED = [
    "derive/derivers/backprop/__init__.py",
    "derive/derivers/backprop/explain.py",
    "derive/derivers/backprop/goal.py",
    "derive/derivers/backprop/graph.py",
    "derive/derivers/backprop/layer_backward.py",
    "derive/derivers/backprop/layer_graph.py",
    "derive/derivers/backprop/layer_notation.py",
    "derive/derivers/backprop/layer_steps.py",
    "derive/derivers/backprop/layer_words.py",
    "derive/derivers/backprop/local.py",
    "derive/derivers/backprop/norm_notation.py",
    "derive/derivers/backprop/norm_steps.py",
    "derive/derivers/backprop/notation.py",
    "derive/derivers/backprop/sgd.py",
    "derive/derivers/backprop/shortcut.py",
    "derive/derivers/backprop/sweep.py",
    "derive/derivers/backprop/tensor.py",
    "derive/derivers/backprop/util.py",
    "derive/derivers/algorithms.py",
    "derive/derivers/request.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/derivers/attention").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/derivers/optimize").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/derivers/solving").glob("*.py")),
    "derive/derivers/evaluate.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/derivers/kernels").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/engines/numderiv").glob("*.py")),
    "derive/derivers/probability.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/derivers/metrics").glob("*.py")),
    "derive/derivers/choice.py",
    "derive/derivers/classics.py",
    "derive/model/elementwise.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/derivations").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/derivers/layers").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/derivers/learning").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/derivers/matcalc").glob("*.py")),
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "derive/engines/matpoly").glob("*.py")),
    "derive/engines/matdiff.py",
    "derive/derivers/convexity.py",
    "derive/derivers/definite.py",
    "derive/derivers/registry.py",
    "derive/derivers/titles.py",
]

PRINTER_METHODS = {"_latex"}          # the one place a LaTeX string is built, from printed arguments
LATEX = re.compile(r"\$|\\[a-zA-Z]+|\\[,;!{}]|\*\*|`")


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _exempt(tree: ast.AST) -> set[int]:
    """Nodes whose strings are not maths shown in a step: LaTeX printer methods and helpers
    (`_latex`, `*_latex`) and `head_latex = ...` attributes, error messages (`raise ...`, or
    an error built to be raised or returned as an error result, `return Unsupported(...)`:
    shown as errors with spec code in backticks), regular expressions (`re.*(...)`)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and (node.name in PRINTER_METHODS or node.name.endswith("_latex")):
            out.update(id(n) for n in ast.walk(node))
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, (ast.Name, ast.Tuple)) and "_latex" in ast.unparse(t) for t in node.targets):
            out.update(id(n) for n in ast.walk(node.value))
        elif isinstance(node, ast.Raise) or isinstance(node, ast.Call) and (
                ast.unparse(node.func).endswith("Error") or ast.unparse(node.func) in ("Unsupported", "CheckFailed")):
            out.update(id(n) for n in ast.walk(node))
        elif isinstance(node, ast.Call) and ast.unparse(node.func).startswith("re."):
            out.update(id(n) for n in ast.walk(node.args[0]) if node.args)
    return out


def latex_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal outside docstrings and printer methods that
    holds `$`, a LaTeX command, Markdown bold or a backtick (see `_exempt`)."""
    tree = ast.parse(source)
    skip = _docstrings(tree) | _exempt(tree)
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip
            and LATEX.search(n.value)]


def printing_imports(source: str) -> list[int]:
    """Lines importing derive.printing (relative or absolute)."""
    out = []
    for n in ast.walk(ast.parse(source)):
        if isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[-1] == "printing":
            out.append(n.lineno)
        if isinstance(n, ast.Import) and any(a.name == "derive.printing" for a in n.names):
            out.append(n.lineno)
    return out


@pytest.mark.parametrize("path", MIGRATED)
def test_no_latex_in_string_literals(path):
    source = (ROOT / path).read_text()
    assert latex_literals(source) == []
    assert printing_imports(source) == []


def test_the_checker_sees_latex():
    bad = 'def f(x):\n    """$docstring$ is fine"""\n    return f"${x}$ and \\\\frac{1}{2}"\n'
    assert latex_literals(bad) and not latex_literals('"""$doc$"""\nx = "plain text"\n')
    assert latex_literals('class A:\n    def _latex(self, p):\n        return r"\\frac"\n') == []
    assert printing_imports("from ..printing import latex\n") == [1]
    assert latex_literals('raise SpecError("`x` is a scalar")\nm = re.fullmatch(r"(\\w+)", k)\n') == []
    assert latex_literals('return result(InternalError("in the `f` deriver"))\n') == []
    assert latex_literals('def f():\n    return Unsupported("`x` is a matrix")\n') == []
    assert latex_literals('make_step("r", "Back through `h`:")\n')
