"""What every matrix-calculus goal shares: the variable, the function being differentiated
in the given names, the values the checks substitute, and the answer's given values.

In:  a `Problem` and the nodes of a goal call.  Out: symbols, leaf forms (every computed
node replaced by its definition), `where` maps for `make_step`, and small helpers (∂f/∂x
as a checkable object, chains without repeats, the answer text).
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...engines import matpoly as M
from ...engines.matpoly import GradientOf
from ...errors import SpecError, Unsupported
from ...model import functions as F
from ...model.expressions import Evaluator, is_tensor, kind_of, Seq, shape_of, show_shape
from ...model.problem import Binding, Problem
from ...sentence import Math, say
from ...steps import Step, dedupe_chain, make_step
from ..registry import make_answer
from ..request import GoalCall
from .tidy import tidy
from ..definite import explicit
from ..evaluate import substituted
from ...records import record

LAYOUT = ("denominator layout: the gradient has the shape of the variable, "
          "and ∂y/∂x has one row per entry of y")


# ---- names, variables and the function being differentiated -----------------------------

def variable(problem: Problem, node: ast.Expr, goal: str) -> tuple[Any, Binding]:
    """The symbol of the variable of differentiation (a vector, matrix or scalar name)."""
    if not isinstance(node, ast.Name):
        raise SpecError(f"`{goal}` differentiates with respect to a name (a vector, matrix or symbol); "
                        f"this is an expression", node.pos)
    b = problem.resolve(node.id, node.pos)
    if b.kind in ("function", "layer", "dim") or b.symbol is None:
        raise SpecError(f"cannot differentiate with respect to `{b.name}`: it is {b.describe()}", node.pos)
    return b.symbol, b


def node_map(problem: Problem, stop: frozenset = frozenset()) -> dict:
    """symbol -> definition of every computed node (except the `stop` symbols)."""
    out = {}
    for b in problem.bindings(("node",)):
        if b.error is None and b.symbol is not None and b.definition is not None and b.symbol not in stop \
                and isinstance(b.definition, sp.Basic):
            out[b.symbol] = b.definition
    return out


def leaf_form(problem: Problem, e: Any, stop: frozenset = frozenset()) -> Any:
    """`e` with every computed node replaced by its definition, down to the given names."""
    mapping = node_map(problem, stop)
    for _ in range(len(mapping) + 1):
        if not isinstance(e, sp.Basic):
            return e
        new = e.xreplace(mapping)
        if new == e:
            return e
        e = new
    return e


def node_where(problem: Problem, stop: frozenset = frozenset()) -> dict:
    """symbol -> value in the given names, for every computed node: what checks substitute."""
    return {sym: leaf_form(problem, d, stop) for sym, d in node_map(problem, stop).items()}


def _loss_in(e: Any) -> F.Loss | None:
    if isinstance(e, F.Loss):
        return e
    if isinstance(e, sp.Basic):
        found = list(e.atoms(F.Loss))
        if found:
            return found[0]
    return None


def target(problem: Problem, node: ast.Expr, var: Any, goal: str) -> tuple[Any, Any, list[Step]]:
    """(display, leaf form, steps) of the scalar function being differentiated."""
    steps: list[Step] = []
    if isinstance(node, ast.Name) and problem.has(node.id) and problem.names[node.id].kind == "function":
        display = _function_body(problem, problem.names[node.id].value)
        leaf = leaf_form(problem, display, frozenset({var}))
        return display, leaf, steps
    display = problem.display(node)
    if isinstance(display, Seq):
        raise SpecError(f"`{goal}` needs a scalar function; `{node.pos.snippet()}` is a list of "
                        f"{len(display)} tensors", node.pos)
    _need_math(display, node, goal)
    leaf = leaf_form(problem, display, frozenset({var}))
    s = shape_of(leaf)
    if s is not None and tuple(s) != (1, 1):
        raise SpecError(f"`{goal}` needs a scalar function, but `{node.pos.snippet()}` is {show_shape(leaf)} "
                        f"({s[0]}×{s[1]}); differentiate a scalar such as a loss or a norm", node.pos)
    return display, leaf, steps


@record
class Differentiated:
    """What a `grad` or `hessian` goal differentiates: the variable x, L as written
    (`display`), L in the leaves (`leaf`), L's symbol and the steps so far."""

    x: Any
    display: Any
    leaf: Any
    f_sym: Any
    steps: tuple[Step, ...]


def differentiated(problem: Problem, call: GoalCall, goal: str) -> Differentiated:
    """The `Differentiated` of `goal(L, x)` (a SpecError for a bad L or x)."""
    f_node, x_node = call.args
    x, _ = variable(problem, x_node, goal)
    display, leaf, steps = target(problem, f_node, x, goal)
    return Differentiated(x, display, leaf, _f_symbol(problem, f_node, display), tuple(steps))


