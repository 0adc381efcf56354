"""Two shortcuts that keep a written-out 64×64 weight matrix cheap (bench/backprop.py):

* `assumptions._walk` skips the number entries of a list literal, but every name, call,
  product and index, also inside a list (`[x, -y, 2]`), is still visited, in pre-order;
* `breaking._min_width` is a lower bound of the width the 2-D layout measures, so a chain
  is cut without laying out a matrix it already knows is wider than the line."""
from __future__ import annotations

import sympy as sp

import derive
from derive import ast
from derive.assumptions import _walk
from derive.render.breaking import _min_width, item_width
from derive.syntax import parse


def _expr(text: str) -> ast.Expr:
    spec = parse(f'problem "p" {{\n  vector x : (2)\n  y = 3\n  z = {text}\n  find z\n}}\n', "<t>")
    return next(s.value for s in spec.problems[0].statements if isinstance(s, ast.Define) and s.name == "z")


def test_the_walk_skips_number_entries_only():
    nodes = list(_walk(_expr("[[1, -2.5], [x[1], -y]] @ f(y, base = 2)")))
    kinds = [type(n).__name__ for n in nodes]
    assert [n.id for n in nodes if isinstance(n, ast.Name)] == ["x", "y", "f", "y"]
    assert "Index" in kinds and "Call" in kinds and kinds[0] == "BinOp"
    nums = [n for n in nodes if isinstance(n, ast.Num)]
    assert [str(n.value) for n in nums] == ["1", "2"]      # x[1]'s index and base = 2; not 1 or -2.5


def test_the_width_bound_never_exceeds_the_measured_width():
    x, s = sp.MatrixSymbol("x", 3, 1), sp.Symbol("s")
    wide = sp.ImmutableMatrix(2, 9, list(range(18)))
    for e in (wide, sp.MatMul(wide, sp.ImmutableMatrix(9, 1, [1] * 9)), sp.MatAdd(wide, wide),
              sp.Transpose(wide), wide * s, sp.ImmutableMatrix([[sp.Rational(1, 3), s]]), x, s + 1):
        assert _min_width(e) <= item_width(e), e


def test_a_wide_network_still_breaks_its_lines():
    rows = ", ".join("[" + ", ".join(str((i * 7 + j) % 5 - 2) for j in range(12)) + "]" for i in range(12))
    spec = f'''problem "p" {{
  input x = [{", ".join(str(k % 3) for k in range(12))}]
  param W = [{rows}]
  param v = [{", ".join("1" for _ in range(12))}]
  L = v @ relu(W @ x)
  find grad(L, W[1, 1])
}}
'''
    out = derive.solve(spec).render("md")
    assert max(len(line) for line in out.splitlines() if "bmatrix" in line) < 2000
    assert "✓" in out
