"""Numeric backpropagation: ∂L/∂v on a problem's computation graph, every step checked.

In: a problem whose loss `L` is computed from explicit numbers, and a target `v`: a name
(scalar, bias vector, weight matrix, input, intermediate node) or an entry (`W1[1, 1]`).
Out: `numeric_grad(problem, call) -> Derived | None` (None when the graph is symbolic:
the matrix-calculus family handles those) and `sgd_step` built on it.

How (micrograd's recipe, on vertices a student would name):
* The graph: every named node, and inside a node every activation (relu, sigmoid, tanh,
  leaky_relu, softmax) splits off its argument as a pre-activation vertex (`h =
  relu(W1 @ x + b1)` gives z = W₁x + b₁ and h = relu(z)).  A vertex is a leaf, an affine
  map (a signed sum of matrix products and plain terms), an activation, or a generic
  expression (anything else: losses, user formulas), each with one local-derivative rule.
* Masks: which entries of each vertex depend on v (an entry W1[1,1] reaches only z₁, h₁,
  then everything after the next affine map), so only the paths from v to L are walked and
  an entry's gradient never builds the whole Jacobian.
* Backward in reverse topological order: δ_u = Σ over u's children c of the local rule
  applied to δ_c (`+=` on fan-out), exact (sympy rationals, or exact expressions when
  sigmoid/tanh/exp enter).
* Steps: the forward pass, the path, the chain rule, every local derivative symbolically
  and with numbers (ReLU gates explained), then the product (a single chain) or the
  backward sweep (fan-out, vectors), softmax + cross-entropy's ŷ − y shown and checked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .. import ast
from ..errors import SpecError, Unsupported
from ..model import functions as F
from ..model.expressions import Evaluator, is_tensor, scalarize, show_shape
from ..model.problem import Binding, Problem
from ..printing import PLACEHOLDER, latex, name_latex
from ..steps import Step, make_step
from ..steps import dedupe_chain
from .evaluate import inner_evaluated, substituted
from .registry import Derived, make_answer

ACTIVATIONS = ("relu", "sigmoid", "tanh", "leaky_relu", "softmax")
LEAF_KINDS = ("param", "input", "let", "vector", "matrix", "symbol", "dim")
BIG = 10 ** 9
SHOW_NUMBERS = 400          # substitute tensors into a displayed formula up to this many entries
ENTRYWISE = 8               # gradients of at most this many entries are derived entry by entry


# ---- display symbols -------------------------------------------------------------------

def key_tex(key: str) -> str:
    """LaTeX of an entry key: `W1[1,2]` -> (W_1)_{1,2}, `z[3]` -> z_3, `o` -> o."""
    m = re.fullmatch(r"(\w+)\[(\d+)(?:,(\d+))?\]", key)
    if not m:
        return name_latex(key)
    if m.group(3) is None:
        return latex(sp.MatrixSymbol(m.group(1), BIG, 1)[int(m.group(2)) - 1, 0])
    return latex(sp.MatrixSymbol(m.group(1), BIG, BIG)[int(m.group(2)) - 1, int(m.group(3)) - 1])


class Comp(sp.Symbol):
    """One entry of a vertex as a real scalar symbol, printed like the entry: (W_1)_{1,1}."""

    def __new__(cls, key: str):
        return super().__new__(cls, key, real=True)

    def __getnewargs_ex__(self):
        return ((self.name,), {})

    def _latex(self, printer) -> str:
        return key_tex(self.name)


DIRECT = "|direct"


def _fraction_tex(name: str) -> str:
    """∂a/∂b, or its direct part (the other inputs of a held fixed) for a `|direct` name."""
    direct = name.endswith(DIRECT)
    num, den = name[1:].removesuffix(DIRECT).split("/∂", 1)
    tex = r"\frac{\partial %s}{\partial %s}" % (key_tex(num), key_tex(den))
    return r"\left.%s\right|_{\text{direct}}" % tex if direct else tex


class DSym(sp.Symbol):
    """∂a/∂b for scalars a, b (entry keys), printed as a fraction.  With `direct`, the part
    of ∂a/∂b through a's own formula only (when b also reaches a by other paths)."""

    def __new__(cls, num: str, den: str, direct: bool = False):
        return super().__new__(cls, f"∂{num}/∂{den}" + (DIRECT if direct else ""), real=True)

    def __getnewargs_ex__(self):
        num, den = self.name[1:].removesuffix(DIRECT).split("/∂", 1)
        return ((num, den, self.name.endswith(DIRECT)), {})

    def _latex(self, printer) -> str:
        return _fraction_tex(self.name)


class DMat(sp.MatrixSymbol):
    """∂L/∂U for a tensor U (same shape as U), printed as a fraction; build with `dmat`."""

    def _latex(self, printer) -> str:
        return _fraction_tex(self.name)


def dmat(num: str, den: str, rows: Any, cols: Any, direct: bool = False) -> DMat:
    return DMat(f"∂{num}/∂{den}" + (DIRECT if direct else ""), rows, cols)


class Partial(sp.Expr):
    """∂expr/∂var, shown unevaluated.  It is worked out (differentiated) before values are
    put in, so a checked chain `∂/∂o (t − o)² = −2(t − o) = −2(15 − 24) = 18` means the
    derivative at the point."""

    def __new__(cls, expr: Any, var: Any):
        return sp.Expr.__new__(cls, sp.sympify(expr, strict=True), var)

    def doit(self, **hints):
        return sp.diff(self.args[0], self.args[1])

    def _xreplace(self, rule):
        if self in rule:
            return rule[self], True
        return self.doit()._xreplace(rule)[0], True

    def _latex(self, printer) -> str:
        e, v = self.args
        if isinstance(e, sp.Function) and e.args == (v,):
            return printer._print(e.func(sp.Symbol(PLACEHOLDER))).replace(PLACEHOLDER, printer._print(v)).replace(
                r"\left(", r"'\left(", 1) if r"\left(" in printer._print(e) else printer._print(e) + "'"
        body = _abbreviate(e, printer)
        return r"\frac{\partial}{\partial %s} \left(%s\right)" % (printer._print(v), body)


def _abbreviate(e: Any, printer) -> str:
    """A long sum printed as its first two and last two terms with ⋯ between."""
    if isinstance(e, sp.Add) and len(e.args) > 6:
        terms = list(e.args)
        head = " + ".join(printer._print(t) for t in terms[:2])
        tail = " + ".join(printer._print(t) for t in terms[-2:])
        return (head + r" + \dots + " + tail).replace("+ -", "- ")
    return printer._print(e)


class Col(sp.MatrixExpr):
    """Column k (0-based) of a matrix expression, printed (W_2)_{:,k+1}."""

    def __new__(cls, m: Any, k: int):
        return sp.Basic.__new__(cls, m, sp.Integer(k))

    @property
    def shape(self):
        return (self.args[0].shape[0], sp.Integer(1))

    def doit(self, **hints):
        m = self.args[0].doit(**hints) if hasattr(self.args[0], "doit") else self.args[0]
        if isinstance(m, sp.MatrixBase):
            return sp.ImmutableMatrix(m[:, int(self.args[1])])
        return Col(m, int(self.args[1]))

    def _entry(self, i, j, **kwargs):
        return self.args[0][i, self.args[1]]

    def _latex(self, printer) -> str:
        inner = printer._print(self.args[0])
        if "_" in inner or "^" in inner:
            inner = r"\left(%s\right)" % inner
        return r"%s_{:,%d}" % (inner, int(self.args[1]) + 1)


