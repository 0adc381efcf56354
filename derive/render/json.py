"""The JSON contract of docs/json.md: `to_json(solution, view)` -> dict and `dumps(doc)` -> its
deterministic text."""
from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

from ..sentence import Sentence
from ..sentence_print import print_sentence
from ..version import __version__
from .helpers import _num
from .layout import step_latex

if TYPE_CHECKING:
    from ..steps import Result, Solution, Step

def _clean(x: Any) -> Any:
    """JSON-safe values: non-finite floats become null, whole ones integers (`0.0` -> `0`, as
    docs/json.md promises; up to 2^53, where floats are exact), tuples lists, keys strings."""
    if isinstance(x, float):
        if not math.isfinite(x):
            return None
        return int(x) if x.is_integer() and abs(x) <= 2 ** 53 else x
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if x is None or isinstance(x, (bool, int, str)):
        return x
    from ..printing import answer_value
    return _clean(answer_value(x))


def _step_json(step: Step) -> dict:
    text = print_sentence(step.text, "md") if isinstance(step.text, Sentence) else step.text
    out: dict[str, Any] = {"rule": step.rule, "text": text, "latex": step_latex(step),
                           "checked": step.checked}
    relations = [_relation_json(r) for r in step.text.relations()] if isinstance(step.text, Sentence) else []
    if step.chain and len(step.chain) > 1:
        relations.insert(0, {"part": "chain", "op": step.relation, "kind": step.chain_kind,
                             "checked": step.checked, "check": (step.check or None) if step.checked else None})
    if relations:
        out["check"] = step.check
        out["relations"] = relations
    if step.substeps:
        out["substeps"] = [_step_json(s) for s in step.substeps]
    return out


def _relation_json(r: Any) -> dict:
    from ..sentence_print import rel_latex
    return {"part": "text", "latex": rel_latex(r), "op": r.op,
            "kind": r.kind, "checked": r.checked, "check": (r.check or None) if r.checked else None}


def _result_json(r: Result) -> dict:
    out: dict[str, Any] = {"id": r.id, "label": r.label, "goal": r.goal, "marks": _num(r.marks)}
    if r.title is not None:
        out["title"] = print_sentence(r.title, "md")
    if r.error is not None:
        out["error"] = {"message": r.error.message, "line": r.error.line, "column": r.error.column,
                        "kind": r.error.kind}
        return out
    a = r.answer
    extra = dict(a.extra)
    kind = extra.get("kind", "expression")
    ans: dict[str, Any] = {"text": a.text, "latex": a.latex, "value": _clean(a.value), "kind": kind}
    if a.choice is not None:
        ans["choice"] = a.choice
    if kind == "prose" and a.prose is not None:    # the Markdown shown (a derived sentence printed)
        ans["prose"] = print_sentence(a.prose, "md") if isinstance(a.prose, Sentence) else a.prose
    for k, v in a.extra:
        if k not in ans:
            ans[k] = _clean(v)
    out["answer"] = ans
    out["steps"] = [_step_json(s) for s in r.steps]
    if r.readings:
        out["readings"] = [_reading_json(name, a, error) for name, a, error in r.readings]
    return out


def _reading_json(name: str, a: Any, error: str | None) -> dict:
    """An accepted alternative reading: its name and the answer under it (or its error)."""
    if a is None:
        return {"reading": name, "error": error}
    kind = dict(a.extra).get("kind", "expression")
    return {"reading": name, "answer": {"text": a.text, "latex": a.latex, "value": _clean(a.value), "kind": kind}}


def to_json(solution: Solution, view: str = "solutions") -> dict:
    """The JSON contract (docs/json.md) as a dict.

    Every view has the questions (each problem's `text` and `parts`).  `view="key"` leaves
    the steps out; `view="paper"` leaves answers, steps, errors and the goals themselves
    out: its results keep only `label` and `marks` (a goal as written can give an answer
    away, e.g. `choice(posterior(prior, likelihood, 1))`).
    """
    doc: dict[str, Any] = {"derive": __version__}
    for key in ("title", "course", "date"):
        if getattr(solution, key):
            doc[key] = getattr(solution, key)
    problems = []
    for p in solution.problems:
        entry: dict[str, Any] = {"title": p.title, "section": p.section, "points": _num(p.points),
                                 "text": p.text,
                                 "parts": [{"label": q.label, "marks": _num(q.marks), "text": q.text}
                                           for q in p.parts]}
        if p.assumptions:
            entry["assumptions"] = [print_sentence(a, "md") for a in p.assumptions]
        if view == "paper":
            results = [{"id": r.id, "label": r.label, "marks": _num(r.marks)} for r in p.results]
        else:
            results = [_result_json(r) for r in p.results]
            if view == "key":
                for r in results:
                    r.pop("steps", None)
        entry["results"] = results
        problems.append(entry)
    doc["problems"] = problems
    if solution.variant is not None:
        doc["variant"] = solution.variant
    return doc


def dumps(doc: dict) -> str:
    """The JSON text: one-space indent, UTF-8 as is, no NaN, a final newline."""
    text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    # json escapes U+0000-U+001F; the C1 controls (terminal escapes too) are escaped as well
    return re.sub("[\x7f-\x9f]", lambda m: "\\u%04x" % ord(m.group()), text)
