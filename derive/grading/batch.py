"""`derive grade exam.spec responses.json|csv`: many students' answer sheets graded.

Responses are JSON (`{"student": "s1", "answers": {"II.1(b)": "24", ...}}`, one object per
line, or a list of them) or CSV (a header `student,II.1(b),...`, one row per student, one
column per id; an empty cell is no answer).  What is wrong with the file (a line that is
not JSON, a missing `student`, a duplicate student, an unknown id, an answer that is not
text) is reported as FILE:LINE: message and that sheet (or answer) is left out; the rest
is graded.  One answer that breaks a grader never stops the batch: that student gets an
error entry.  Output: per-student grades and a summary per result (JSON), or a CSV
gradebook.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MAX_RESPONSES_BYTES = 50_000_000


@dataclass
class Sheet:
    """One student's answers, and the line of the file they came from."""
    student: str
    answers: dict[str, str]
    line: int
    problems: list[str] = field(default_factory=list)


def read_responses(text: str, name: str, ids: set[str], fmt: str | None = None) -> tuple[list[Sheet], list[str]]:
    """The sheets of a responses file and the problems found in it (FILE:LINE: message)."""
    kind = fmt or ("csv" if name.lower().endswith(".csv") else "json")
    raw, problems = (_csv_sheets if kind == "csv" else _json_sheets)(text, name)
    sheets, seen = [], {}
    for sheet in raw:
        if sheet.student in seen:
            problems.append(f"{name}:{sheet.line}: student {sheet.student!r} appears again (first on line "
                            f"{seen[sheet.student]}); this sheet is left out")
            continue
        seen[sheet.student] = sheet.line
        for rid in [i for i in sheet.answers if i not in ids]:
            problems.append(f"{name}:{sheet.line}: unknown id {rid!r} for student {sheet.student!r}"
                            f"{_hint(rid, ids)}; that answer is left out")
            del sheet.answers[rid]
        sheets.append(sheet)
    return sheets, problems


def _hint(rid: str, ids: set[str]) -> str:
    import difflib
    close = difflib.get_close_matches(rid, sorted(ids), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _json_sheets(text: str, name: str) -> tuple[list[Sheet], list[str]]:
    """A JSON list of objects, one object, or one object per line (JSON Lines)."""
    problems: list[str] = []
    try:
        doc = json.loads(text)
        items = [(_line_of(text, k), d) for k, d in enumerate(doc)] if isinstance(doc, list) else [(1, doc)]
    except json.JSONDecodeError as whole:
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append((n, json.loads(line)))
            except json.JSONDecodeError as exc:
                err = whole if n == 1 and len(text.splitlines()) == 1 else exc
                problems.append(f"{name}:{n}:{err.colno}: not JSON: {err.msg}; this line is left out")
    sheets = []
    for line, item in items:
        sheet = _sheet(item, line, name, problems)
        if sheet is not None:
            sheets.append(sheet)
    return sheets, problems


def _line_of(text: str, k: int) -> int:
    """The line where the k-th object of a JSON list starts (approximately: its k-th `{`
    at the outer level)."""
    depth, count = 0, -1
    for i, ch in enumerate(text):
        if ch == "{":
            if depth == 1:
                count += 1
                if count == k:
                    return text.count("\n", 0, i) + 1
            depth += 1
        elif ch == "[" and depth == 0:
            depth = 1
        elif ch == "}":
            depth -= 1
    return 1


def _sheet(item: Any, line: int, name: str, problems: list[str]) -> Sheet | None:
    if not isinstance(item, dict) or not isinstance(item.get("student"), (str, int)) \
            or not isinstance(item.get("answers"), dict):
        problems.append(f'{name}:{line}: expected {{"student": "...", "answers": {{"ID": "ANSWER", ...}}}}; '
                        "this sheet is left out")
        return None
    answers = {}
    for rid, value in item["answers"].items():
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            problems.append(f"{name}:{line}: the answer to {rid!r} is not text; it is left out")
            continue
        answers[str(rid)] = value if isinstance(value, str) else json.dumps(value)
    return Sheet(str(item["student"]), answers, line)


def _csv_sheets(text: str, name: str) -> tuple[list[Sheet], list[str]]:
    problems: list[str] = []
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        return [], [f"{name}: not CSV: {exc}"]
    if not rows or not rows[0] or rows[0][0].strip().lower() != "student":
        return [], [f"{name}:1: the first row must be the header `student,ID,ID,...`"]
    header = [h.strip() for h in rows[0]]
    sheets = []
    for n, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) > len(header):
            problems.append(f"{name}:{n}: {len(row)} cells but the header has {len(header)}; extra cells left out")
        answers = {h: c for h, c in zip(header[1:], row[1:]) if c.strip()}
        sheets.append(Sheet(row[0].strip(), answers, n))
    return sheets, problems


