"""Checks of the goals that are not a derivative or a value (`--format python`): each
recomputes the answer from the problem's own definitions by another route.

* `argmin(L, w)`: the gradient of L (central differences) vanishes at the answer;
* `solve(A, b)`: A @ answer = b;
* `eigenvalues(A)`: NumPy's eigenvalues of A, sorted, with their multiplicities;
* `gd` (momentum, dampening, nesterov, weight_decay), `adam`, `rmsprop`, `adagrad` of a
  function: torch.optim's update rules and defaults, written out again in the script,
  iterated with central-difference gradients of f;
* `newton(f, start, steps)`: x - H⁻¹∇f iterated with finite-difference derivatives;
* `sgd_step(v, L, lr, ...)`: torch.optim.SGD's first step on v with ∂L/∂v by differences.

In: a `Goal` context (pykey.Context).  Out: a Check, or a Skip with the reason.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import sympy as sp

from .. import ast
from ..errors import DeriveError
from ..numpy_text import numpy_text, py_name
from .pynames import Check, Skip, check_size, expanded

if TYPE_CHECKING:
    from .pykey import Context

def definition(ctx: Context, e: ast.Expr) -> tuple[Any, str]:
    """(the expression `e` names, its definitions unwound; its NumPy source)."""
    try:
        f = expanded(ctx.problem, ctx.problem.display(e))
    except DeriveError:
        raise Skip("its definition has no symbolic form here") from None
    check_size(f)
    code = numpy_text(f, ctx.names.components)
    if code is None:
        raise Skip("its definition holds an operation with no NumPy form here")
    return f, code


def _value_code(ctx: Context, e: ast.Expr, what: str) -> tuple[Any, str]:
    try:
        v = ctx.problem.value(e)
    except DeriveError:
        raise Skip(f"its {what} has no value here") from None
    check_size(v)
    code = numpy_text(v, ctx.names.components)
    if code is None:
        raise Skip(f"its {what} has no NumPy form")
    return v, code


def entry_of(ctx: Context, var: ast.Index) -> str:
    """`[i]` or `[i, j]` (0-based) of an entry `v[i]` / `W[i, j]` (1-based in the spec)."""
    try:
        idx = [ctx.problem.value(i) for i in var.indices]
    except DeriveError:
        raise Skip("its variable's index has no value") from None
    if not all(isinstance(i, sp.Integer) and i >= 1 for i in idx) or not 1 <= len(idx) <= 2:
        raise Skip("its variable's index is not a whole number")
    return "[" + ", ".join(str(int(i) - 1) for i in idx) + "]"


def argmin(ctx: Context, call: ast.Call) -> Check:
    if len(call.args) != 2 or call.kwargs:
        raise Skip("only `argmin(L, w)` with its variable named is checked")
    f, function = definition(ctx, call.args[0])
    b = ctx.names.input_binding(call.args[1])
    var = py_name(b.name)
    setup = tuple(line for line in ctx.names.setup([f, ctx.answer]) if not line.startswith(f"{var} = "))
    return Check(ctx.id, ctx.goal, "stationary", setup, var, function, f"_grad(_f, {var})",
                 f"np.zeros(np.shape({var}))", ctx.seed, before=(f"{var} = {ctx.closed()}",))


def solve(ctx: Context, call: ast.Call) -> Check:
    if len(call.args) != 2 or call.kwargs:
        raise Skip("only `solve(A, b)` is checked")
    a, a_code = definition(ctx, call.args[0])
    b, b_code = definition(ctx, call.args[1])
    setup = ctx.names.setup([a, b, ctx.answer])
    return Check(ctx.id, ctx.goal, "residual", setup, None, "", f"{a_code} @ {ctx.closed()}", b_code, ctx.seed)


def eigenvalues(ctx: Context, call: ast.Call) -> Check:
    if len(call.args) != 1 or call.kwargs or not isinstance(ctx.raw, (list, tuple)):
        raise Skip("only a list of eigenvalues is checked")
    a, a_code = definition(ctx, call.args[0])
    codes = [numpy_text(x, ctx.names.components) for x in ctx.raw]
    if any(c is None for c in codes):
        raise Skip("an eigenvalue has no NumPy form (a complex one)")
    setup = ctx.names.setup([a, *ctx.raw])
    return Check(ctx.id, ctx.goal, "eigen", setup, None, "", f"np.sort(np.array([{', '.join(codes)}], dtype=float))",
                 f"np.sort(np.linalg.eigvals({a_code}).real)", ctx.seed)


def _function(ctx: Context, e: ast.Expr) -> tuple[str, tuple[str, ...]]:
    """(the NumPy source of a user function's body, the lines that unpack `_v` into its
    parameters): one parameter is `_v` itself, several scalars its entries."""
    b = ctx.problem.names.get(e.id) if isinstance(e, ast.Name) else None
    if b is None or b.kind != "function":
        raise Skip("only a function defined as `f(w) = ...` is iterated here")
    env, body = b.value.symbolic()
    params = [py_name(p) for p in b.value.params]
    allowed = {s for v in env.values() for s in (v.free_symbols if isinstance(v, sp.Basic) else ())}
    if not isinstance(body, sp.Expr) or not body.free_symbols <= allowed:
        raise Skip("the function's body uses more than its parameters")
    if len(params) > 1 and any(isinstance(v, sp.MatrixBase) for v in env.values()):
        raise Skip("a function of several parameters that are not all scalars")
    code = numpy_text(body, ctx.names.components)
    if code is None:
        raise Skip("the function's body has no NumPy form here")
    unpack = (f"{params[0]} = _v",) if len(params) == 1 else (f"{', '.join(params)} = _v",)
    return code, unpack


def _iterates(ctx: Context) -> str:
    if not isinstance(ctx.raw, (list, tuple)) or not ctx.raw:
        raise Skip("its answer is not a list of iterates")
    codes = [numpy_text(x, ctx.names.components) for x in ctx.raw]
    if any(c is None for c in codes):
        raise Skip("an iterate has no NumPy form")
    return f"np.array([{', '.join(codes)}], dtype=float)"


# goal -> (the script's helper, the keywords it takes besides start and steps); the helpers
# follow torch.optim's update rules and defaults (pyscript.HELPERS)
OPTIMIZERS = {
    "gd": ("_sgd", ("lr", "momentum", "dampening", "nesterov", "weight_decay")),
    "adam": ("_adam", ("lr", "betas", "eps", "weight_decay")),
    "rmsprop": ("_rmsprop", ("lr", "alpha", "eps", "weight_decay")),
    "adagrad": ("_adagrad", ("lr", "lr_decay", "eps", "weight_decay")),
    "newton": ("_newton", ()),
}


def _options(ctx: Context, call: ast.Call, allowed: tuple[str, ...],
             required: tuple[str, ...] = ("start", "steps")) -> dict[str, str]:
    """keyword -> its value's NumPy source (`required` and `allowed`); a Skip for another."""
    out = {}
    for k in call.kwargs:
        if k.name not in (*required, *allowed):
            raise Skip(f"`{k.name}` is not recomputed here")
        if k.name == "nesterov":
            try:
                out[k.name] = "True" if ctx.problem.value(k.value) in (True, sp.true) else "False"
            except DeriveError:
                raise Skip("its `nesterov` has no value here") from None
            continue
        out[k.name] = _value_code(ctx, k.value, f"`{k.name}`")[1]
    for need in required:
        if need not in out:
            raise Skip(f"`{need}` is not given")
    return out


