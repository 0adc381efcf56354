"""The computation graph of a numeric backprop: vertices a student would name.

In: a Problem and the loss expression.  Out: `Graph` (vertices: leaves, affine maps,
activations, generic expressions, each with its value and display symbol).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError, Unsupported
from ...model.expressions import Evaluator, Seq, is_tensor, scalarize
from ...model.graph import names_in
from ...model.problem import Problem
from .layer_graph import flat_matrix, inherit_dims, layer_call, layer_vertex, nd_symbol

ACTIVATIONS = ("relu", "sigmoid", "tanh", "leaky_relu", "softmax")
LEAF_KINDS = ("param", "input", "let", "vector", "matrix", "symbol", "dim")
Entry = tuple[int, int]


# ---- the graph ----------------------------------------------------------------------------

@dataclass
class Term:
    """One signed term of an affine vertex: P (a plain vertex) or op(P) @ op(Q), possibly
    transposed as a whole (NumPy's vector @ matrix)."""

    sign: int
    p: str
    q: str | None = None
    p_t: bool = False
    q_t: bool = False
    out_t: bool = False


@dataclass
class Vertex:
    name: str
    kind: str                        # leaf | linear | act | generic
    expr: ast.Expr | None            # local expression over vertex names
    parents: list[str]
    value: sp.ImmutableMatrix        # always a matrix (scalars 1×1)
    scalar: bool
    symbol: Any                      # Symbol or MatrixSymbol shown for it
    generated: bool = False
    act: str | None = None
    slope: Any = None
    terms: list[Term] = field(default_factory=list)
    dims: tuple | None = None        # PyTorch's shape, for tensors of rank 3 or 4 and layer values
    layer: Any = None                # kind "layer": a LayerCall (layer_graph)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(int(s) for s in self.value.shape)

    def entries(self) -> list[tuple[int, int]]:
        r, c = self.shape
        return [(i, j) for i in range(r) for j in range(c)]

    @property
    def nd(self) -> bool:
        """Whether the vertex is a tensor of rank 3 or more (a list of matrices)."""
        return self.dims is not None and len(self.dims) >= 3

    def key(self, e: tuple[int, int]) -> str:
        if self.scalar:
            return self.name
        r, c = self.shape
        if self.nd:
            import numpy as np
            idx = np.unravel_index(e[0] * c + e[1], self.dims)
            return f"{self.name}[{','.join(str(int(i) + 1) for i in idx)}]"
        return f"{self.name}[{e[0] + 1}]" if c == 1 else f"{self.name}[{e[0] + 1},{e[1] + 1}]"


class Symbolic(Exception):
    """The graph has symbolic values: not for numeric backprop."""


def _as_matrix(v: Any) -> sp.ImmutableMatrix:
    if isinstance(v, Seq):
        return _as_matrix(flat_matrix(v)[0])
    if isinstance(v, sp.MatrixBase):
        m = sp.ImmutableMatrix(v)
    elif is_tensor(v):
        raise Symbolic()
    elif isinstance(v, sp.Basic) and not isinstance(v, sp.logic.boolalg.Boolean):
        m = sp.ImmutableMatrix([[v]])
    else:
        raise Symbolic()
    if m._rep.domain.is_QQ or m._rep.domain.is_ZZ:      # exact rationals: nothing to check
        return Numeric._fromrep(m._rep)
    for e in m:
        if e.is_Rational:
            continue
        if not (e.is_number and e.is_real is not False) or e.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            raise Symbolic()
    return Numeric._fromrep(m._rep)


class Numeric(sp.ImmutableDenseMatrix):
    """An explicit matrix of evaluated numbers: `doit` has nothing to do, so it returns the
    matrix itself instead of walking every entry (checks of 64×64 products stay cheap)."""

    def doit(self, **hints):
        return self


def _rebuild(e: ast.Expr, fn) -> ast.Expr:
    """`e` with every child expression c replaced by fn(c)."""
    changes = {}
    for k, v in vars(e).items():
        if k == "pos" or k == "func":
            continue
        if isinstance(v, ast.Expr):
            changes[k] = fn(v)
        elif isinstance(v, tuple) and any(isinstance(x, (ast.Expr, ast.Keyword)) for x in v):
            changes[k] = tuple(ast.Keyword(x.name, fn(x.value), x.pos) if isinstance(x, ast.Keyword)
                               else fn(x) if isinstance(x, ast.Expr) else x for x in v)
    return replace(e, **changes) if changes else e


class Graph:
    """The vertices L depends on, in topological order (see the module docstring)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        self.v: dict[str, Vertex] = {}
        self.order: list[str] = []
        self.gen_values: dict[str, Any] = {}
        self.gen_symbols: dict[str, Any] = {}
        self._visiting: set[str] = set()

    # -- names for generated vertices
    def fresh(self, base: str) -> str:
        name, i = base, 1
        while self.problem.has(name) or name in self.v or name in self.gen_values:
            i += 1
            name = f"{base}_{i}" if not base[-1].isdigit() else f"{base}'" * (i - 1)
        return name

    def pre_name(self, owner: str) -> str:
        m = re.fullmatch(r"([a-zA-Z]+?)(\d+)", owner)
        if m and m.group(1) in ("h", "a", "y", "o"):
            return self.fresh("z" + m.group(2))
        if owner in ("h", "a"):
            return self.fresh("z")
        return self.fresh(f"z_{owner}")

    # -- building
    def add_root(self, expr: ast.Expr) -> str:
        if isinstance(expr, ast.Name):
            self.add_name(expr.id, expr)
            return expr.id
        name = self.fresh("f")
        self.add_generated(name, expr, root=True)
        return name

    def add_name(self, name: str, where: ast.Expr) -> None:
        if name in self.v:
            return
        if name in self._visiting:
            raise SpecError(f"`{name}` depends on itself", where.pos)
        b = self.problem.lookup(name, where.pos)
        if b.error is not None:
            raise b.error
        if b.kind in ("function", "layer"):
            raise SpecError(f"`{name}` is {b.describe()}, not a value on the computation graph", where.pos)
        if b.kind == "node" and b.expr is not None:
            self._visiting.add(name)
            local = self.extract(b.expr, name, root=True)
            self._finish(name, local, b.value, b.symbol, generated=False)
            self._visiting.discard(name)
            return
        value = _as_matrix(b.value)
        dims = flat_matrix(b.value)[1]
        scalar = not is_tensor(b.value) and dims is None
        symbol = b.symbol if b.symbol is not None and dims is None else nd_symbol(name, dims) \
            if dims is not None and len(dims) >= 3 else sp.MatrixSymbol(name, *value.shape)
        self.v[name] = Vertex(name, "leaf", None, [], value, scalar, symbol, dims=dims)
        self.order.append(name)

    def add_generated(self, name: str, expr: ast.Expr, root: bool = False) -> None:
        local = self.extract(expr, name, root=root)
        ev = Evaluator(self.problem, "value", dict(self.gen_values))
        value = ev.eval(local)
        self._finish(name, local, value, None, generated=True)

    def _reads(self, name: str, local: ast.Expr, generated: bool) -> tuple[str, ...]:
        """The values `local` reads: a named node's parents on the problem's graph when its
        expression is its own (nothing split off), else read off the local expression."""
        b = self.problem.names.get(name)
        if not generated and b is not None and local == b.expr and name in self.problem.graph:
            return tuple(p for p in self.problem.graph.parents(name)
                         if self.problem.names[p].kind not in ("function", "layer"))
        return names_in(local, calls=False, lambdas=False)

    def _finish(self, name: str, local: ast.Expr, value: Any, symbol: Any, generated: bool) -> None:
        reads = self._reads(name, local, generated)
        for dep in reads:
            if dep in self.gen_values:
                continue
            self.add_name(dep, local)
        dims = flat_matrix(value)[1]
        scalar = not is_tensor(value) and dims is None
        mat = _as_matrix(value)
        if dims is not None and len(dims) >= 3:
            symbol = nd_symbol(name, dims)
        elif symbol is None or dims is not None:
            symbol = sp.Symbol(name, real=True) if scalar else sp.MatrixSymbol(name, *mat.shape)
        parents = [d for d in reads if d in self.v]
        vx = Vertex(name, "generic", local, parents, mat, scalar, symbol, generated, dims=dims)
        if layer_call(self.problem, local) is not None:
            layer_vertex(self, vx)
        else:
            self._classify(vx)
            inherit_dims(self, vx)
        self.v[name] = vx
        self.order.append(name)
        if generated:
            self.gen_values[name] = value if scalar or dims is not None else mat
            self.gen_symbols[name] = symbol

    def extract(self, e: ast.Expr, owner: str, root: bool) -> ast.Expr:
        """Split activations off `e`: their arguments (and, nested, themselves) become vertices."""
        e = self.unfold_layer(e)
        if isinstance(e, ast.Call) and e.name in ACTIVATIONS and not self.problem.has(e.name) and e.args:
            arg = self.extract(e.args[0], owner, root=False)
            if not isinstance(arg, ast.Name):
                zname = self.pre_name(owner) if root else self.fresh("z")
                self.add_generated(zname, arg)
                arg = ast.Name(e.args[0].pos, zname)
            call = replace(e, args=(arg,) + tuple(self.extract(a, owner, False) for a in e.args[1:]))
            if root:
                return call
            hname = self.fresh("h")
            self.add_generated(hname, call, root=True)
            return ast.Name(e.pos, hname)
        if layer_call(self.problem, e) is not None:
            arg = self.extract(e.args[0], owner, root=False)
            if not isinstance(arg, ast.Name):
                aname = self.fresh("a")
                self.add_generated(aname, arg)
                arg = ast.Name(e.args[0].pos, aname)
            call = replace(e, args=(arg,))
            if root:
                return call
            oname = self.fresh(f"{e.name}_out")
            self.add_generated(oname, call, root=True)
            return ast.Name(e.pos, oname)
        if isinstance(e, (ast.Name, ast.Num, ast.Lambda, ast.Str, ast.Bool)):
            return e
        return _rebuild(e, lambda c: self.extract(c, owner, False))

    def unfold_layer(self, e: ast.Expr) -> ast.Expr:
        """`fc(a)` for `layer fc = Linear(n, m, weight = W, bias = b)` is W @ a + b on the graph,
        so gradients reach W and b (a 1-D input; a batch is not unfolded)."""
        if not (isinstance(e, ast.Call) and e.name and self.problem.has(e.name) and len(e.args) == 1):
            return e
        b = self.problem.names[e.name]
        layer = b.value
        if b.kind != "layer" or getattr(layer, "kind", None) != "Linear" or "weight" not in layer.args.nodes:
            return e
        x = self.problem.value(e.args[0])
        if is_tensor(x) and x.shape[1] != 1:
            raise Unsupported(f"backprop through `{e.name}` on a batch (a matrix input) is not implemented; "
                              "apply it to one vector at a time", e.pos)
        out: ast.Expr = ast.BinOp(e.pos, "@", layer.args.nodes["weight"], e.args[0])
        if "bias" in layer.args.nodes and is_tensor(layer.args["bias"]):
            out = ast.BinOp(e.pos, "+", out, layer.args.nodes["bias"])
        return out

    def _classify(self, vx: Vertex) -> None:
        e = vx.expr
        if isinstance(e, ast.Call) and e.name in ACTIVATIONS and not self.problem.has(e.name) \
                and isinstance(e.args[0], ast.Name):
            vx.kind, vx.act = "act", e.name
            vx.parents = [e.args[0].id]
            if e.name == "leaky_relu":
                slope = e.kwarg("negative_slope") or (e.args[1] if len(e.args) > 1 else None)
                vx.slope = scalarize(self.problem.value(slope)) if slope is not None else sp.Rational(1, 100)
            if e.name == "softmax" and not (vx.value.shape[1] == 1 or vx.value.shape[0] == 1):
                vx.kind = "generic"
            return
        terms = self._linear(e, 1)
        if terms is not None and self._shapes_ok(vx, terms):
            vx.kind, vx.terms = "linear", terms

    def _linear(self, e: ast.Expr, sign: int) -> list[Term] | None:
        if isinstance(e, ast.BinOp) and e.op in "+-":
            a = self._linear(e.left, sign)
            b = self._linear(e.right, sign if e.op == "+" else -sign)
            return None if a is None or b is None else a + b
        if isinstance(e, ast.UnaryOp) and e.op in "+-":
            return self._linear(e.operand, sign if e.op == "+" else -sign)
        if isinstance(e, ast.BinOp) and e.op == "@":
            p, pt = self._factor(e.left)
            q, qt = self._factor(e.right)
            if p is None or q is None:
                return None
            return [Term(sign, p, q, pt, qt)]
        p, pt = self._factor(e)
        if p is None or pt:
            return None
        return [Term(sign, p)]

    def _factor(self, e: ast.Expr) -> tuple[str | None, bool]:
        if isinstance(e, ast.Name) and (e.id in self.v or e.id in self.gen_values):
            return e.id, False
        if isinstance(e, ast.Transpose) and isinstance(e.operand, ast.Name) and e.operand.id in self.v:
            return e.operand.id, True
        return None, False

    def _shapes_ok(self, vx: Vertex, terms: list[Term]) -> bool:
        """Fix NumPy's vector conventions of each product; refuse what is not plain affine."""
        r, c = vx.shape
        for t in terms:
            P = self.v[t.p].value
            if t.q is None:
                if tuple(P.shape) not in ((r, c), (1, 1)):
                    return False
                continue
            Q = self.v[t.q].value
            A = P.T if t.p_t else P
            B = Q.T if t.q_t else Q
            (r1, c1), (r2, c2) = A.shape, B.shape
            if c1 == 1 and c2 == 1 and r1 != 1 and r1 == r2:        # vector @ vector: AᵀB
                t.p_t = not t.p_t
            elif c1 == 1 and r1 != 1 and r1 == r2 and c2 != 1:       # vector @ matrix: (AᵀB)ᵀ
                t.p_t, t.out_t = not t.p_t, True
            A = P.T if t.p_t else P
            R = A * B
            R = R.T if t.out_t else R
            if tuple(R.shape) not in ((r, c), (1, 1)):
                return False
        return True

    def children(self) -> dict[str, list[str]]:
        ch: dict[str, list[str]] = {n: [] for n in self.order}
        for n in self.order:
            for p in dict.fromkeys(self.v[n].parents):
                ch[p].append(n)
        return ch