class relu_grad(sp.Function):
    """relu'(x): 1 for x > 0, 0 for x ≤ 0 (PyTorch's convention at 0)."""

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_real:
            return sp.Integer(1) if x > 0 else sp.Integer(0)

    def _latex(self, printer):
        return r"\operatorname{relu}'\left(%s\right)" % printer._print(self.args[0])


class leaky_relu_grad(sp.Function):
    """leaky_relu'(x) = 1 for x > 0, the slope for x ≤ 0."""

    @classmethod
    def eval(cls, x, slope):
        if x.is_number and x.is_real:
            return sp.Integer(1) if x > 0 else slope

    def _latex(self, printer):
        return r"\operatorname{leaky\_relu}'\left(%s\right)" % printer._print(self.args[0])


class sigmoid_grad(sp.Function):
    """σ'(x) = σ(x)(1 − σ(x))."""

    @classmethod
    def eval(cls, x):
        if x.is_number:
            sg = F.sigmoid(x)
            return sg * (1 - sg)

    def _latex(self, printer):
        return r"\sigma'\left(%s\right)" % printer._print(self.args[0])


class tanh_grad(sp.Function):
    """tanh'(x) = 1 − tanh²(x)."""

    @classmethod
    def eval(cls, x):
        if x.is_number:
            return 1 - sp.tanh(x) ** 2

    def _latex(self, printer):
        return r"\tanh'\left(%s\right)" % printer._print(self.args[0])


def act_grad_fn(act: str, slope: Any = None):
    """The derivative of an activation as a sympy function of the pre-activation."""
    return {"relu": relu_grad, "sigmoid": sigmoid_grad, "tanh": tanh_grad,
            "leaky_relu": lambda x: leaky_relu_grad(x, slope)}[act]


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

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(int(s) for s in self.value.shape)

    def entries(self) -> list[tuple[int, int]]:
        r, c = self.shape
        return [(i, j) for i in range(r) for j in range(c)]

    def key(self, e: tuple[int, int]) -> str:
        if self.scalar:
            return self.name
        r, c = self.shape
        return f"{self.name}[{e[0] + 1}]" if c == 1 else f"{self.name}[{e[0] + 1},{e[1] + 1}]"


class Symbolic(Exception):
    """The graph has symbolic values: not for numeric backprop."""


def _as_matrix(v: Any) -> sp.ImmutableMatrix:
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


def _names(e: ast.Expr, out: list[str]) -> list[str]:
    """Names an expression reads (not called functions, not lambda parameters)."""
    if isinstance(e, ast.Name):
        if e.id not in out:
            out.append(e.id)
        return out
    if isinstance(e, ast.Lambda):
        return out
    for k, v in vars(e).items():
        if k == "func":
            continue
        for x in (v if isinstance(v, tuple) else (v,)):
            if isinstance(x, ast.Keyword):
                _names(x.value, out)
            elif isinstance(x, ast.Expr):
                _names(x, out)
    return out


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
        scalar = not is_tensor(b.value)
        symbol = b.symbol if b.symbol is not None else sp.Symbol(name, real=True)
        self.v[name] = Vertex(name, "leaf", None, [], value, scalar, symbol)
        self.order.append(name)

    def add_generated(self, name: str, expr: ast.Expr, root: bool = False) -> None:
        local = self.extract(expr, name, root=root)
        ev = Evaluator(self.problem, "value", dict(self.gen_values))
        value = ev.eval(local)
        self._finish(name, local, value, None, generated=True)

    def _finish(self, name: str, local: ast.Expr, value: Any, symbol: Any, generated: bool) -> None:
        for dep in _names(local, []):
            if dep in self.gen_values:
                continue
            self.add_name(dep, local)
        scalar = not is_tensor(value)
        mat = _as_matrix(value)
        if symbol is None:
            symbol = sp.Symbol(name, real=True) if scalar else sp.MatrixSymbol(name, *mat.shape)
        parents = [d for d in _names(local, []) if d in self.v]
        vx = Vertex(name, "generic", local, parents, mat, scalar, symbol, generated)
        self._classify(vx)
        self.v[name] = vx
        self.order.append(name)
        if generated:
            self.gen_values[name] = value if scalar else mat
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


# ---- masks and the backward pass ---------------------------------------------------------

Entry = tuple[int, int]


def _op(P: sp.MatrixBase, t: bool) -> sp.MatrixBase:
    return P.T if t else P


def _T(x: Any) -> Any:
    return x.T if is_tensor(x) else x


def _swap(e: Entry, t: bool) -> Entry:
    return (e[1], e[0]) if t else e


