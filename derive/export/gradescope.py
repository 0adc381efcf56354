"""Gradescope's autograder `results.json` (`derive grade SPEC RESPONSES --format gradescope`).

Gradescope runs an autograder once per submission, so the responses hold one student's
sheet.  Each graded result becomes a test: `name` (the result's id and goal), `number`
(the id), `score` (the points earned), `max_score` (its marks), `output` (the status
and derive's feedback, Markdown with `$...$`), `visibility` ("visible").  The top-level
`score` is the sum.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import DeriveError


def results(graded: dict, visibility: str = "visible") -> dict:
    """results.json from one entry of `derive.grading.batch.grade_sheets`."""
    tests = []
    for g in graded["grades"]:
        out = f"{g['status']}" + (f": {g['feedback']}" if g.get("feedback") else "")
        tests.append({"name": f"{g['id']}: {g['goal']}" if g.get("goal") else g["id"], "number": g["id"],
                      "score": g["points"] if g["points"] is not None else g["score"],
                      "max_score": g["marks"] if g["marks"] is not None else 1,
                      "output": out, "output_format": "md", "visibility": visibility})
    total = sum(t["score"] for t in tests)
    return {"score": int(total) if float(total).is_integer() else round(total, 6),
            "output": f"Graded by derive against the derived key: {len(tests)} answers.",
            "output_format": "md", "visibility": visibility, "stdout_visibility": "hidden", "tests": tests}


def gradescope_command(args: Any, limits: Any, write: Callable[[str, str | None, str], None],
                       err: Callable[[str], None]) -> int:
    """`derive grade SPEC RESPONSES --format gradescope`: results.json of the one sheet."""
    from ..grading.batch import grade_sheets, read_responses
    from ..grading.command import read_text
    from ..pipeline import solve
    from ..render import dumps
    solution = solve(Path(args.file), limits=limits, include_path=args.include_path)
    ids = {r.id for r in solution.results if r.answer is not None}
    sheets, problems = read_responses(read_text(args.responses), args.responses, ids, args.responses_format)
    for p in problems:
        err(p)
    if len(sheets) != 1:
        raise DeriveError(f"Gradescope grades one submission at a time, but the responses hold {len(sheets)} "
                          "answer sheets", file=args.responses)
    graded, = grade_sheets(solution, sheets, ecf=not args.no_ecf, time_limit=args.answer_time_limit)
    if "error" in graded:
        raise DeriveError(f"the sheet could not be graded: {graded['error']}", file=args.responses)
    write(dumps(results(graded)), args.output, "json")
    return 1 if problems else 0
