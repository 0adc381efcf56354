"""`grade(result, response)`: one student's answer to one result, as a `Grade`
(derive.grading.record).

    g = grade(solution.result("II.1(b)"), "24")
    g.status, g.score, g.note        # "correct", 1.0, "II.1(b)-correct"
"""
from __future__ import annotations

from typing import Any

from .acceptance import Acceptance, accept_once
from .ecf import carry_forward
from .record import Grade, judge, make_grade


def grade(result: Any, response: str, *, accept: Acceptance | None = None, given: dict[str, str] | None = None,
          time_limit: float = 3.0, names: dict[str, Any] | None = None, ecf_credit: float = 1.0) -> Grade:
    """Grade `response` (text) against `result` (a derived Result), by `accept` (default:
    `accept(result)`, made once per Result: derive.grading.acceptance.accept_once).  `given` (id -> the student's earlier answers) carries errors
    forward when the answer is wrong (derive.grading.ecf), for at most `ecf_credit` of
    the score; `names` adds names a response may use.  Never raises for a bad response."""
    acc = accept if accept is not None else accept_once(result)
    verdict, error = judge(acc, response, time_limit, names)
    g = make_grade(acc, result, response, verdict, error)
    if given and g.status in ("incorrect", "partial"):
        better = carry_forward(result, acc, response, given, time_limit, ecf_credit)
        if better is not None and better.score > g.score:
            return better
    return g
