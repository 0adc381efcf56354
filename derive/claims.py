"""Checking the relations a sentence claims, with the problem's own values.

`check_sentence(sentence, where, rule)` -> (sentence with every `Rel` marked, verdict):

* a `claim` is checked after the symbols bound in `where` are replaced by their values:
  `=` and `≠` by derive.verify's equality checker (exact, symbolic, random points or
  random matrices), `<`, `≤`, `>`, `≥` exactly on numbers or from the symbols'
  assumptions (sympy's `is_positive` and friends on `lhs − rhs`), `∈`/`∉` by the set's
  `contains`, `⪰`/`≻` (positive semi-definite / definite) from the exact eigenvalues of an
  explicit symmetric matrix, `≈` and `⇔` as derive.verify checks chains;
* a claim that does not hold raises `CheckFailed`; one that cannot be decided raises it
  too (a sentence states nothing it has not checked: make it a definition, an assumption
  or a fact if it is one);
* definitions, assumptions and facts are not checked (`checked` stays None).

The verdict is True when at least one claim was checked, else None.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from .checkmemo import recall, relevant
from .errors import CheckFailed
from .sentence import Rel, Sentence
from .verify import check_chain, checkable, equal, order_holds, realize, values_hold_matrix_symbols

_ORDERS = ("<", "≤", ">", "≥")


def _scalar(x: Any) -> Any:
    if isinstance(x, sp.MatrixBase) and x.shape == (1, 1):
        return x[0, 0]
    return x


def _definite(m: Any, op: str) -> tuple[bool | None, str]:
    if not isinstance(m, sp.MatrixBase) or m.shape[0] != m.shape[1] or m.free_symbols:
        return None, "not an explicit matrix"
    if m != m.T:
        return False, "not symmetric"
    ev = m.eigenvals()
    if sum(ev.values()) != m.shape[0]:
        return None, "eigenvalues not found"
    signs = [(e.is_positive if op == "≻" else e.is_nonnegative) for e in ev]
    if any(s is None for s in signs):
        return None, "eigenvalue signs not decided"
    return all(signs), "eigenvalues"


def check_rel(rel: Rel, where: dict) -> tuple[bool | None, str]:
    """Whether a claimed relation holds with the values in `where`, and how that was decided."""
    op = rel.op
    if op in ("≈", "⇔"):
        try:
            return check_chain((rel.lhs, rel.rhs), where, relation=op)
        except CheckFailed:
            return False, "checked"
    if op in ("=", "≠"):
        holds = values_hold_matrix_symbols(where) if where else None
        a, b = checkable(rel.lhs, where, holds), checkable(rel.rhs, where, holds)
    else:
        a, b = realize(rel.lhs, where), realize(rel.rhs, where)
    if op == "=":
        return equal(a, b)
    if op == "≠":
        ok, how = equal(a, b)
        return (None, how) if ok is None else (not ok, how)
    if op in _ORDERS:
        return order_holds(a, op, b)
    if op in ("∈", "∉"):
        if not isinstance(b, sp.Set):
            return None, "not a set"
        inside = b.contains(_scalar(a))
        if inside not in (sp.true, sp.false):
            return None, "membership not decided"
        return (bool(inside) == (op == "∈")), "exact"
    if op in ("⪰", "≻"):
        if not (b == 0 or (isinstance(b, sp.MatrixBase) and b.is_zero_matrix)):
            return None, "only A ⪰ 0 and A ≻ 0 are checked"
        return _definite(a, op)
    return None, f"relation {op} is not checked"


def check_sentence(sentence: Sentence, where: dict, rule: str = "") -> tuple[Sentence, bool | None]:
    """The sentence with each claim's check recorded, and whether any claim was checked.

    Raises CheckFailed for a claim that does not hold or cannot be decided."""
    parts = []
    checked: bool | None = None
    for p in sentence.parts:
        if isinstance(p, Rel) and p.kind == "claim":
            ok, how = recall("claim", lambda: check_rel(p, where), p.op, p.lhs, p.rhs,
                             relevant(tuple(where.items()), p.lhs, p.rhs))
            if ok is not True:
                verdict = "does not hold" if ok is False else f"could not be checked ({how})"
                raise CheckFailed(f"step `{rule}` claims {Sentence((p,))}, which {verdict}")
            p = p.with_check(True, how)
            checked = True
        parts.append(p)
    return Sentence(tuple(parts)), checked