class Backprop:
    """Masks, forward values, the backward sweep and its steps for one ∂L/∂v."""

    def __init__(self, problem: Problem, graph: Graph, root: str, target: str, entry: Entry | None):
        self.p = problem
        self.g = graph
        self.root = root
        self.target = target
        self.entry = entry
        self.children = graph.children()
        self.where: dict[Any, Any] = {}
        self.mask: dict[str, set[Entry]] = {}
        self.grad: dict[str, dict[Entry, Any]] = {}
        self.steps: list[Step] = []
        self.local: dict[tuple[str, Entry, str, Entry], Any] = {}    # (C, c, V, e) -> local derivative value

    # -- symbols bound to values
    def comp(self, name: str, e: Entry) -> Any:
        vx = self.g.v[name]
        if vx.scalar:
            self.where[vx.symbol] = vx.value[0, 0]
            return vx.symbol
        s = Comp(vx.key(e))
        self.where[s] = vx.value[e]
        return s

    def sym(self, name: str) -> Any:
        vx = self.g.v[name]
        self.where[vx.symbol] = vx.value[0, 0] if vx.scalar else vx.value
        return vx.symbol

    def gsym(self, name: str, e: Entry | None = None) -> Any:
        """∂L/∂(name[e]) (scalar) or ∂L/∂name (tensor, e None), bound to its value."""
        vx = self.g.v[name]
        L = self.g.v[self.root].key((0, 0))
        if e is None and not vx.scalar:
            r, c = vx.shape
            s = dmat(L, vx.name, r, c)
            self.where[s] = sp.ImmutableMatrix(r, c, lambda i, j: self.grad[name][(i, j)])
            return s
        e = e or (0, 0)
        s = DSym(L, vx.key(e))
        self.where[s] = self.grad[name][e]
        return s

    def W(self, *exprs: Any) -> dict:
        keys: set = set()
        for x in exprs:
            if isinstance(x, sp.Basic):
                keys |= x.atoms(sp.Symbol) | x.atoms(sp.MatrixSymbol)
        return {k: self.where[k] for k in keys if k in self.where}

    # -- masks
    def propagate(self) -> None:
        tv = self.g.v[self.target]
        self.mask[self.target] = {self.entry} if self.entry is not None else set(tv.entries())
        for n in self.g.order:
            if n == self.target:
                continue
            vx = self.g.v[n]
            if not any(p in self.mask for p in vx.parents):
                continue
            m: set[Entry] = set()
            if vx.kind == "act":
                m = set(self.mask[vx.parents[0]]) if vx.act != "softmax" else set(vx.entries())
            elif vx.kind == "linear":
                for t in vx.terms:
                    m |= self._term_mask(vx, t)
            else:
                m = self._generic_mask(vx)
            if m:
                self.mask[n] = m

    def _term_mask(self, vx: Vertex, t: Term) -> set[Entry]:
        out: set[Entry] = set()
        r, c = vx.shape
        if t.q is None:
            if t.p in self.mask:
                P = self.g.v[t.p]
                return set(vx.entries()) if P.shape != (r, c) else set(self.mask[t.p])
            return out
        A = _op(self.g.v[t.p].value, t.p_t)
        B = _op(self.g.v[t.q].value, t.q_t)
        rr, rc = A.shape[0], B.shape[1]
        hits: set[Entry] = set()
        if t.p in self.mask:
            for e in self.mask[t.p]:
                i, _ = _swap(e, t.p_t)
                hits |= {(i, j) for j in range(rc)}
        if t.q in self.mask:
            for e in self.mask[t.q]:
                _, j = _swap(e, t.q_t)
                hits |= {(i, j) for i in range(rr)}
        if not hits:
            return out
        if (rr, rc) == (1, 1) and (r, c) != (1, 1):
            return set(vx.entries())
        return {_swap(h, t.out_t) for h in hits}

    def entry_exprs(self, vx: Vertex) -> sp.ImmutableMatrix:
        """A generic vertex's entries in terms of its parents' entry symbols (cached)."""
        cache = getattr(vx, "_exprs", None)
        if cache is not None:
            return cache
        env = {}
        for p in vx.parents:
            pv = self.g.v[p]
            env[p] = self.comp(p, (0, 0)) if pv.scalar else sp.ImmutableMatrix(
                pv.shape[0], pv.shape[1], lambda i, j: self.comp(p, (i, j)))
        local = {**self.g.gen_values, **env}
        val = Evaluator(self.p, "value", local).eval(vx.expr)
        out = sp.ImmutableMatrix(val) if isinstance(val, sp.MatrixBase) else sp.ImmutableMatrix([[val]])
        vx._exprs = out  # type: ignore[attr-defined]
        return out

    def _generic_mask(self, vx: Vertex) -> set[Entry]:
        exprs = self.entry_exprs(vx)
        live = set()
        for p in vx.parents:
            if p in self.mask:
                live |= {self.comp(p, e) for e in self.mask[p]}
        r, c = vx.shape
        return {(i, j) for i in range(r) for j in range(c) if exprs[i, j].free_symbols & live}

    # -- which vertices lie on a path from v to L
    def on_path(self) -> list[str]:
        if self.root not in self.mask:
            return []
        need = {self.root}
        for n in reversed(self.g.order):
            if n in need:
                need |= {p for p in self.g.v[n].parents if p in self.mask}
        return [n for n in self.g.order if n in need]

    # -- local rules: contribution of child C to δ of V at entry e (value), no display
    def contribution(self, C: str, V: str, e: Entry) -> Any:
        cv = self.g.v[C]
        dC = self.grad[C]
        if cv.kind == "act":
            if cv.act == "softmax":
                s = cv.value
                return sp.Add(*[dC[c] * s[c] * ((1 if c == e else 0) - s[e]) for c in dC])
            return dC.get(e, 0) * self.act_grad(cv, e)
        if cv.kind == "linear":
            total = sp.Integer(0)
            for t in cv.terms:
                total += self._term_contribution(cv, t, V, e)
            return total
        exprs = self.entry_exprs(cv)
        x = self.comp(V, e)
        total = sp.Integer(0)
        for c, d in dC.items():
            if x in exprs[c].free_symbols:
                total += d * self.local_value(C, c, V, e)
        return total

    def local_value(self, C: str, c: Entry, V: str, e: Entry) -> Any:
        k = (C, c, V, e)
        if k not in self.local:
            exprs = self.entry_exprs(self.g.v[C])
            d = sp.diff(exprs[c], self.comp(V, e))
            self.local[k] = _simplify_number(d.xreplace(self.W(d)))
        return self.local[k]

    def act_grad(self, cv: Vertex, e: Entry) -> Any:
        z = self.g.v[cv.parents[0]].value[e]
        h = cv.value[e]
        if cv.act == "relu":
            return sp.Integer(1) if z > 0 else sp.Integer(0)
        if cv.act == "leaky_relu":
            return sp.Integer(1) if z > 0 else cv.slope
        if cv.act == "sigmoid":
            return h * (1 - h)
        if cv.act == "tanh":
            return 1 - h ** 2
        raise Unsupported(f"no derivative rule for {cv.act}")

    def _term_contribution(self, cv: Vertex, t: Term, V: str, e: Entry) -> Any:
        dC = self.grad[cv.name]
        total = sp.Integer(0)
        r, c = cv.shape
        if t.q is None:
            if t.p != V:
                return total
            if self.g.v[V].shape != (r, c):           # a scalar broadcast over the vertex
                return t.sign * sp.Add(*dC.values())
            return t.sign * dC.get(e, 0)
        A = _op(self.g.v[t.p].value, t.p_t)
        B = _op(self.g.v[t.q].value, t.q_t)
        broadcast = (A.shape[0], B.shape[1]) == (1, 1) and (r, c) != (1, 1)

        def dR(i: int, j: int) -> Any:
            if broadcast:
                return sp.Add(*dC.values())
            return dC.get(_swap((i, j), t.out_t), 0)

        if t.p == V:
            i, k = _swap(e, t.p_t)
            total += t.sign * sp.Add(*[dR(i, j) * B[k, j] for j in range(B.shape[1])])
        if t.q == V:
            k, j = _swap(e, t.q_t)
            total += t.sign * sp.Add(*[A[i, k] * dR(i, j) for i in range(A.shape[0])])
        return total

    def backward(self, path: list[str]) -> None:
        self.grad[self.root] = {(0, 0): sp.Integer(1)}
        on = set(path)
        for n in reversed(path):
            if n == self.root:
                continue
            kids = [c for c in self.children[n] if c in on]
            self.grad[n] = {e: _simplify_number(sp.Add(*[self.contribution(C, n, e) for C in kids]))
                            for e in sorted(self.mask[n])}


def _simplify_number(x: Any) -> Any:
    """A number as computed: rationals are exact and canonical already; irrational values
    (exp, tanh) are left as built, since simplifying them costs more than the whole pass."""
    return sp.sympify(x, strict=True)


# ---- the derivation with steps ----------------------------------------------------------------

def _big(x: Any) -> bool:
    if isinstance(x, sp.MatrixBase):
        return x.shape[0] * x.shape[1] > SHOW_NUMBERS
    return False