def polynomial_obstacle(leaf: Any) -> Unsupported | None:
    """Why `leaf` is not a polynomial in the matrices (the engine's Unsupported), or None
    when it is one (so that the polynomial strategies apply)."""
    try:
        M.to_poly(leaf)
    except Unsupported as exc:
        return exc
    return None


def _need_math(value: Any, node: ast.Expr, goal: str) -> None:
    """A SpecError at `node` unless `value` is a number, an expression or a tensor."""
    what = kind_of(value)
    if what is not None:
        raise SpecError(f"`{goal}` works on a number, an expression or a tensor; "
                        f"`{node.pos.snippet()}` is {what}", node.pos)


def _function_body(problem: Problem, fn: Any) -> Any:
    """The body of `f(w) = ...` in symbols (its parameters as the problem declares them)."""
    env = {p: problem.names[p].symbol for p in fn.params if problem.has(p) and problem.names[p].symbol is not None}
    return Evaluator(problem, "symbol", env).eval(fn.body)


def _name_of(problem: Problem, sym: Any) -> str | None:
    for b in problem.names.values():
        if b.symbol is not None and b.symbol == sym:
            return b.name
    return None


def D(f: Any, x: Any) -> Any:
    """∂f/∂x as an object the checker evaluates: GradientOf for a vector or matrix x,
    sympy's Derivative for a scalar symbol."""
    if isinstance(x, sp.Symbol):
        return sp.Derivative(f, x)
    return GradientOf(f, x)


def _vector(var: Any) -> bool:
    return isinstance(var, sp.MatrixSymbol) and M.is_one(var.shape[1])


def _matrix(var: Any) -> bool:
    return isinstance(var, sp.MatrixSymbol) and not M.is_one(var.shape[1])
def _zero_like(x: Any) -> Any:
    r, c = x.shape if is_tensor(x) else (1, 1)
    return sp.ZeroMatrix(r, c) if is_tensor(x) else sp.Integer(0)


def _dedupe(chain: list) -> list:
    """The chain without a link repeated right after itself (structurally equal)."""
    out: list = []
    for c in chain:
        if not out or not _same_shown(out[-1], c):
            out.append(c)
    return out


def _same_shown(a: Any, b: Any) -> bool:
    if a == b:
        return True
    if type(a) is not type(b):
        return False
    return shown_alike(a, b)


def shown_alike(a: Any, b: Any) -> bool:
    """Whether two objects print alike (steps.dedupe_chain's test, so no printer is imported here)."""
    return len(dedupe_chain([a, b])) == 1
def _text(e: Any) -> str:
    """answer.text of `e` (what make_answer writes for it: parse_expr reads it back)."""
    return make_answer(e, value=None).text


def _f_symbol(problem: Problem, f_node: ast.Expr, display: Any) -> Any:
    if isinstance(f_node, ast.Name) and problem.has(f_node.id):
        b = problem.names[f_node.id]
        if b.kind == "node" and b.symbol is not None:
            return b.symbol
        if b.kind == "function":
            return sp.Symbol(b.name)
    return display


def _definition_steps(problem: Problem, f_node: ast.Expr, f_sym: Any, display: Any, leaf: Any) -> list[Step]:
    """L = its definition = the same in the given names (when nodes were substituted)."""
    if f_sym is display:
        return []
    chain = [f_sym, tidy(display)]
    if not shown_alike(tidy(leaf), tidy(display)):
        chain.append(tidy(leaf))
    if len(chain) < 2:
        return []
    return [make_step("definition", say("Write ", Math(f_sym), " in terms of the given vectors and matrices:"),
                      *_dedupe(chain), where={**node_where(problem), f_sym: leaf})]


def _with_values(problem: Problem, answer: Any, text_expr: Any) -> tuple[Any, Any, Any, list[Step]]:
    """When some matrices have concrete values, substitute them into the closed form."""
    subs = {}
    for b in problem.names.values():
        if b.kind in ("vector", "matrix", "input", "param", "let", "symbol") and b.symbol is not None \
                and isinstance(b.value, sp.MatrixBase) and b.symbol != b.value:
            subs[b.symbol] = b.value
        elif b.kind in ("let", "input", "param") and b.symbol is not None and isinstance(b.value, sp.Basic) \
                and not is_tensor(b.value) and b.symbol != b.value:
            subs[b.symbol] = b.value
    if not subs or not ((answer.atoms(sp.MatrixSymbol) | answer.free_symbols) & set(subs)):
        return None, answer, text_expr, []
    val = explicit(answer.xreplace(subs))
    step = make_step("substitute", "Substitute the given values:", answer, substituted(answer, subs), val,
                     where=subs)
    return "auto", val, val, [step]
