"""The value of an expression or graph node, substituted step by step through the graph.

`find o` shows, for every node o depends on (in topological order), the node's
definition in symbols, the same with the numbers substituted, the inner operations
evaluated, and the value: h = relu(W₁x + b₁) = relu([...][...] + [...]) = relu([...]) = [...].
Builtins with a story of their own (cross-entropy's dropped terms) add their steps via
`EXPLAIN`.  Irrational results get a decimal (≈) step.
"""
from __future__ import annotations

from typing import Any, Callable

import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .. import ast, unevaluated
from ..model import functions as F
from ..model.expressions import Seq, is_tensor, scalarize
from ..model.graph import Node, names_in
from ..model.problem import Binding, Problem
from ..sentence import Code, Math, Rel, say
from ..steps import Step, make_step, dedupe_chain
from .registry import Derived, make_answer


def dependencies(problem: Problem, expr: ast.Expr) -> list[Binding]:
    """The computed nodes `expr` needs, dependencies first (each once): the problem's graph
    followed from the names `expr` reads, through computed nodes only."""
    def computed(node: Node) -> bool:
        return node.kind == "node" and problem.names[node.name].expr is not None
    graph = problem.graph
    return [problem.names[n] for n in graph.closure(names_in(expr), follow=computed) if computed(graph[n])]


def substituted(expr: Any, subs: dict) -> Any:
    """`expr` with values put in for symbols, nothing evaluated (for display)."""
    if isinstance(expr, (list, tuple)):
        return type(expr)(substituted(e, subs) for e in expr)
    if not isinstance(expr, sp.Basic):
        return expr
    try:
        return unevaluated.xreplace(expr, subs)
    except (TypeError, ValueError, IndexError):
        # sympy cannot rebuild some objects unevaluated (an entry A[0, 0] of a matrix put in for
        # A asks whether 0 < 2 and gets an unevaluated answer): substitute and evaluate
        return expr.xreplace(subs)


def inner_evaluated(expr: Any) -> Any | None:
    """For f(args) with explicit-able args: f applied to the evaluated args, else None."""
    if isinstance(expr, ElementwiseApplyFunction):
        arg = expr.expr.doit()
        if isinstance(arg, sp.MatrixBase):
            return ElementwiseApplyFunction(expr.function, sp.ImmutableMatrix(arg))
        return None
    if isinstance(expr, sp.Function) and expr.args:
        args = [a.doit() for a in expr.args]
        if all(isinstance(a, sp.MatrixBase) for a in args if is_tensor(a)):
            return unevaluated.rebuild(expr.func, tuple(sp.ImmutableMatrix(a) if isinstance(a, sp.MatrixBase) else a
                                                        for a in args))
    if isinstance(expr, sp.Pow) and isinstance(expr.base, sp.Add):
        return unevaluated.power(expr.base.doit(), expr.exp)
    return None


CallExplainer = Callable[[Problem, ast.Call, Any, dict], Step]
EXPLAIN_CALL: dict[str, CallExplainer] = {}


def explains_call(name: str):
    """Register `fn(problem, call, value, subs) -> Step` to show how builtin `name` computes
    its value (attention shows its scores, weights and outputs) instead of one substitution."""
    def register(fn: CallExplainer) -> CallExplainer:
        EXPLAIN_CALL[name] = fn
        return fn
    return register


def _call_explainer(problem: Problem, expr: Any) -> CallExplainer | None:
    if isinstance(expr, ast.Call) and expr.name in EXPLAIN_CALL and not problem.has(expr.name):
        return EXPLAIN_CALL[expr.name]
    if isinstance(expr, ast.Call) and expr.name and problem.has(expr.name) and len(expr.args) == 1 \
            and problem.names[expr.name].kind == "layer" and hasattr(problem.names[expr.name].value, "explain"):
        return _layer_explainer
    return None


def _layer_explainer(problem: Problem, expr: ast.Call, value: Any, subs: dict) -> Step:
    """A layer that shows how it computes its values (the norms, Embedding): its steps, then
    the substitution `layer(x) = layer(numbers) = value`."""
    layer = problem.names[expr.name].value
    x = problem.value(expr.args[0])
    dims = layer.checked_dims(x, expr.args[0], problem)
    inner = layer.explain(expr.name, x, dims) if isinstance(value, (sp.MatrixBase, Seq)) else []
    shown = problem.display(expr)
    text = say("Apply ", Code(expr.name), " to the known values.")
    if isinstance(value, Seq) or not isinstance(shown, sp.Basic):
        return make_step("substitute", text, substeps=inner, check=False)
    return make_step("substitute", text, *dedupe_chain([shown, substituted(shown, subs), value]), where=subs,
                     substeps=inner)


def node_step(problem: Problem, b: Binding, subs: dict) -> Step:
    """b = definition = numbers substituted = inner operations = value."""
    explain = _call_explainer(problem, b.expr)
    if explain is not None:
        return explain(problem, b.expr, b.value, subs)
    sub = substituted(b.definition, subs)
    # a list of tensors has no symbol of its own: its chain starts at the definition
    chain = ([b.symbol] if b.symbol is not None else []) + [b.definition, sub]
    inner = inner_evaluated(sub)
    if inner is not None:
        chain.append(inner)
    chain.append(b.value)
    shown = Math(b.symbol) if b.symbol is not None else Math(sp.Symbol(b.name))
    text = say("Compute ", shown, " from its definition, substituting the known values.")
    return make_step("substitute", text, *dedupe_chain(chain), where=subs)


Explainer = Callable[[Problem, Any, Any, dict], list[Step]]
EXPLAIN: dict[type, Explainer] = {}


