"""The `derive grade` command (derive.cli hands it its arguments): solve the spec, read
the responses file, grade every sheet, write the grades (JSON) or a gradebook (CSV).

Exit codes: 0 every sheet graded with nothing wrong in the file; 1 graded, but the
responses file had problems (each on standard error as FILE:LINE: message) or a sheet
could not be graded; 2 the spec or the responses file could not be read at all.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import DeriveError
from .batch import MAX_RESPONSES_BYTES, gradebook, grade_sheets, read_responses, summary


def read_text(path: str) -> str:
    """A responses file as text (UTF-8, at most MAX_RESPONSES_BYTES), or a DeriveError."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_RESPONSES_BYTES + 1)
    except OSError as exc:
        raise DeriveError(f"cannot read the responses: {exc.strerror or exc}", file=path) from None
    if len(data) > MAX_RESPONSES_BYTES:
        raise DeriveError(f"the responses file is larger than {MAX_RESPONSES_BYTES // 1_000_000} MB", file=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DeriveError(f"not UTF-8 text (byte {exc.start} cannot be decoded)", file=path) from None


def grade_command(args: Any, limits: Any, write: Callable[[str, str | None, str], None],
                  err: Callable[[str], None]) -> int:
    """Run `derive grade` with parsed arguments; the exit code."""
    from ..pipeline import solve
    from ..render import dumps
    from ..version import __version__
    solution = solve(Path(args.file), limits=limits, include_path=args.include_path)
    text = read_text(args.responses)
    ids = [r.id for r in solution.results if r.answer is not None]
    sheets, problems = read_responses(text, args.responses, set(ids), args.responses_format)
    if not sheets and problems:
        for p in problems:
            err(p)
        raise DeriveError("no answer sheet could be read", file=args.responses)
    results = grade_sheets(solution, sheets, ecf=not args.no_ecf, jobs=max(1, args.jobs),
                           time_limit=args.answer_time_limit)
    for r in results:
        if "error" in r:
            problems.append(f"{args.responses}: student {r['student']!r} could not be graded: {r['error']}")
    fmt = args.format or ("csv" if args.output and args.output.lower().endswith(".csv") else "json")
    if fmt == "csv":
        out = gradebook(results, ids)
    else:
        out = dumps({"derive": __version__, "spec": args.file, "students": results, "summary": summary(results),
                     "problems": problems})
    write(out, args.output, "json" if fmt == "json" else "text")
    for p in problems:
        err(p)
    return 1 if problems else 0