class Explain:
    """Turns a finished Backprop into the steps of a model answer."""

    def __init__(self, bp: Backprop, path: list[str]):
        self.bp = bp
        self.g = bp.g
        self.path = path
        self.steps: list[Step] = []
        self.display: dict[str, Any] = {}          # vertex -> its definition in symbols

    # forward pass
    def forward(self) -> None:
        bp, g = self.bp, self.g
        ev = Evaluator(bp.p, "symbol", dict(g.gen_symbols))
        subs = {}
        for n in g.order:
            vx = g.v[n]
            subs[vx.symbol] = vx.value[0, 0] if vx.scalar else vx.value
        sub_steps = []
        for n in g.order:
            vx = g.v[n]
            if vx.kind == "leaf":
                continue
            display = scalarize(ev.eval(vx.expr))
            self.display[n] = display
            value = vx.value[0, 0] if vx.scalar else vx.value
            chain = [vx.symbol, display]
            used = {k: v for k, v in subs.items() if isinstance(display, sp.Basic) and (
                display.has(k))}
            if not any(_big(v) for v in used.values()):
                sub = substituted(display, used)
                chain.append(sub)
                inner = inner_evaluated(sub)
                if inner is not None:
                    chain.append(inner)
            chain.append(value)
            what = {"act": f"activation ({vx.act})", "linear": "pre-activation" if vx.generated else "affine map",
                    "generic": "value"}[vx.kind]
            label = "" if not vx.generated else " (the " + what + ", named here)"
            sub_steps.append(make_step("forward", f"${latex(vx.symbol)}${label}:", *dedupe_chain(chain),
                                       where={**used, vx.symbol: value}))
        self.steps.append(make_step("forward_pass", "Forward pass: the value of every quantity on the way to "
                                    f"${latex(g.v[bp.root].symbol)}$ at the given numbers.",
                                    substeps=sub_steps, check=False))

    def path_text(self) -> str:
        bp, g = self.bp, self.g
        parts = []
        for n in self.path:
            vx = g.v[n]
            m = bp.mask[n]
            if vx.scalar:
                parts.append(f"${latex(vx.symbol)}$")
            elif len(m) == len(vx.entries()):
                parts.append(f"${latex(vx.symbol)}$")
            elif len(m) <= 3:
                parts.append(", ".join(f"${key_tex(vx.key(e))}$" for e in sorted(m)))
            else:
                parts.append(f"${latex(vx.symbol)}$ ({len(m)} of its entries)")
        return " → ".join(parts)

    def is_chain(self) -> bool:
        bp = self.bp
        on = set(self.path)
        for n in self.path:
            vx = self.g.v[n]
            if len(bp.mask[n]) != 1:
                return False
            if n != bp.root and len([c for c in bp.children[n] if c in on]) != 1:
                return False
            if vx.kind == "act" and vx.act == "softmax":
                return False
        return True

    def direct(self, C: str, V: str) -> bool:
        """Whether ∂C/∂V (C the loss) must be marked as the direct part: V reaches the loss by
        other paths too, so the plain ∂L/∂V is the total, a different number."""
        on = set(self.path)
        return C == self.bp.root and len([c for c in self.bp.children[V] if c in on]) > 1

    def target_sym(self) -> Any:
        bp = self.bp
        tv = self.g.v[bp.target]
        if bp.entry is not None or tv.scalar or tv.shape == (1, 1):
            return bp.gsym(bp.target, bp.entry or (0, 0))
        return bp.gsym(bp.target)

    # local derivative ∂C_c/∂V_e, a checked step (symbolic, then numbers)
    def local_step(self, C: str, c: Entry, V: str, e: Entry) -> tuple[Any, Step | list[Step]]:
        bp, g = self.bp, self.g
        cv, vv = g.v[C], g.v[V]
        lsym = DSym(cv.key(c), vv.key(e), self.direct(C, V))
        x = bp.comp(V, e)
        if cv.kind == "act" and cv.act != "softmax":
            value = bp.act_grad(cv, e)
            bp.where[lsym] = value
            return lsym, self.gate_steps(cv, [e], lsym)
        if cv.kind == "linear":
            expr = self.linear_entry(cv, c)
        else:
            expr = bp.entry_exprs(cv)[c]
        d = sp.diff(expr, x)
        shown = _nice(d)
        value = bp.local_value(C, c, V, e) if cv.kind != "linear" else _simplify_number(d.xreplace(bp.W(d)))
        bp.where[lsym] = value
        chain = [lsym, Partial(expr, x), shown]
        num = substituted(shown, bp.W(shown))
        chain += [num, value]
        make_step("local_derivative", "", Partial(expr, x), shown)        # the identity, checked symbolically
        return lsym, make_step("local_derivative",
                               f"${latex(cv.symbol if cv.scalar else Comp(cv.key(c)))}$ as a function of "
                               f"${latex(x)}$:", *dedupe_chain(chain), where=bp.W(*chain))

    def linear_entry(self, cv: Vertex, c: Entry) -> Any:
        """Entry c of an affine vertex in terms of its parents' entry symbols."""
        bp, g = self.bp, self.g
        total = sp.Integer(0)
        r, cc = cv.shape
        for t in cv.terms:
            P = g.v[t.p]
            if t.q is None:
                total += t.sign * (bp.comp(t.p, (0, 0)) if P.shape != (r, cc) else bp.comp(t.p, c))
                continue
            Q = g.v[t.q]
            A = _op(P.value, t.p_t)
            B = _op(Q.value, t.q_t)
            i, j = _swap(c, t.out_t) if (A.shape[0], B.shape[1]) != (1, 1) else (0, 0)
            terms = [bp.comp(t.p, _swap((i, k), t.p_t)) * bp.comp(t.q, _swap((k, j), t.q_t))
                     for k in range(A.shape[1])]
            total += t.sign * sp.Add(*terms)
        return total

    def gate_steps(self, cv: Vertex, entries: list[Entry], lsym: Any = None) -> list[Step]:
        """Why an activation passes (or blocks) the gradient at these entries."""
        bp, g = self.bp, self.g
        zv = g.v[cv.parents[0]]
        steps = []
        if len(entries) == 1:
            e = entries[0]
            z = bp.comp(zv.name, e)
            h = bp.comp(cv.name, e)
            zval = zv.value[e]
            fn = act_grad_fn(cv.act, cv.slope)(z)
            reason = ""
            if cv.act in ("relu", "leaky_relu"):
                active = zval > 0
                why = (f"${latex(z)} = {latex(zval)} > 0$: the unit is active, so it passes the gradient on "
                       f"unchanged" if active else
                       f"${latex(z)} = {latex(zval)} \\le 0$: the unit is inactive; "
                       + ("relu outputs the constant 0 for inputs at or below 0, so a small change of "
                          f"${latex(z)}$ does not change ${latex(h)}$ and no gradient flows back through it"
                          if cv.act == "relu" else f"the slope there is {latex(cv.slope)}"))
                steps.append(make_step("relu_gate", "The gate, checked:", z, 0, relation=">" if active else "≤",
                                       where={z: zval}))
                reason = why + "."
            chain = ([lsym] if lsym is not None else []) + [fn]
            if cv.act in ("sigmoid", "tanh"):
                via_h = h * (1 - h) if cv.act == "sigmoid" else 1 - h ** 2
                chain += [via_h, substituted(via_h, bp.W(via_h))]
            chain.append(bp.act_grad(cv, e))
            rule = {"relu": "relu'(z) = 1 for z > 0 and 0 otherwise",
                    "leaky_relu": f"leaky_relu'(z) = 1 for z > 0 and {cv.slope} otherwise",
                    "sigmoid": "σ'(z) = σ(z)(1 − σ(z))", "tanh": "tanh'(z) = 1 − tanh²(z)"}[cv.act]
            text = f"Activation derivative, {rule}" + ("; here " + reason[0].lower() + reason[1:] if reason else ":")
            return [make_step("activation_derivative", text, *dedupe_chain(chain), where=bp.W(*chain, h, z),
                              substeps=steps)]
        return steps

    # the backward sweep
    def delta_step(self, V: str) -> list[Step]:
        bp, g = self.bp, self.g
        vv = g.v[V]
        on = set(self.path)
        kids = [c for c in bp.children[V] if c in on]
        full = len(bp.mask[V]) == len(vv.entries()) and not vv.scalar
        out: list[Step] = []
        if full and len(vv.entries()) > 1:
            formula, numbers, extra = self.tensor_formula(V, kids)
            out.extend(extra)
            G = bp.gsym(V)
            chain = [G, formula]
            if numbers is not None:
                chain.append(numbers)
            chain.append(bp.where[G])
            out.append(make_step("backprop", self.delta_text(V, kids), *dedupe_chain(chain), where=bp.W(*chain)))
            return out
        for e in sorted(bp.mask[V]):
            formula_terms, number_terms, extra = [], [], []
            for C in kids:
                f, nmb, ex = self.entry_formula(C, V, e)
                formula_terms.append(f)
                number_terms.append(nmb)
                extra.extend(ex)
            out.extend(extra)
            G = bp.gsym(V, e)
            with sp.evaluate(False):
                formula = sp.Add(*formula_terms) if len(formula_terms) > 1 else formula_terms[0]
                numbers = sp.Add(*number_terms) if len(number_terms) > 1 else number_terms[0]
            chain = [G, formula, numbers, bp.where[G]]
            out.append(make_step("backprop", self.delta_text(V, kids, e), *dedupe_chain(chain), where=bp.W(*chain)))
        return out

    def delta_text(self, V: str, kids: list[str], e: Entry | None = None) -> str:
        g = self.g
        vv = g.v[V]
        what = f"${key_tex(vv.key(e))}$" if e is not None else f"${latex(vv.symbol)}$"
        if len(kids) > 1:
            return (f"{what} feeds {', '.join('$' + latex(g.v[c].symbol) + '$' for c in kids)}: the chain rule "
                    "adds one contribution per path (fan-out).")
        c = kids[0]
        if c in self.display:
            return f"Back through ${latex(g.v[c].symbol)} = {latex(self.display[c])}$:"
        return f"Back through ${latex(g.v[c].symbol)}$:"

    def entry_formula(self, C: str, V: str, e: Entry) -> tuple[Any, Any, list[Step]]:
        """δ contribution of child C to V[e]: (formula in symbols, with numbers, local steps)."""
        bp, g = self.bp, self.g
        cv = g.v[C]
        dC = bp.grad[C]
        extra: list[Step] = []
        if cv.kind == "act" and cv.act != "softmax":
            gC = bp.gsym(C, e)
            lsym, st = self.local_step(C, e, V, e)
            extra.extend(st if isinstance(st, list) else [st])
            with sp.evaluate(False):
                return sp.Mul(gC, lsym), sp.Mul(bp.where[gC], bp.where[lsym]), extra
        pairs = []
        if cv.kind == "linear":
            pairs = self.linear_pairs(cv, V, e)
        else:
            exprs = bp.entry_exprs(cv)
            x = bp.comp(V, e)
            pairs = [c for c in sorted(dC) if x in exprs[c].free_symbols]
        if cv.kind == "linear" and len(pairs) > 4 and cv.shape[1] == 1 and len(dC) == len(cv.entries()):
            col = self.column_form(cv, V, e)
            if col is not None:
                return col
        fterms, nterms = [], []
        for c in pairs:
            gC = bp.gsym(C, c)
            if len(pairs) <= 4 or cv.kind != "linear":
                lsym, st = self.local_step(C, c, V, e)
                extra.extend(st if isinstance(st, list) else [st])
            else:
                lsym = DSym(cv.key(c), g.v[V].key(e), self.direct(C, V))
                bp.where[lsym] = _simplify_number(sp.diff(self.linear_entry(cv, c), bp.comp(V, e)).xreplace(
                    bp.W(self.linear_entry(cv, c))))
            with sp.evaluate(False):
                fterms.append(sp.Mul(gC, lsym))
                nterms.append(sp.Mul(bp.where[gC], bp.where[lsym]))
        if not fterms:
            return sp.Integer(0), sp.Integer(0), extra
        with sp.evaluate(False):
            return (sp.Add(*fterms) if len(fterms) > 1 else fterms[0],
                    sp.Add(*nterms) if len(nterms) > 1 else nterms[0], extra)

    def linear_pairs(self, cv: Vertex, V: str, e: Entry) -> list[Entry]:
        bp = self.bp
        out: set[Entry] = set()
        r, c = cv.shape
        for t in cv.terms:
            if t.q is None:
                if t.p == V:
                    out |= set(cv.entries()) if self.g.v[V].shape != (r, c) else {e}
                continue
            A = _op(self.g.v[t.p].value, t.p_t)
            B = _op(self.g.v[t.q].value, t.q_t)
            if (A.shape[0], B.shape[1]) == (1, 1) and (r, c) != (1, 1):
                if V in (t.p, t.q):
                    out |= set(cv.entries())
                continue
            if t.p == V:
                i, _ = _swap(e, t.p_t)
                out |= {_swap((i, j), t.out_t) for j in range(B.shape[1])}
            if t.q == V:
                _, j = _swap(e, t.q_t)
                out |= {_swap((i, j), t.out_t) for i in range(A.shape[0])}
        return sorted(x for x in out if x in bp.grad[cv.name])

    def column_form(self, cv: Vertex, V: str, e: Entry):
        """∂L/∂h_k = (W)_{:,k}ᵀ ∂L/∂z for z = W h + b (one plain product term holding V)."""
        bp, g = self.bp, self.g
        ts = [t for t in cv.terms if V in (t.p, t.q)]
        if len(ts) != 1 or ts[0].q != V or ts[0].p_t or ts[0].q_t or ts[0].out_t or ts[0].p == V:
            return None
        t = ts[0]
        k = e[0]
        W = bp.sym(t.p)
        G = bp.gsym(cv.name)
        formula = sp.MatMul(sp.Transpose(Col(W, k)), G) if t.sign > 0 else -sp.MatMul(sp.Transpose(Col(W, k)), G)
        with sp.evaluate(False):
            numbers = sp.MatMul(sp.ImmutableMatrix(g.v[t.p].value[:, k]).T, bp.where[G])
            if t.sign < 0:
                numbers = sp.Mul(-1, numbers)
        return formula, numbers, []

    def tensor_formula(self, V: str, kids: list[str]) -> tuple[Any, Any, list[Step]]:
        """∂L/∂V for a whole tensor V: Σ over children of the tensor form of the local rule."""
        bp, g = self.bp, self.g
        vv = g.v[V]
        formulas, numbers, extra = [], [], []
        show_numbers = True
        for C in kids:
            cv = g.v[C]
            full_child = len(bp.grad[C]) == len(cv.entries())
            if cv.kind == "act" and cv.act != "softmax" and full_child:
                G = bp.gsym(C)
                zs = bp.sym(V)
                d = _elementwise(act_grad_fn(cv.act, cv.slope), zs)
                gate = sp.ImmutableMatrix(*vv.shape, lambda i, j: bp.act_grad(cv, (i, j)))
                extra.append(self.gate_vector_step(cv, vv, d, gate))
                formulas.append(sp.HadamardProduct(G, d))
                with sp.evaluate(False):
                    numbers.append(sp.HadamardProduct(bp.where[G], gate))
                continue
            if cv.kind == "act" and cv.act == "softmax" and full_child:
                G = bp.gsym(C)
                s = bp.sym(C)
                ones = sp.OneMatrix(*vv.shape)
                formulas.append(sp.HadamardProduct(s, G - ones * (s.T * G)) if vv.shape[1] == 1 else
                                sp.HadamardProduct(s, G - ones * (G * s.T)))
                show_numbers = False
                continue
            if cv.kind == "linear" and full_child:
                f = self.linear_tensor(cv, V)
                if f is not None:
                    formulas.append(f)
                    numbers.append(substituted(f, bp.W(f)))
                    continue
            # generic (or partial child masks): the gradient vector, entry by entry
            f, st = self.generic_tensor(C, V)
            extra.extend(st)
            formulas.append(f)
            show_numbers = False
        if any(_big(x) for n in numbers for x in (n.atoms(sp.MatrixBase) if isinstance(n, sp.Basic) else [])):
            show_numbers = False
        formula = formulas[0] if len(formulas) == 1 else sp.MatAdd(*formulas)
        if show_numbers and len(numbers) == len(formulas):
            with sp.evaluate(False):
                num = numbers[0] if len(numbers) == 1 else sp.MatAdd(*numbers)
            return formula, num, extra
        return formula, None, extra

    def linear_tensor(self, cv: Vertex, V: str) -> Any:
        """δV from an affine child C: Σ over its terms of δC Bᵀ, Aᵀ δC or ±δC."""
        bp, g = self.bp, self.g
        G = bp.gsym(cv.name)
        r, c = cv.shape
        out = []
        for t in cv.terms:
            if t.q is None:
                if t.p == V:
                    if g.v[V].shape != (r, c):
                        return None
                    out.append(G if t.sign > 0 else -G)
                continue
            A = _op(bp.sym(t.p), t.p_t and is_tensor(bp.sym(t.p)))
            B = _op(bp.sym(t.q), t.q_t and is_tensor(bp.sym(t.q)))
            Av = _op(g.v[t.p].value, t.p_t)
            Bv = _op(g.v[t.q].value, t.q_t)
            if (Av.shape[0], Bv.shape[1]) == (1, 1) and (r, c) != (1, 1):
                return None
            dR = G.T if t.out_t else G
            if g.v[cv.name].scalar:
                dR = bp.gsym(cv.name, (0, 0))
            if t.p == V:
                dA = dR * _T(B) if not g.v[cv.name].scalar else _T(B) * dR
                out.append(t.sign * (_T(dA) if t.p_t else dA))
            if t.q == V:
                dB = _T(A) * dR
                out.append(t.sign * (_T(dB) if t.q_t else dB))
        if not out:
            return None
        return out[0] if len(out) == 1 else sp.MatAdd(*out)

    def generic_tensor(self, C: str, V: str) -> tuple[Any, list[Step]]:
        bp, g = self.bp, self.g
        cv, vv = g.v[C], g.v[V]
        r, c = vv.shape
        if cv.kind == "generic" and cv.scalar:
            # ∂C/∂V as the vector of partial derivatives, one checked step
            expr = bp.entry_exprs(cv)[0, 0]
            parts = sp.ImmutableMatrix(r, c, lambda i, j: Partial(expr, bp.comp(V, (i, j))))
            shown = sp.ImmutableMatrix(r, c, lambda i, j: _nice(sp.diff(expr, bp.comp(V, (i, j)))))
            vals = sp.ImmutableMatrix(r, c, lambda i, j: bp.local_value(C, (0, 0), V, (i, j)))
            L = dmat(cv.key((0, 0)), vv.name, r, c, self.direct(C, V))
            bp.where[L] = vals
            chain = [L, parts, shown]
            if not _big(vals):
                chain.append(substituted(shown, bp.W(shown)))
            chain.append(vals)
            make_step("local_derivative", "", parts, shown)                  # symbolic identity, checked
            step = make_step("local_derivative", f"The gradient of ${latex(cv.symbol)}$ with respect to "
                             f"${latex(vv.symbol)}$, entry by entry:", *dedupe_chain(chain), where=bp.W(*chain))
            G = bp.gsym(C, (0, 0))
            if C == bp.root:
                return L, [step]
            return G * L, [step]
        # general: each entry as a sum of (∂L/∂C_c)(∂C_c/∂V_e); the entries are evaluated numerically
        vals = sp.ImmutableMatrix(r, c, lambda i, j: bp.contribution(C, V, (i, j)) if (i, j) in bp.mask[V] else 0)
        Jt = dmat(f"{C}", V, r, c)
        bp.where[Jt] = vals
        return Jt, [make_step("local_derivative", f"The contribution through ${latex(cv.symbol)}$, entry by entry "
                              f"($\\sum_c \\frac{{\\partial L}}{{\\partial {latex(cv.symbol)}_c}}"
                              f"\\frac{{\\partial {latex(cv.symbol)}_c}}{{\\partial {latex(vv.symbol)}}}$):",
                              Jt, vals, where={Jt: vals})]

    def gate_vector_step(self, cv: Vertex, vv: Vertex, d: Any, gate: sp.ImmutableMatrix) -> Step:
        bp = self.bp
        if cv.act in ("relu", "leaky_relu"):
            off = [i for i, e in enumerate(vv.entries()) if not vv.value[e] > 0]
            on = [i for i in range(len(vv.entries())) if i not in off]
            if off:
                keys = ", ".join(f"${key_tex(vv.key(vv.entries()[i]))}$" for i in off[:12]) + \
                    (", …" if len(off) > 12 else "")
                why = (f"The units with pre-activation ≤ 0 ({keys}) are inactive: "
                       + ("relu is flat there, so they pass no gradient back (factor 0)"
                          if cv.act == "relu" else f"their slope is {latex(cv.slope)}")
                       + f"; the other {len(on)} pass it unchanged (factor 1).")
            else:
                why = "Every unit is active (pre-activation > 0), so every factor is 1."
        else:
            why = {"sigmoid": "σ'(z) = σ(z)(1 − σ(z)) = h(1 − h), entrywise.",
                   "tanh": "tanh'(z) = 1 − tanh²(z) = 1 − h², entrywise."}[cv.act]
        chain = [d]
        sub = substituted(d, bp.W(d))
        if not _big(gate):
            chain.append(sub)
        chain.append(gate)
        return make_step("activation_derivative", why, *dedupe_chain(chain), where=bp.W(d))

    def output_shortcut(self) -> tuple[str, str, Step] | None:
        """softmax + cross-entropy (∂L/∂z = ŷ − y) or sigmoid + binary cross-entropy (p − y):
        the closed form, checked against the value the chain rule gives."""
        bp, g = self.bp, self.g
        root = g.v[bp.root]
        on = set(self.path)
        for sname in self.path:
            sv = g.v[sname]
            if sv.kind != "act" or sv.act not in ("softmax", "sigmoid"):
                continue
            if [c for c in bp.children[sname] if c in on] != [bp.root] or sv.parents[0] not in on:
                continue
            zname = sv.parents[0]
            if [c for c in bp.children[zname] if c in on] != [sname]:
                continue
            if len(bp.grad.get(zname, {})) != len(g.v[zname].entries()):
                continue
            step = self._softmax_ce(sv, g.v[zname], root) if sv.act == "softmax" else \
                self._sigmoid_bce(sv, g.v[zname], root)
            if step is not None:
                return sname, zname, step
        return None

    def _softmax_ce(self, sv: Vertex, zv: Vertex, root: Vertex) -> Step | None:
        bp, g = self.bp, self.g
        e = root.expr
        if not (isinstance(e, ast.Call) and e.name == "cross_entropy" and not bp.p.has("cross_entropy")
                and len(e.args) == 2 and isinstance(e.args[1], ast.Name) and e.args[1].id == sv.name
                and isinstance(e.args[0], ast.Name) and e.args[0].id in g.v and e.args[0].id not in bp.mask):
            return None
        yv = g.v[e.args[0].id]
        y = yv.value
        ysum = sp.Add(*list(y))
        s = bp.sym(sv.name)
        ys = bp.sym(yv.name)
        G = bp.gsym(zv.name)
        if ysum == 1:
            text = ("Softmax followed by cross-entropy: with $\\hat y = \\operatorname{softmax}(z)$ and "
                    "$\\sum_i y_i = 1$, $\\frac{\\partial L}{\\partial z_k} = -\\sum_i y_i "
                    "(\\delta_{ik} - \\hat y_k) = \\hat y_k - y_k$, so the gradient is prediction minus target:")
            formula = sp.MatAdd(s, -ys)
        else:
            text = ("Softmax followed by cross-entropy: $\\frac{\\partial L}{\\partial z_k} = "
                    f"\\hat y_k \\sum_i y_i - y_k$ (here $\\sum_i y_i = {latex(ysum)}$):")
            formula = sp.MatAdd(ysum * s, -ys)
        chain = [G, formula]
        num = substituted(formula, bp.W(formula))
        chain += [num, bp.where[G]]
        return make_step("softmax_cross_entropy", text, *chain, where=bp.W(*chain))

    def _sigmoid_bce(self, sv: Vertex, zv: Vertex, root: Vertex) -> Step | None:
        bp, g = self.bp, self.g
        if not (sv.scalar and zv.scalar and root.kind == "generic"):
            return None
        expr = bp.entry_exprs(root)[0, 0]
        p = bp.comp(sv.name, (0, 0))
        zd = sp.Dummy("z", real=True)
        d = sp.diff(expr.xreplace({p: F.sigmoid(zd)}), zd)
        for other in root.parents:
            if other == sv.name or not g.v[other].scalar or other in bp.mask:
                continue
            y = bp.comp(other, (0, 0))
            try:
                same = sp.simplify((d - (F.sigmoid(zd) - y)).rewrite(sp.exp)) == 0
            except (TypeError, ValueError, NotImplementedError):
                same = False
            if same:
                G = bp.gsym(zv.name, (0, 0))
                formula = p - y
                chain = [G, formula, substituted(formula, bp.W(formula)), bp.where[G]]
                return make_step("sigmoid_cross_entropy",
                                 "Sigmoid followed by binary cross-entropy: $\\frac{\\partial L}{\\partial p}"
                                 " \\sigma'(z) = \\frac{p - y}{p(1 - p)} \\, p(1 - p) = p - y$, prediction minus "
                                 "target:", *chain, where=bp.W(*chain))
        return None

    # the whole derivation
    def run(self) -> list[Step]:
        bp, g = self.bp, self.g
        self.forward()
        target = bp.target
        tv = g.v[target]
        tsym = Comp(tv.key(bp.entry)) if bp.entry is not None and not tv.scalar else tv.symbol
        self.steps.append(make_step("path", f"Path: ${latex(tsym)}$ reaches "
                                    f"${latex(g.v[bp.root].symbol)}$ only along " + self.path_text()
                                    + ". Only these dependencies are differentiated; everything else is held fixed.",
                                    check=False))
        if self.is_chain():
            self.chain_rule()
        else:
            self.sweep()
        return self.steps

    def chain_rule(self) -> None:
        bp = self.bp
        edges = []
        for a, b in zip(self.path, self.path[1:]):
            ea, eb = next(iter(bp.mask[a])), next(iter(bp.mask[b]))
            edges.append((b, eb, a, ea))
        edges.reverse()                      # from L backwards
        syms, locs = [], []
        for C, c, V, e in edges:
            lsym, st = self.local_step(C, c, V, e)
            syms.append(lsym)
            locs.extend(st if isinstance(st, list) else [st])
        G = self.target_sym()
        if len(syms) == 1:
            self.steps.extend(locs)
            return
        with sp.evaluate(False):
            product = sp.Mul(*syms) if len(syms) > 1 else syms[0]
            numbers = sp.Mul(*[bp.where[s] for s in syms]) if len(syms) > 1 else bp.where[syms[0]]
        self.steps.append(make_step("chain_rule", "Chain rule along the path:", G, product,
                                    where=bp.W(G, product)))
        self.steps.append(make_step("local_derivatives", "Each local derivative, symbolically and then with "
                                    "the numbers of the forward pass:", substeps=locs, check=False))
        self.steps.append(make_step("multiply", "Multiply the local derivatives:", G, product, numbers,
                                    bp.where[G], where=bp.W(G, product)))

    def sweep(self) -> None:
        bp, g = self.bp, self.g
        Ltex = latex(g.v[bp.root].symbol)
        self.steps.append(make_step("chain_rule", "Chain rule, backwards from "
                                    f"${Ltex}$: for every quantity $u$ on the path, "
                                    f"$\\frac{{\\partial {Ltex}}}{{\\partial u}} = \\sum_{{c}} "
                                    f"\\frac{{\\partial {Ltex}}}{{\\partial c}} \\frac{{\\partial c}}{{\\partial u}}$ "
                                    "over the quantities $c$ computed directly from $u$ (one term per path; "
                                    f"$\\frac{{\\partial {Ltex}}}{{\\partial {Ltex}}} = 1$).", check=False))
        shortcut = self.output_shortcut()
        for n in reversed(self.path):
            if n == bp.root:
                continue
            if shortcut is not None and n == shortcut[0]:
                continue                  # ∂L/∂ŷ is folded into the closed form below
            if shortcut is not None and n == shortcut[1]:
                self.steps.append(shortcut[2])
                continue
            steps = self.delta_step(n)
            kids = [c for c in bp.children[n] if c in set(self.path)]
            if kids == [bp.root] and steps and steps[-1].rule == "backprop" and len(steps) > 1 \
                    and g.v[bp.root].kind == "generic":
                steps = steps[:-1]        # ∂L/∂u is the local derivative just shown (∂L/∂L = 1)
            self.steps.extend(steps)


