"""Masks and the backward sweep: which entries depend on v, and δ_u = Σ_c local(δ_c).

In: a Graph, its root (the loss) and the target.  Out: `Backprop` with `grad[vertex][entry]`
(exact numbers) and `where` (every display symbol bound to its value).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...errors import Unsupported
from ...model.expressions import Evaluator, is_tensor
from ...model.problem import Problem
from ...steps import Step
from ..derivatives import derivative
from .graph import Entry, Graph, Term, Vertex
from .layer_backward import layer_grads
from .notation import Comp, DSym, dmat


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
            elif vx.kind == "layer":
                m = set(vx.entries())
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
        if cv.kind == "layer":
            return layer_grads(self, C)[V][e]
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
            d = derivative(exprs[c], self.comp(V, e))
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
