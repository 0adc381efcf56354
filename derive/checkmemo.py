"""Checks remembered while many variants of one spec are derived: `with remembering(): ...`.

A check (`verify.check_chain` of a step's chain, `claims.check_rel` of a claim in a
sentence) is a pure function of what it is given: the links, the relation and the values
bound in `where` (sympy objects compare and hash by structure, symbols with their
assumptions).  The variants of a spec ask many identical checks (a quadratic's learning-
rate range depends on f'' alone, which no `vary` touches; a problem's fixed weights give
the same intermediate equalities every time), so inside `remembering()` the outcome of a
check is kept by its inputs and reused when the very same check comes again.  Nothing is
skipped: every check of every variant is either made or is identical, input for input, to
one made before.  A check that fails (raises) is never kept, so it fails again.

Outside `remembering()` (a plain `derive solve`) every check is made afresh.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator

MAX_ENTRIES = 20_000          # then the memo starts afresh (memory stays bounded)

_MEMO: ContextVar[dict | None] = ContextVar("derive_check_memo", default=None)


@contextmanager
def remembering() -> Iterator[dict]:
    """Keep check outcomes for the duration of the block (nested blocks share one memo);
    yields the memo (for tests: its size tells how many distinct checks were made)."""
    if _MEMO.get() is not None:
        yield _MEMO.get()
        return
    token = _MEMO.set({})
    try:
        yield _MEMO.get()
    finally:
        _MEMO.reset(token)


def _typed(x: Any) -> Any:
    """`x` with its type, recursively through lists and tuples, so that values Python calls
    equal but derive checks differently (True and 1, 1 and 1.0) are different keys."""
    if isinstance(x, (list, tuple)):
        return (type(x), tuple(_typed(e) for e in x))
    return (type(x), x)


def _basics(x: Any) -> Iterator[Any]:
    if isinstance(x, (list, tuple)):
        for e in x:
            yield from _basics(e)
    elif isinstance(x, dict):
        for e in x.values():
            yield from _basics(e)
    else:
        yield x


def relevant(items: tuple, *exprs: Any) -> tuple:
    """The (symbol, value) pairs of `where` that can act on `exprs`: a check substitutes
    `where` once (xreplace) into the sympy objects among them (verify.realize leaves any
    other link as it is), so a pair whose symbol occurs in none of them changes nothing and
    is left out of the memo's key."""
    import sympy as sp
    parts = [e for e in _basics(exprs) if isinstance(e, sp.Basic)]
    nodes = {n for e in parts for n in sp.preorder_traversal(e)}    # (what xreplace can match)
    return tuple((k, v) for k, v in items if not isinstance(k, sp.Basic) or k in nodes)


def recall(kind: str, compute: Callable[[], Any], *inputs: Any) -> Any:
    """`compute()`, or its earlier outcome for the same `kind` and `inputs` inside
    `remembering()`; inputs that cannot be hashed are always computed."""
    memo = _MEMO.get()
    if memo is None:
        return compute()
    try:
        key = (kind, _typed(inputs))
        hash(key)
        if key in memo:
            return memo[key]
    except (TypeError, ValueError):    # an unhashable link, or an __eq__ that will not decide
        return compute()
    out = compute()
    if len(memo) >= MAX_ENTRIES:
        memo.clear()
    memo[key] = out
    return out