def _elementwise(fn, m: Any) -> Any:
    x = sp.Dummy("x", real=True)
    return ElementwiseApplyFunction(sp.Lambda(x, fn(x)), m)


def _nice(d: Any) -> Any:
    """A derivative in the textbook's form: factored when that is not longer (2(o − t))."""
    try:
        if sp.count_ops(d) > 40:
            return d
        f = sp.factor(d)
        return f if sp.count_ops(f) <= sp.count_ops(d) else d
    except (sp.PolynomialError, TypeError, ValueError, NotImplementedError):
        return d


# ---- the goal ----------------------------------------------------------------------------------

def _target(problem: Problem, expr: ast.Expr) -> tuple[str, tuple[int, ...] | None]:
    if isinstance(expr, ast.Name):
        problem.lookup(expr.id, expr.pos)
        return expr.id, None
    if isinstance(expr, ast.Index) and isinstance(expr.target, ast.Name):
        b = problem.lookup(expr.target.id, expr.target.pos)
        idx = []
        for i in expr.indices:
            v = scalarize(problem.value(i))
            if not isinstance(v, sp.Integer):
                raise SpecError(f"an index must be a whole number (indexing is 1-based), not {v}", i.pos)
            idx.append(int(v))
        return b.name, tuple(idx)
    raise SpecError("the second argument of grad is what to differentiate by: a name (`W1`, `x`) or an entry "
                    "(`W1[1, 1]`)", expr.pos)


