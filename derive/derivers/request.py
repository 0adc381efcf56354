"""What a strategy is asked to derive: a parsed goal call, or a goal asked for inside another.

In: nothing (types).  Out: `GoalCall`, the part of a goal call a strategy reads (its name,
positional arguments, keywords and position), which the parser's `ast.Call` has; and
`GoalRequest`, a frozen record of the same for a goal that another goal needs (the gradient
inside `sgd_step`, the Hessian inside `argmin`): its arguments are expressions the parser
produced, and no syntax node is made up for it.
"""
from __future__ import annotations

from dataclasses import field
from typing import Protocol

from .. import ast
from ..errors import Pos
from ..records import record


class GoalCall(Protocol):
    """A goal to derive as a strategy sees it (`ast.Call` and `GoalRequest` both are one)."""

    @property
    def name(self) -> str | None: ...

    @property
    def args(self) -> tuple[ast.Expr, ...]: ...

    @property
    def kwargs(self) -> tuple[ast.Keyword, ...]: ...

    @property
    def pos(self) -> Pos: ...

    def kwarg(self, name: str) -> ast.Expr | None: ...


@record
class GoalRequest:
    """Goal `name(*args, **kwargs)`, reported at `pos`.  Requests compare by name and
    arguments only (as calls compare without their positions), so that a request meets the
    memo of the same goal written in the spec."""

    name: str
    args: tuple[ast.Expr, ...]
    kwargs: tuple[ast.Keyword, ...] = ()
    pos: Pos = field(default=None, compare=False, repr=False)   # type: ignore[assignment]

    @classmethod
    def of(cls, call: GoalCall) -> "GoalRequest":
        """The request a goal call makes (its name must be a goal's)."""
        assert call.name is not None
        return cls(call.name, tuple(call.args), tuple(call.kwargs), call.pos)

    def kwarg(self, name: str) -> ast.Expr | None:
        """The value of keyword `name`, or None."""
        for k in self.kwargs:
            if k.name == name:
                return k.value
        return None
