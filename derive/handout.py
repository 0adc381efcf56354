"""What a problem gives the student besides its text: the data it states and the options
of its multiple choice, for every view of the handout (the paper view above all).

In: a built `Problem`.  Out: `data(problem)`, a tuple of `Sentence`s, one `name = value`
each; `options(problem)`, a tuple of (label, `Sentence`) pairs.

The data are the `let`, `param` and `input` names that

* a goal depends on (directly or through the names it is computed from),
* have a value written out as numbers in the spec (a number, or a list of numbers: a value
  built by `eye`, `ones` or a rule is described by the text's words, and a value with
  symbols in it is derive's reading of the text, not data), and
* the problem's text (its parts' texts included) does not already show: the numbers of
  the value, in order, are not in the text (a constant value: its one number is not).

A decimal is shown as it was written (0.65, not 13/20); a vector as a transposed row.
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import Any, Iterator

import sympy as sp

from . import ast
from .assumptions import _walk, stated_names
from .decimals import decimal
from .model.problem import Problem
from .sentence import Math, Rel, Sentence, say

_NUMBER = re.compile(r"(?<![\w.])([-−]?)(\d+(?:\.\d+)?)(?:/(\d+))?")


def _needed(problem: Problem) -> list[str]:
    """The names the goals depend on, in order of first use."""
    seen: dict[str, None] = {}
    todo = [g.expr for g in problem.goals if g.expr is not None]
    while todo:
        for node in _walk(todo.pop(0)):
            if isinstance(node, ast.Name) and node.id in problem.names and node.id not in seen:
                seen[node.id] = None
                b = problem.names[node.id]
                if b.expr is not None:
                    todo.append(b.expr)
    return list(seen)


def _number(node: ast.Expr) -> Fraction | None:
    """The exact number a literal writes (`0.7`, `-1`, `1/2`), None for anything else."""
    if isinstance(node, ast.Num):
        return node.value
    if isinstance(node, ast.UnaryOp) and node.op in "-+":
        x = _number(node.operand)
        return None if x is None else (-x if node.op == "-" else x)
    if isinstance(node, ast.BinOp) and node.op == "/":
        a, b = _number(node.left), _number(node.right)
        return None if a is None or b is None or b == 0 else a / b
    return None


def _numbers(node: ast.Expr) -> list[Fraction] | None:
    """The numbers of a number literal or a (nested) list of them, in reading order."""
    x = _number(node)
    if x is not None:
        return [x]
    if isinstance(node, ast.ListLit) and node.items:
        out: list[Fraction] = []
        for item in node.items:
            inner = _numbers(item)
            if inner is None:
                return None
            out += inner
        return out
    return None


def text_numbers(text: str) -> list[Fraction]:
    """The numbers written in a text, in order ("−1", "0.65", "1/2")."""
    out = []
    for sign, digits, den in _NUMBER.findall(text):
        x = Fraction(digits) / (int(den) if den and int(den) else 1)
        out.append(-x if sign else x)
    return out


def _shown(values: list[Fraction], numbers: list[Fraction]) -> bool:
    """Whether the text's numbers show the value: its numbers in a row (its one number, for
    a constant value)."""
    if len(set(values)) == 1:
        return values[0] in numbers
    n = len(values)
    return any(numbers[k:k + n] == values for k in range(len(numbers) - n + 1))


def _value(v: Any) -> Any:
    """A value as the data line shows it: a column vector as a transposed row."""
    if not isinstance(v, sp.MatrixBase):
        return decimal(v)
    shown = functools.lru_cache(maxsize=None)(decimal)   # (a weight matrix repeats few decimals)
    m = sp.ImmutableMatrix(v.rows, v.cols, [shown(e) for e in v])
    return sp.Transpose(m.T) if v.cols == 1 and v.rows > 1 else m


def _given(problem: Problem, text: list[Fraction], skip: set[str]) -> Iterator[Sentence]:
    needed = set(_needed(problem))
    for name, b in problem.names.items():              # (in the spec's order)
        if name not in needed:
            continue
        if b.kind not in ("let", "param", "input") or b.expr is None or name in skip or b.value is None:
            continue
        values = _numbers(b.expr)
        if values is None or _shown(values, text) or not isinstance(b.symbol, sp.Basic):
            continue
        yield say(Rel(b.symbol, "=", _value(b.value), kind="definition"))


def data(problem: Problem) -> tuple[Sentence, ...]:
    """The data the problem gives that its text does not show (see the module docstring)."""
    texts = [problem.text or ""] + [t for _, t, _ in problem.parts]
    return tuple(_given(problem, text_numbers("\n".join(texts)), stated_names(problem)))


def options(problem: Problem) -> tuple[tuple[str, Sentence], ...]:
    """The options of the problem's `choices` block, each as (label, the option as maths);
    `none` as "none of the above"."""
    out = []
    for opt in problem.choices:
        if opt.expr is None:
            out.append((opt.label, say("none of the above")))
            continue
        shown = problem.display(opt.expr)
        if isinstance(shown, sp.MatrixBase) and shown.shape == (1, 1):
            shown = shown[0, 0]
        out.append((opt.label, say(Math(shown))))
    return tuple(out)
