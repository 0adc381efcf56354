"""Local derivatives and the per-entry backward steps of an explanation (a mixin of Explain).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...model import functions as F
from ...sentence import Math, Rel, Sentence, join, say
from ...steps import Step, dedupe_chain, make_step
from ..evaluate import substituted
from .graph import Entry, Vertex
from .notation import Col, Comp, DPartial, DSym, act_grad_fn, key_display
from .sweep import _op, _simplify_number, _swap
from .util import _big, _nice


class LocalRules:
    """∂C_c/∂V_e as checked steps, activation gates, and δ of one vertex entry by entry."""

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
        chain = [lsym, DPartial(expr, x), shown]
        num = substituted(shown, bp.W(shown))
        chain += [num, value]
        make_step("local_derivative", "", DPartial(expr, x), shown)        # the identity, checked symbolically
        what = cv.symbol if cv.scalar else Comp(cv.key(c))
        return lsym, make_step("local_derivative", say(Math(what), " as a function of ", Math(x), ":"),
                               *dedupe_chain(chain), where=bp.W(*chain))

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
            reason = say()
            if cv.act in ("relu", "leaky_relu"):
                active = zval > 0
                steps.append(make_step("relu_gate", "The gate, checked:", z, 0, relation=">" if active else "≤",
                                       where={z: zval}))
                reason = _gate_reason(cv, z, zval, h, active)
            chain = ([lsym] if lsym is not None else []) + [fn]
            if cv.act in ("sigmoid", "tanh"):
                via_h = h * (1 - h) if cv.act == "sigmoid" else 1 - h ** 2
                chain += [via_h, substituted(via_h, bp.W(via_h))]
            chain.append(bp.act_grad(cv, e))
            text = say("Activation derivative, ", activation_rule(cv.act, cv.slope),
                       say("; here ", reason, ".") if reason else ":")
            return [make_step("activation_derivative", text, *dedupe_chain(chain), where=bp.W(*chain, h, z),
                              substeps=steps)]
        return steps

    def gate_vector_step(self, cv: Vertex, vv: Vertex, d: Any, gate: sp.ImmutableMatrix) -> Step:
        bp = self.bp
        if cv.act in ("relu", "leaky_relu"):
            off = [i for i, e in enumerate(vv.entries()) if not vv.value[e] > 0]
            on = [i for i in range(len(vv.entries())) if i not in off]
            signs = {}      # each unit's pre-activation compared with 0: claims on its value
            if off:
                keys = say(self._signs(vv, off, "≤", signs), ", …" if len(off) > 12 else "")
                why = say("The units with pre-activation ≤ 0 (", keys, ") are inactive: ",
                          "relu is flat there, so they pass no gradient back (factor 0)"
                          if cv.act == "relu" else say("their slope is ", Math(cv.slope)),
                          f"; the other {len(on)} pass it unchanged (factor 1).")
            else:
                why = say("Every unit is active (", self._signs(vv, on, ">", signs), ", …" if len(on) > 12 else "",
                          "), so every factor is 1.")
        else:
            why = {"sigmoid": "σ'(z) = σ(z)(1 − σ(z)) = h(1 − h), entrywise.",
                   "tanh": "tanh'(z) = 1 − tanh²(z) = 1 − h², entrywise."}[cv.act]
        chain = [d]
        sub = substituted(d, bp.W(d))
        if not _big(gate):
            chain.append(sub)
        chain.append(gate)
        return make_step("activation_derivative", why, *dedupe_chain(chain),
                         where={**bp.W(d), **(signs if cv.act in ("relu", "leaky_relu") else {})})

    @staticmethod
    def _signs(vv: Vertex, units: list[int], op: str, where: dict) -> Sentence:
        """`z₁ ≤ 0, z₃ ≤ 0`: the first 12 of these units' pre-activations against 0, as
        claims; their values are added to `where`, so the step checks them."""
        rels = []
        for i in units[:12]:
            e = vv.entries()[i]
            key = key_display(vv.key(e))
            where[key] = vv.value[e]
            rels.append(Rel(key, op, 0))
        return join(rels)

    # the backward sweep
    def delta_step(self, V: str) -> list[Step]:
        bp, g = self.bp, self.g
        vv = g.v[V]
        on = set(self.path)
        kids = [c for c in bp.children[V] if c in on]
        if self.needs_layer_steps(V, kids):
            return self.layer_delta(V, kids)
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

    def delta_text(self, V: str, kids: list[str], e: Entry | None = None) -> Sentence:
        g = self.g
        vv = g.v[V]
        what = Math(key_display(vv.key(e)) if e is not None else vv.symbol)
        if len(kids) > 1:
            return say(what, " feeds ", join([Math(g.v[c].symbol) for c in kids]), ": the chain rule "
                       "adds one contribution per path (fan-out).")
        c = kids[0]
        if c in self.display:
            return say("Back through ", Rel(g.v[c].symbol, "=", self.display[c], kind="definition"), ":")
        return say("Back through ", Math(g.v[c].symbol), ":")

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


def activation_rule(act: str, slope: Any = None) -> Rel:
    """f′(z) of an activation as a relation on a fresh real z: relu's and leaky relu's as
    their definition (a Piecewise: 1 for z > 0, 0 or the slope otherwise, PyTorch's
    convention at 0); σ′ = σ(1 − σ) and tanh′ = 1 − tanh² as claims, checked."""
    z = sp.Symbol("z", real=True)
    lhs = act_grad_fn(act, slope)(z)
    if act in ("relu", "leaky_relu"):
        low = sp.Integer(0) if act == "relu" else slope
        return Rel(lhs, "=", sp.Piecewise((1, z > 0), (low, True)), kind="definition")
    rhs = F.sigmoid(z) * (1 - F.sigmoid(z)) if act == "sigmoid" else 1 - sp.tanh(z) ** 2
    return Rel(lhs, "=", rhs)


def _gate_reason(cv: Vertex, z: Any, zval: Any, h: Any, active: bool) -> Sentence:
    """Why a relu or leaky-relu unit passes or blocks the gradient: z's value, compared with 0
    (both claims, checked with the step's values)."""
    if active:
        return say(Rel(z, "=", zval), ", so ", Rel(z, ">", 0), ": the unit is active, so it passes the gradient "
                   "on unchanged")
    why = say(Rel(z, "=", zval), ", so ", Rel(z, "≤", 0), ": the unit is inactive; ")
    if cv.act == "relu":
        return say(why, "relu outputs the constant 0 for inputs at or below 0, so a small change of ", Math(z),
                   " does not change ", Math(h), " and no gradient flows back through it")
    return say(why, "the slope there is ", Math(cv.slope))