def _entry(vx: Vertex, idx: tuple[int, ...], node: ast.Expr) -> Entry:
    r, c = vx.shape
    if vx.scalar:
        raise SpecError(f"`{vx.name}` is a scalar and has no entries", node.pos)
    if len(idx) == 1:
        if c != 1 and r != 1:
            raise SpecError(f"`{vx.name}` is a {r}×{c} matrix: give two indices, as in {vx.name}[1, 2]", node.pos)
        i = idx[0]
        n = r if c == 1 else c
        if not 1 <= i <= n:
            raise SpecError(f"index {i} is out of range 1..{n} (indexing is 1-based)", node.pos)
        return (i - 1, 0) if c == 1 else (0, i - 1)
    if len(idx) == 2:
        for k, n in zip(idx, (r, c)):
            if not 1 <= k <= n:
                raise SpecError(f"index {k} is out of range 1..{n} (indexing is 1-based)", node.pos)
        return (idx[0] - 1, idx[1] - 1)
    raise SpecError("at most two indices", node.pos)


def _is_symbolic_problem(problem: Problem, L: ast.Expr) -> bool:
    return bool(problem.givens)


def numeric_grad(problem: Problem, call: ast.Call) -> Derived | None:
    """∂L/∂v with every step (see the module docstring), or None for a symbolic graph."""
    if len(call.args) != 2:
        raise SpecError(f"grad takes two arguments, grad(L, v), got {len(call.args)}", call.pos)
    if call.kwargs:
        raise SpecError("grad takes no keyword arguments", call.kwargs[0].pos)
    L_ast, v_ast = call.args
    if _is_symbolic_problem(problem, L_ast):
        return None
    name, idx = _target(problem, v_ast)
    graph = Graph(problem)
    try:
        root = graph.add_root(L_ast)
    except Symbolic:
        return None
    rv = graph.v[root]
    if not rv.scalar and rv.shape != (1, 1):
        raise SpecError(f"grad(L, v) needs a scalar L; `{L_ast.pos.snippet()}` is "
                        f"{show_shape(rv.value)}", L_ast.pos)
    Lsym = rv.symbol
    if name not in graph.v:
        b = problem.lookup(name, v_ast.pos)
        return _zero(problem, b, idx, v_ast, Lsym, L_ast)
    tv = graph.v[name]
    entry = _entry(tv, idx, v_ast) if idx is not None else None
    bp = Backprop(problem, graph, root, name, entry)
    if name == root:
        value = sp.Integer(1)
        return Derived(make_answer(value), (make_step("trivial", f"$\\frac{{\\partial {latex(Lsym)}}}"
                                                      f"{{\\partial {latex(Lsym)}}} = 1$.", check=False),))
    bp.propagate()
    path = bp.on_path()
    if not path:
        b = problem.lookup(name, v_ast.pos)
        return _zero(problem, b, idx, v_ast, Lsym, L_ast, graph)
    bp.backward(path)
    ex = Explain(bp, path)
    steps = ex.run()
    if entry is not None or tv.scalar:
        value = bp.grad[name][entry or (0, 0)]
    else:
        value = sp.ImmutableMatrix(*tv.shape, lambda i, j: bp.grad[name][(i, j)])
        if tv.shape == (1, 1):
            value = value[0, 0]
    from .evaluate import decimal_step
    steps.extend(decimal_step(value))
    return Derived(make_answer(value), tuple(steps))


