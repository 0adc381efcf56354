"""derive.quickread, the hand-written reader of arithmetic answers, against the grammar's
`response` rule through lark: wherever the quick reader gives an AST it is lark's, node
for node and position for position; wherever lark refuses a text, the quick reader gives
None (so that lark words the error)."""
from __future__ import annotations

import dataclasses
import random

import pytest

from derive import ast
from derive.errors import DeriveError, Source
from derive.quickread import MAX_CHARS, read
from derive.syntax import parse_response


def shape(node):
    """A node as nested tuples, with its position and every field."""
    if isinstance(node, tuple):
        return tuple(shape(n) for n in node)
    if not isinstance(node, ast.Expr):
        return node
    p = node.pos
    fields = tuple(shape(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name != "pos")
    return (type(node).__name__, (p.line, p.column, p.end_line, p.end_column, p.start, p.end), fields)


def lark(text: str):
    try:
        return shape(parse_response(Source("<answer>", text)))
    except DeriveError:
        return None


ATOMS = ["x", "y", "w1", "eta", "log", "f", "2", "0.5", "3.", ".25", "1e3", "2E-2", "10", "0",
         "sqrt", "ln", "pi", "e", "x_2", "A"]
OPS = [" + ", "-", " * ", "/", "@", "^", "**", " - ", "*"]


def expression(rnd: random.Random, depth: int = 0) -> str:
    """A random answer in the quick reader's subset (calls, brackets, tuples, unary signs)."""
    roll = rnd.random()
    if depth > 3 or roll < 0.3:
        return rnd.choice(ATOMS)
    if roll < 0.6:
        return expression(rnd, depth + 1) + rnd.choice(OPS) + expression(rnd, depth + 1)
    if roll < 0.7:
        return rnd.choice(["-", "+", "- "]) + expression(rnd, depth + 1)
    if roll < 0.85:
        args = ", ".join(expression(rnd, depth + 1) for _ in range(rnd.randint(0, 3)))
        return rnd.choice(["f", "log", "sqrt", "(g)"]) + "(" + args + ")"
    items = ", ".join(expression(rnd, depth + 1) for _ in range(rnd.choice([1, 1, 2, 3])))
    return rnd.choice(["(", "( "]) + items + rnd.choice([")", " )"])


NOISE = list("()[],.+-*/^@=<>#\"' \t\nTx2e") + ["if", " then ", "true", "->", ".T", "..", "**", "none",
                                               "default", "in", "not ", " and "]


def mutated(rnd: random.Random, text: str) -> str:
    """`text` with a few characters or keywords put in, taken out or swapped."""
    chars = list(text)
    for _ in range(rnd.randint(1, 3)):
        at = rnd.randint(0, len(chars))
        roll = rnd.random()
        if roll < 0.5 or not chars:
            chars.insert(at, rnd.choice(NOISE))
        elif roll < 0.8:
            del chars[min(at, len(chars) - 1)]
        else:
            chars[min(at, len(chars) - 1)] = rnd.choice(NOISE)
    return "".join(chars)


def test_the_oracle_sees_positions_and_fields():
    """`shape` tells apart what the comparison must tell apart."""
    assert shape(read(Source("<a>", "x + 1"))) != shape(read(Source("<a>", "x +  1")))
    assert shape(read(Source("<a>", "x + 1"))) != shape(read(Source("<a>", "x - 1")))
    assert shape(read(Source("<a>", "(x) + 1")))[0][1] != shape(read(Source("<a>", "x + 1")))[0][1]


@pytest.mark.parametrize("text", ["(x+1)^2", "f( x , 2 )", " -(3)", "(1, 2) * 3", "f()", "2^-3^2", "-2^2",
                                  "a--b", "(f)(x)(y)", "ln(9)/2", "a, c", "x^3 + 2*x^2 + x - x^2*y - 2*x*y - y",
                                  "1/2 + 1/4", "log(3)", "2 ** 3", "w1 @ x"])
def test_the_same_ast_as_lark_on_written_answers(text):
    quick = read(Source("<answer>", text))
    assert quick is not None
    assert shape(quick) == lark(text)


@pytest.mark.parametrize("text", ["x.T", "[1, 2]", "x < 1", "if x then 1 else 2", "true", "f(a = 1)", "2x",
                                  "(1,)", "()", "f(1,)", "x # note", "1\n+ 2", "\"s\"", "x -> x", "1..2",
                                  "x +", "", " ", "none", "1e99999999999", "x" * (MAX_CHARS + 1)])
def test_anything_else_is_left_to_lark(text):
    assert read(Source("<answer>", text)) is None


def test_the_same_ast_as_lark_on_random_answers_and_their_mutations():
    rnd = random.Random(20261201)
    read_quickly = refused_by_lark = 0
    for _ in range(3000):
        text = expression(rnd)
        for candidate in (text, mutated(rnd, text)):
            quick = read(Source("<answer>", candidate))
            expected = lark(candidate)
            if quick is not None:
                read_quickly += 1
                assert shape(quick) == expected, candidate
            elif expected is None:
                refused_by_lark += 1
    assert read_quickly > 2500 and refused_by_lark > 500      # both sides of the comparison were exercised
