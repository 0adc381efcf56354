"""Nothing from a spec reaches eval/exec/sympify/parse_expr of a string.

The package source is scanned (as Python syntax trees, not text) for the calls that
evaluate strings; spec strings that would do harm if evaluated are then run through
every stage and format.
"""
import ast
from pathlib import Path

import pytest

import derive

PACKAGE = Path(derive.__file__).resolve().parent

FORBIDDEN_NAMES = {"eval", "exec", "compile", "__import__", "parse_expr", "lambdify", "sympify", "S",
                   "parse_latex", "execfile", "input"}
FORBIDDEN_ATTRS = {"parse_expr", "lambdify", "parse_latex", "system", "popen", "spawnl", "execv", "execve"}
SAFE_ATTR_OWNERS: set[str] = set()   # (pickle, subprocess, ... are refused at import below)


def calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def describe(path, node):
    return f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"


def sources():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 15
    return files


def test_no_string_evaluating_calls_in_the_package():
    problems = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in calls(tree):
            f = node.func
            if isinstance(f, ast.Name) and f.id in FORBIDDEN_NAMES:
                problems.append(f"{describe(path, node)}: {f.id}(...)")
            elif isinstance(f, ast.Attribute):
                owner = f.value.id if isinstance(f.value, ast.Name) else ""
                if f.attr in ("sympify", "S"):
                    strict = any(k.arg == "strict" and isinstance(k.value, ast.Constant) and k.value.value is True
                                 for k in node.keywords)
                    if f.attr == "S" or not strict:
                        problems.append(f"{describe(path, node)}: {owner}.{f.attr}(...) without strict=True")
                elif f.attr in FORBIDDEN_ATTRS and owner not in SAFE_ATTR_OWNERS and owner not in ("self", "ev"):
                    problems.append(f"{describe(path, node)}: {owner}.{f.attr}(...)")
    assert problems == []


def test_no_imports_of_code_evaluating_modules():
    banned = {"pickle", "marshal", "shelve", "subprocess", "yaml", "dill", "code", "codeop"}
    problems = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
                if node.module and node.module.startswith("sympy.parsing"):
                    problems.append(f"{describe(path, node)}: from {node.module}")
            else:
                continue
            if names & banned:
                problems.append(f"{describe(path, node)}: import {sorted(names & banned)}")
    assert problems == []


def test_scanner_catches_what_it_should(tmp_path):
    """The scan itself can fail: each forbidden form is detected in a sample."""
    sample = ('import sympy as sp\nx = eval("1")\ny = sp.sympify("x")\nz = sp.S("x")\n'
              'w = sp.parsing.sympy_parser.parse_expr("x")\nok = sp.sympify(1, strict=True)\n')
    tree = ast.parse(sample)
    flagged = []
    for node in calls(tree):
        f = node.func
        if isinstance(f, ast.Name) and f.id in FORBIDDEN_NAMES:
            flagged.append(f.id)
        elif isinstance(f, ast.Attribute) and f.attr in ("sympify", "S", "parse_expr"):
            strict = any(k.arg == "strict" for k in node.keywords)
            if f.attr != "sympify" or not strict:
                flagged.append(f.attr)
    assert flagged == ["eval", "sympify", "S", "parse_expr"]


HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "exec(\"open('{marker}', 'w')\")",
    "Symbol('x').__class__.__init__.__globals__['__builtins__']['open']('{marker}', 'w')",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_strings_are_inert(tmp_path, payload):
    marker = tmp_path / "pwned"
    p = payload.format(marker=marker).replace('"', "'")
    spec = (f'title "{p}"\n'
            f'problem "{p}" {{\n'
            f'  text """{p} and $\\text{{{p}}}$"""\n'
            f'  let a = 1\n'
            f'  (a) find a\n'
            f'  (b) answer "{p}"\n'
            f'}}\n')
    solution = derive.solve(spec)
    for fmt in derive.FORMATS:
        solution.render(fmt)
    for bad in (f'problem "p" {{ let s = "{p}" + 1 }}', f'problem "p" {{ find "{p}" }}',
                f'problem "p" {{ let s = sqrt("{p}") }}'):
        try:
            derive.solve(bad).render("json")
        except derive.DeriveError:
            pass
    assert not marker.exists()


def test_string_arguments_are_refused_not_parsed():
    with pytest.raises(derive.SpecError, match="a string cannot be used in arithmetic"):
        derive.solve('problem "p" { let s = "1 + 1" * 2 }')
    with pytest.raises(derive.SpecError, match="needs a number or a tensor"):
        derive.solve('problem "p" { let s = exp("2") }')