def _zero(problem: Problem, b: Binding, idx, v_ast: ast.Expr, Lsym: Any, L_ast: ast.Expr,
          graph: Graph | None = None) -> Derived:
    v = b.value
    if is_tensor(v) and idx is None:
        r, c = v.shape
        value = sp.ImmutableMatrix(sp.zeros(r, c)) if (r, c) != (1, 1) else sp.Integer(0)
    else:
        value = sp.Integer(0)
    why = (f"${latex(Lsym)}$ is computed without `{b.name}`: no path in the computation graph leads from "
           f"`{v_ast.pos.snippet()}` to ${latex(Lsym)}$, so changing it does not change ${latex(Lsym)}$ and "
           "the derivative is 0.")
    if graph is not None and b.name in graph.v:
        why = (f"`{v_ast.pos.snippet()}` enters the graph, but none of the quantities computed from it is used "
               f"in ${latex(Lsym)}$, so the derivative is 0.")
    return Derived(make_answer(value), (make_step("independent", why, check=False),))


# ---- one step of gradient descent ---------------------------------------------------------------

class Updated(sp.Symbol):
    """The value of a parameter after the update, printed v^{new}."""

    def _latex(self, printer) -> str:
        return r"%s^{\text{new}}" % key_tex(self.name)


class UpdatedM(sp.MatrixSymbol):
    """A tensor after the update, printed W^{new}."""

    def _latex(self, printer) -> str:
        return r"%s^{\text{new}}" % name_latex(self.name)