def grade_sheets(solution: Any, sheets: list[Sheet], *, ecf: bool = True, jobs: int = 1,
                 time_limit: float = 3.0) -> list[dict]:
    """Every sheet graded: {"student", "points", "max_points", "grades"} (or "error"),
    in the order given; `jobs` > 1 grades in that many processes."""
    work = [(s.student, s.answers) for s in sheets]
    context = _fork_context()
    if jobs <= 1 or len(work) < 2 or context is None:
        _init(solution, ecf, time_limit)
        return [_grade_one(w) for w in work]
    import concurrent.futures as cf
    with cf.ProcessPoolExecutor(jobs, mp_context=context, initializer=_init,
                                initargs=(solution, ecf, time_limit)) as pool:
        return list(pool.map(_grade_one, work, chunksize=max(1, len(work) // (4 * jobs))))


def _fork_context() -> Any:
    """The "fork" start method, or None where there is none (Windows: grade in this
    process).  The workers inherit the Solution: under "spawn" or "forkserver" (macOS's
    and, from Python 3.14, Linux's default) it would be pickled, and a Solution does not
    survive pickling (its layer tables hold classes made at run time, and SymPy rebuilds
    an unevaluated display such as 5·4 as 20 when it unpickles one)."""
    import multiprocessing
    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


_STATE: dict[str, Any] = {}


def _init(solution: Any, ecf: bool, time_limit: float) -> None:
    _STATE.update(solution=solution, ecf=ecf, time_limit=time_limit)


def _grade_one(work: tuple[str, dict[str, str]]) -> dict:
    """One student's sheet graded; an error entry if grading it failed."""
    from .sheet import grade_solution
    student, answers = work
    try:
        grades = grade_solution(_STATE["solution"], answers, ecf=_STATE["ecf"], time_limit=_STATE["time_limit"])
    except Exception as exc:   # noqa: BLE001 - one sheet never stops the batch
        return {"student": student, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    points = sum(g.points or 0 for g in grades)
    most = sum(float(g.marks) for g in grades if g.marks is not None)
    return {"student": student, "points": _num(points), "max_points": _num(most),
            "grades": [g.to_json() for g in grades]}


def _num(x: float) -> Any:
    return int(x) if float(x).is_integer() else round(x, 6)


def summary(results: list[dict]) -> list[dict]:
    """Per result id: how many were graded, the mean score, the count of each status and
    the most common notes (for item analysis)."""
    by_id: dict[str, list[dict]] = {}
    for r in results:
        for g in r.get("grades", []):
            by_id.setdefault(g["id"], []).append(g)
    out = []
    for rid, gs in by_id.items():
        statuses = Counter(g["status"] for g in gs)
        notes = Counter(g["note"] for g in gs).most_common(3)
        out.append({"id": rid, "n": len(gs), "mean_score": round(sum(g["score"] for g in gs) / len(gs), 6),
                    "statuses": dict(sorted(statuses.items())), "notes": [[n, c] for n, c in notes]})
    return out


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (`=1+1` becomes `'=1+1`)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gradebook(results: list[dict], ids: list[str]) -> str:
    """CSV: one row per student, a column per id (points where the result has marks, else
    the score), then the total."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", *ids, "total", "max"])
    for r in results:
        by_id = {g["id"]: g for g in r.get("grades", [])}
        cells = [(by_id[i]["points"] if by_id[i]["points"] is not None else by_id[i]["score"])
                 if i in by_id else "" for i in ids]
        w.writerow([_cell(r["student"]), *cells, r.get("points", ""), r.get("max_points", "")])
    return buf.getvalue()
