"""The steps of a model answer from a finished Backprop: forward pass, path, chain rule or sweep.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ...model.expressions import Evaluator, scalarize
from ...notation import Partial
from ...sentence import Math, Rel, Sentence, join, say
from ...steps import Step, dedupe_chain, make_step
from ..evaluate import inner_evaluated, substituted
from .layer_steps import LayerSteps
from .local import LocalRules
from .notation import Comp, SumOver, key_display
from .shortcut import Shortcuts
from .sweep import Backprop
from .tensor import TensorRules
from .util import _big


class Explain(LocalRules, TensorRules, Shortcuts, LayerSteps):
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
            if vx.kind == "layer" or vx.nd:
                sub_steps.append(self.layer_forward_step(n))
                self.display[n] = vx.symbol
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
            sub_steps.append(make_step("forward", say(Math(vx.symbol), label, ":"), *dedupe_chain(chain),
                                       where={**used, vx.symbol: value}))
        self.steps.append(make_step("forward_pass", say("Forward pass: the value of every quantity on the way to ",
                                                        Math(g.v[bp.root].symbol), " at the given numbers."),
                                    substeps=sub_steps, check=False))

    def vertex_text(self, n: str) -> Any:
        """A vertex on the way to L (its entries when only a few of them are on it)."""
        vx, m = self.g.v[n], self.bp.mask[n]
        if vx.scalar or len(m) == len(vx.entries()):
            return Math(vx.symbol)
        if len(m) <= 3:
            return join([Math(key_display(vx.key(e))) for e in sorted(m)])
        return say(Math(vx.symbol), f" ({len(m)} of its entries)")

    def routes(self, most: int = 4) -> list[list[str]] | None:
        """Every route from v to L through the vertices on the way (each vertex to one it feeds),
        in the order they are computed; None when there are more than `most`."""
        on, order = set(self.path), {n: k for k, n in enumerate(self.path)}
        out: list[list[str]] = []

        def walk(n: str, acc: list[str]) -> None:
            if len(out) > most:
                return
            if n == self.bp.root:
                out.append(acc + [n])
                return
            for c in sorted((c for c in self.bp.children[n] if c in on), key=order.__getitem__):
                walk(c, acc + [n])
        walk(self.path[0], [])
        return out if len(out) <= most else None

    def path_sentence(self, tsym: Any) -> Sentence:
        """How v reaches L: along its one route, its few routes, or through the vertices on them."""
        root = Math(self.g.v[self.bp.root].symbol)
        routes = self.routes()
        arrows = [join([self.vertex_text(n) for n in r], " → ") for r in routes or []]
        if len(arrows) == 1:
            how = say(" only along ", arrows[0])
        elif arrows:
            how = say(f" along {len(arrows)} routes: ", join(arrows, ", ", " and "))
        else:
            how = say(" along more than 4 routes, through ", join([self.vertex_text(n) for n in self.path]))
        return say("Path: ", Math(tsym), " reaches ", root, how, ". Only these dependencies are "
                   "differentiated; everything else is held fixed.")

    def is_chain(self) -> bool:
        bp = self.bp
        on = set(self.path)
        for n in self.path:
            vx = self.g.v[n]
            if len(bp.mask[n]) != 1:
                return False
            if n != bp.root and len([c for c in bp.children[n] if c in on]) != 1:
                return False
            if vx.kind == "act" and vx.act == "softmax" or vx.kind == "layer" or vx.nd:
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

    # the whole derivation
    def run(self) -> list[Step]:
        bp, g = self.bp, self.g
        self.forward()
        target = bp.target
        tv = g.v[target]
        tsym = Comp(tv.key(bp.entry)) if bp.entry is not None and not tv.scalar else tv.symbol
        self.steps.append(make_step("path", self.path_sentence(tsym), check=False))
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
        self.steps.append(make_step("chain_rule", _sweep_rule(g.v[bp.root].symbol), check=False))
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


def _sweep_rule(L: Any) -> Sentence:
    """The chain rule of a backward sweep from L, stated as a fact."""
    u, c = sp.Symbol("u"), sp.Symbol("c")
    rule = SumOver(sp.Mul(Partial(L, c), Partial(c, u), evaluate=False), c)
    return say("Chain rule, backwards from ", Math(L), ": for every quantity ", Math(u), " on the path, ",
               Rel(Partial(L, u), "=", rule, kind="fact"), " over the quantities ", Math(c),
               " computed directly from ", Math(u), " (one term per path; ",
               Rel(Partial(L, L), "=", 1, kind="definition"), ").")
