"""∂L/∂V for a whole tensor V: the tensor form of each local rule (a mixin of Explain).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...model.expressions import is_tensor
from ...notation import Partial
from ...sentence import Math, say
from ...steps import Step, dedupe_chain, make_step
from ..evaluate import substituted
from .graph import Vertex
from .notation import DPartial, SumOver, act_grad_fn, dmat
from .sweep import _T, _op
from .util import _big, _elementwise, _nice


class TensorRules:
    """δV as a matrix formula (affine, activation, softmax, generic children)."""

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
                numbers.append(sp.HadamardProduct(bp.where[G], gate, evaluate=False))
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
            num = numbers[0] if len(numbers) == 1 else sp.MatAdd(*numbers, evaluate=False)
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
            parts = sp.ImmutableMatrix(r, c, lambda i, j: DPartial(expr, bp.comp(V, (i, j))))
            shown = sp.ImmutableMatrix(r, c, lambda i, j: _nice(sp.diff(expr, bp.comp(V, (i, j)))))
            vals = sp.ImmutableMatrix(r, c, lambda i, j: bp.local_value(C, (0, 0), V, (i, j)))
            L = dmat(cv.key((0, 0)), vv.name, r, c, self.direct(C, V))
            bp.where[L] = vals
            chain = [L, parts, shown]
            if not _big(vals):
                chain.append(substituted(shown, bp.W(shown)))
            chain.append(vals)
            make_step("local_derivative", "", parts, shown)                  # symbolic identity, checked
            step = make_step("local_derivative", say("The gradient of ", Math(cv.symbol), " with respect to ",
                                                     Math(vv.symbol), ", entry by entry:"),
                             *dedupe_chain(chain), where=bp.W(*chain))
            G = bp.gsym(C, (0, 0))
            if C == bp.root:
                return L, [step]
            return G * L, [step]
        # general: each entry as a sum of (∂L/∂C_c)(∂C_c/∂V_e); the entries are evaluated numerically
        vals = sp.ImmutableMatrix(r, c, lambda i, j: bp.contribution(C, V, (i, j)) if (i, j) in bp.mask[V] else 0)
        Jt = dmat(f"{C}", V, r, c)
        bp.where[Jt] = vals
        cc, Cc = sp.Symbol("c"), sp.Symbol(f"{cv.symbol.name}_c")
        L = g.v[bp.root].symbol
        how = SumOver(sp.Mul(Partial(L, Cc), Partial(Cc, vv.symbol), evaluate=False), cc)
        return Jt, [make_step("local_derivative", say("The contribution through ", Math(cv.symbol),
                                                      ", entry by entry (", Math(how), "):"),
                              Jt, vals, where={Jt: vals})]