def optimizer(ctx: Context, call: ast.Call) -> Check:
    """gd, adam, rmsprop, adagrad, newton of a function: the iterates recomputed."""
    helper, allowed = OPTIMIZERS[call.name]
    if len(call.args) != 1:
        raise Skip(f"only `{call.name}(f, ...)` of one function is recomputed")
    function, unpack = _function(ctx, call.args[0])
    opts = _options(ctx, call, allowed)
    if call.name == "gd" and "lr" not in opts:
        raise Skip("`lr` is not given")
    extra = "".join(f", {k}={opts[k]}" for k in allowed if k in opts)
    reference = f"{helper}(_f, {opts['start']}, steps=int({opts['steps']}){extra})"
    kind = "newton" if call.name == "newton" else "iterates"
    return Check(ctx.id, ctx.goal, kind, (), "_v", function, _iterates(ctx), reference, ctx.seed, unpack)


def sgd_step(ctx: Context, call: ast.Call) -> Check:
    """`sgd_step(v, L, lr, ...)`: the first step of torch.optim.SGD on v (or one entry of it)."""
    if len(call.args) != 2:
        raise Skip("only `sgd_step(v, L, ...)` is recomputed")
    var, entry = call.args[0], ""
    if isinstance(var, ast.Index):
        entry, var = entry_of(ctx, var), var.target
    f, function = definition(ctx, call.args[1])
    b = ctx.names.input_binding(var)
    name = py_name(b.name)
    allowed = OPTIMIZERS["gd"][1]
    opts = _options(ctx, call, allowed, required=("lr",))
    extra = "".join(f", {k}={opts[k]}" for k in allowed if k in opts)
    setup = ctx.names.setup([f, ctx.answer, b.symbol])
    return Check(ctx.id, ctx.goal, "iterates", setup, name, function, ctx.closed(),
                 f"_sgd(_f, {name}, steps=1{extra})[0]{entry}", ctx.seed)


GOALS: dict[str, Callable[[Context, ast.Call], Check]] = {
    "argmin": argmin, "solve": solve, "eigenvalues": eigenvalues, "sgd_step": sgd_step,
    **{k: optimizer for k in OPTIMIZERS},
}
