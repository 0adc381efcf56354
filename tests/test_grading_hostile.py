"""Hostile answers are `invalid` with a message, in bounded time and memory, and nothing
is ever evaluated as Python (eval, exec and sympify of a string are made to fail here)."""
from __future__ import annotations

import builtins

import pytest
import sympy as sp

import derive
from derive.grading import grade

SPEC = 'problem "p" {\n symbol x\n let a = 20\n (a) find a + 4\n (b) find x^2\n}\n'
HOSTILE = [
    '__import__("os").system("true")', "().__class__.__bases__", 'eval("1")', "exec", "lambda: 1",
    "9^9^9^9", "9**9**9**9", "2^100000", "10^999 * 10^999 * 10^999", "1e999999", "x^10000",
    "(" * 5000 + "1" + ")" * 5000, "[" * 3000 + "1" + "]" * 3000, "-" * 50_000 + "1",
    "1" * 1_000_000, "1+" * 400_000 + "1", "1+" * 4_000 + "1", "-(" * 300 + "1" + ")" * 300,
    "nan", "NaN", "inf", "-inf", "oo", "zoo", "1/0", "0^-1", "log(0)",
    "２４", "−24", "24\u200b", "х^2", "2４", "x\u00b2",       # fullwidth, minus sign, zero width, Cyrillic, superscript
    "", "   ", "24 24", "a", '"24"', "24; import os", "x if x else 1", "W[1]",
    "((x^64)^64)^64", "(((x^64)^64)^64)^64", "(x^64*x)^64",          # powers of powers: exponents multiply
]


@pytest.fixture(scope="module")
def sol():
    solution = derive.solve(SPEC)
    for text in HOSTILE[:13] + ["24", "x*x"]:     # every module grading imports, imported before the guard
        grade(solution.result("1(a)"), text)
        grade(solution.result("1(b)"), text)
    return solution


@pytest.fixture()
def no_eval(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("grading evaluated a string as code")

    real = sp.sympify

    def strict(a, *args, **kwargs):
        if isinstance(a, str):
            refuse()
        return real(a, *args, **kwargs)
    real_eval, real_exec = builtins.eval, builtins.exec

    def guard(real):                     # (a code object, as an import runs, is allowed)
        return lambda src, *a, **k: refuse() if isinstance(src, (str, bytes)) else real(src, *a, **k)
    monkeypatch.setattr(builtins, "eval", guard(real_eval))
    monkeypatch.setattr(builtins, "exec", guard(real_exec))
    monkeypatch.setattr(sp, "sympify", strict)
    import importlib
    monkeypatch.setattr(importlib.import_module("sympy.core.sympify"), "sympify", strict)
    import sympy.parsing.sympy_parser as sympy_parser
    monkeypatch.setattr(sympy_parser, "parse_expr", refuse)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_answers_are_invalid(sol, no_eval, text):
    for rid in ("1(a)", "1(b)"):
        g = grade(sol.result(rid), text)
        assert g.status == "invalid", (rid, text[:40], g)
        assert dict(g.error)["kind"] == "format_error" and dict(g.error)["message"] and len(g.feedback) < 400
        assert len(g.response) <= 200


def test_a_right_answer_still_grades_with_eval_refused(sol, no_eval):
    assert grade(sol.result("1(a)"), "24").status == "correct"
    assert grade(sol.result("1(b)"), "x*x").status == "correct"