def explains(cls: type):
    def register(fn: Explainer) -> Explainer:
        EXPLAIN[cls] = fn
        return fn
    return register


_I = sp.Symbol("i", integer=True, positive=True)
_Y, _Y_HAT = sp.Symbol("y"), sp.Symbol("y_hat")


def _ce_definition(n: int) -> Rel:
    """H(y, ŷ) = −Σ_i y_i log ŷ_i over the n classes (a definition)."""
    term = sp.IndexedBase("y")[_I] * sp.log(sp.IndexedBase("y_hat")[_I])
    return Rel(sp.Function("H")(_Y, _Y_HAT), "=", -sp.Sum(term, (_I, 1, n)), kind="definition")


@explains(F.CrossEntropy)
def _cross_entropy(problem: Problem, display: Any, value: Any, subs: dict) -> list[Step]:
    y_disp, yh_disp = display.args
    y, yh = (realized for realized in (a.xreplace(subs).doit() for a in display.args))
    n = len(list(y))
    steps = [make_step("definition", say("Cross-entropy of the prediction ", Math(_Y_HAT), " against the target ",
                                         Math(_Y), f" (natural logarithm, {n} classes): ", _ce_definition(n), "."),
                       check=False)]
    kept = [(i + 1, a, b) for i, (a, b) in enumerate(zip(y, yh)) if a != 0]
    dropped = [i + 1 for i, a in enumerate(y) if a == 0]
    with sp.evaluate(False):
        terms = [sp.Mul(a, sp.log(b)) for _, a, b in kept]
        terms = terms if len(terms) != 1 else [sp.Mul(kept[0][1], sp.log(kept[0][2]), evaluate=False)]
        summed = -sp.Add(*terms) if len(terms) > 1 else -terms[0] if terms else sp.Integer(0)
    note = say()
    if dropped:
        zero_log = [i for i in dropped if yh[i - 1] == 0]
        yi, yhi = sp.IndexedBase("y")[_I], sp.IndexedBase("y_hat")[_I]
        note = say(" The terms with ", Math(sp.Eq(yi, 0, evaluate=False)), f" (i = {', '.join(map(str, dropped))}) "
                   "contribute ", Rel(sp.Mul(0, sp.log(yhi), evaluate=False), "=", 0, kind="fact"), " and are dropped",
                   say(" (with the convention ", Rel(sp.Mul(0, sp.log(0, evaluate=False), evaluate=False), "=", 0,
                                                     kind="definition"),
                       " where ", Math(sp.Eq(yhi, 0, evaluate=False)), ")") if zero_log else "", ".")
    chain = [F.CrossEntropy(y_disp, yh_disp), summed, value]
    nicer = tidy_logs(value)
    if nicer != value:
        chain.append(nicer)
    steps.append(make_step("drop_zero_terms", say("Substitute the vectors.", note), *dedupe_chain(chain), where=subs))
    return steps


def tidy_logs(value: Any) -> Any:
    """−log(7/10) as log(10/7): a negated log of a rational is the log of its reciprocal."""
    if isinstance(value, sp.Mul) and len(value.args) == 2 and value.args[0] == -1 \
            and isinstance(value.args[1], sp.log) and value.args[1].args[0].is_Rational:
        return sp.log(1 / value.args[1].args[0])
    return value


def decimal_step(value: Any) -> list[Step]:
    v = scalarize(value)
    if isinstance(v, sp.Expr) and v.is_number and not v.is_Rational:
        approx = sp.Float(sp.N(v, 15), 6)
        return [make_step("decimal", say("As a decimal:"), v, approx, relation="≈")]
    return []


def evaluate(problem: Problem, call: ast.Call) -> Derived:
    """The strategy of the goal `evaluate(e)`, the value of `e` (not of the call, which would
    be itself), and of a goal whose call is also an expression of the model (`cross_entropy(y, t)`
    without `base`, the network loss): the value of that call."""
    return evaluate_expr(problem, call.args[0] if call.name == "evaluate" else call)


def evaluate_expr(problem: Problem, expr: ast.Expr) -> Derived:
    """Value of `expr` (a name, a node or any expression) with the steps through the graph."""
    subs = problem.substitutions()
    steps: list[Step] = []
    for b in dependencies(problem, expr):
        if b.error is not None:
            raise b.error
        steps.append(node_step(problem, b, subs))
    if isinstance(expr, ast.Name):
        b = problem.resolve(expr.id, expr.pos)
        value = b.value
        if b.kind != "node":
            steps.append(make_step("given", say(Math(b.symbol), " is given."), b.symbol, value, where=subs)
                         if b.symbol is not None and isinstance(value, sp.Basic) else
                         make_step("given", say(Code(b.name), " is given."), check=False))
    else:
        display = problem.display(expr)
        value = problem.value(expr)
        if is_tensor(value) and tuple(value.shape) == (1, 1):
            value = scalarize(value)
        explain = EXPLAIN.get(type(display)) if isinstance(display, sp.Basic) else None
        if _call_explainer(problem, expr) is not None:
            steps.append(_call_explainer(problem, expr)(problem, expr, value, subs))
        elif explain is not None:
            steps.extend(explain(problem, display, value, subs))
        elif isinstance(display, sp.Basic):
            sub = substituted(display, subs)
            chain = [display, sub]
            inner = inner_evaluated(sub)
            if inner is not None:
                chain.append(inner)
            chain.append(value)
            steps.append(make_step("substitute", say("Substitute the known values and evaluate."),
                                   *dedupe_chain(chain), where=subs))
        elif isinstance(value, Seq):
            steps.append(make_step("evaluate", say("Evaluate each item."), check=False))
    value = tidy_logs(value)
    steps.extend(decimal_step(value))
    return Derived(make_answer(value), tuple(steps))