def sgd_step(problem: Problem, call: ast.Call) -> Derived:
    """One gradient-descent update of `v` (a scalar, an entry or a whole tensor) for loss L."""
    from .registry import subgoal
    v_ast, L_ast = call.args
    lr_ast = call.kwarg("lr")
    if lr_ast is None:
        raise SpecError("sgd_step needs a learning rate, as in sgd_step(w, L, lr = 0.1)", call.pos)
    lr = scalarize(problem.value(lr_ast))
    if is_tensor(lr) or not isinstance(lr, sp.Basic):
        raise SpecError("the learning rate must be a scalar", lr_ast.pos)
    derived = subgoal(problem, "grad", (L_ast, v_ast), call.pos)   # numeric backprop or matrix calculus
    g = derived.answer.expr
    v = scalarize(problem.value(v_ast))
    name, idx = _target(problem, v_ast)
    key = name
    if idx is not None:
        key = f"{name}[{','.join(map(str, idx))}]"
    Ltex = latex(problem.display(L_ast)) if not isinstance(L_ast, ast.Name) else None
    Lkey = L_ast.id if isinstance(L_ast, ast.Name) else "L"
    eta = sp.Symbol("eta", positive=True)
    if is_tensor(v):
        r, c = v.shape
        vs = sp.MatrixSymbol(name, r, c)
        gs = dmat(Lkey, name, r, c)
        new = UpdatedM(name, r, c)
        value = sp.ImmutableMatrix(v - lr * g) if isinstance(v, sp.MatrixBase) and isinstance(g, sp.MatrixBase) \
            else v - lr * g
    else:
        vs = Comp(key)
        gs = DSym(Lkey, key)
        new = Updated(key)
        value = v - lr * g
    where = {vs: v, gs: g, eta: lr, new: value}
    with sp.evaluate(False):
        formula = sp.Add(vs, sp.Mul(-1, eta, gs)) if not is_tensor(v) else sp.MatAdd(vs, sp.MatMul(-1, eta, gs))
    num = substituted(formula, {vs: v, gs: g, eta: lr})
    steps = [make_step("gradient", f"The gradient $\\frac{{\\partial {Ltex or key_tex(Lkey)}}}"
                       f"{{\\partial {key_tex(key)}}}$ (derived below):", gs, g, where=where,
                       substeps=derived.steps),
             make_step("sgd_update", f"Gradient-descent update with learning rate $\\eta = {latex(lr)}$: move "
                       "against the gradient.", new, formula, num, value, where=where)]
    from .evaluate import decimal_step
    steps.extend(decimal_step(value))
    return Derived(make_answer(value), tuple(steps))
