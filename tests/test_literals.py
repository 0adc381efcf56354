"""The numeric-tensor fast path (one NUMTENSOR token) gives the AST that list_lit gives."""
from __future__ import annotations

import random

import pytest
from lark import Lark

from derive import syntax
from derive.errors import LimitError, Source
from derive.resources import read_text


@pytest.fixture(scope="module")
def slow() -> Lark:
    """The same grammar without the NUMTENSOR alternative: every entry through list_lit."""
    g = read_text("grammars", "spec.lark")
    alt = "     | NUMTENSOR                                 -> num_tensor\n"
    assert alt in g
    return Lark(g.replace(alt, ""), parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=True)


def _ast(lark: Lark, text: str):
    return syntax._ToAst(Source("t.spec", text)).transform(lark.parse(text, start="start"))


def _num(rnd: random.Random) -> str:
    sign = rnd.choice(["", "", "-", "+", "- "])
    body = rnd.choice([str(rnd.randint(0, 999)), f"{rnd.randint(0, 99)}.{rnd.randint(0, 999)}",
                       f".{rnd.randint(1, 9)}", f"{rnd.randint(1, 9)}e{rnd.randint(-3, 3)}", "7.",
                       f"{rnd.randint(1, 9)}E+{rnd.randint(0, 2)}"])
    return sign + body


def _ws(rnd: random.Random) -> str:
    return rnd.choice(["", " ", "  ", "\n    ", "\t", " \n"])


def _vector(rnd: random.Random) -> str:
    items = [_num(rnd) for _ in range(rnd.randint(1, 5))]
    return "[" + _ws(rnd) + ("," + _ws(rnd)).join(items) + _ws(rnd) + rnd.choice(["", ","]) + _ws(rnd) + "]"


def _tensor(rnd: random.Random) -> str:
    k = rnd.random()
    if k < 0.4:
        return _vector(rnd)
    rows = [_vector(rnd) for _ in range(rnd.randint(1, 4))]
    if k > 0.85:                                  # not a plain tensor: list_lit takes it
        rows.append(rnd.choice(["[a, 1]", "[1, # note\n 2]", "[--1]", "[[1]]", "[]"]))
    return "[" + _ws(rnd) + ("," + _ws(rnd)).join(rows) + _ws(rnd) + "]"


def test_same_ast_and_positions_as_list_lit(slow):
    rnd = random.Random(3)
    for _ in range(300):
        lets = "\n".join(f"  let v{i} = {_tensor(rnd)}" for i in range(rnd.randint(1, 3)))
        text = f'problem "p" {{\n{lets}\n  let s = W[1, 2] + [1, 2].T @ [3, 4]\n  find v0\n}}\n'
        assert _ast(syntax.parser(), text) == _ast(slow, text), text


def test_the_fast_path_is_taken_for_plain_tensors():
    text = 'problem "p" {\n  let W = [[1, -2.5], [3e2, .5,]]\n  find W\n}\n'
    tree = syntax.parser().parse(text, start="start")
    assert any(t.data == "num_tensor" for t in tree.iter_subtrees())


def test_a_huge_literal_inside_a_tensor_is_refused_at_its_position():
    digits = "9" * (syntax.MAX_NUMBER_DIGITS + 1)
    text = f'problem "p" {{\n  let W = [[1, 2],\n           [3, {digits}]]\n  find W\n}}\n'
    with pytest.raises(LimitError) as info:
        syntax.parse(text, "t.spec")
    assert (info.value.line, info.value.column) == (3, 16)
