"""Exports to hosts: Moodle XML, QTI 1.2 (Canvas) and PrairieLearn (docs/export.md).

    from derive.export import export
    skipped = export("exam.spec", "moodle", "exam.xml")              # the exam as written
    skipped = export("exam.spec", "qti", "exam.zip", n=100)           # 100 checked variants
    skipped = export("exam.spec", "prairielearn", "course/")          # server.py draws its own

Every export reads the key and its `derive.grading.Acceptance` (kind, tolerances); a
result that cannot be exported (an error, or marked by hand where the host needs a key)
is returned in `skipped` as (id, why), and the rest is exported.  The output is written
to a temporary name beside OUT and renamed into place at the end: nothing partial.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from ..errors import DeriveError
from ..limits import Limits
from ..steps import Solution

HOSTS = ("moodle", "qti", "prairielearn")


def solutions_of(text_or_path, seed=None, n=None, filename=None, limits: Limits | None = None,
                 include_path: Sequence = ()) -> list[Solution]:
    """The solutions to export: n variants from `seed` (default 1), the variant `seed`, or
    the exam's defaults."""
    if n is not None:
        from ..variants import generate
        batch = generate(text_or_path, n, filename, start=seed if seed is not None else 1, limits=limits,
                         include_path=include_path)
        return [v.solution for v in batch.variants]
    if seed is not None:
        from ..variants import solve_variant
        return [solve_variant(text_or_path, seed, filename, limits=limits, include_path=include_path)]
    from ..pipeline import solve
    return [solve(text_or_path, filename, limits=limits, include_path=include_path)]


def write_export(solutions: Sequence[Solution], to: str, out: str | os.PathLike,
                 math: str = "mathml") -> list[tuple[str, str]]:
    """Write `solutions` for host `to` at `out` (a file for moodle and qti, a new folder for
    prairielearn); the results left out."""
    if to not in HOSTS:
        raise DeriveError(f"unknown host `{to}` (choose from {', '.join(HOSTS)})")
    target = Path(out)
    if to == "prairielearn" and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise DeriveError("the output folder exists and is not empty; name a new or empty folder", file=str(target))
    parent = target.resolve().parent
    if not parent.is_dir():
        raise DeriveError("the output's folder does not exist", file=str(target))
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=parent))
    try:
        skipped = _write(solutions, to, tmp, target.name, math)
        made = tmp / target.name
        if to == "prairielearn" and target.exists():
            target.rmdir()
        os.replace(made, target)
    except OSError as exc:
        raise DeriveError(f"cannot write the export: {exc.strerror or exc}", file=str(target)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return skipped


def _write(solutions, to: str, tmp: Path, name: str, math: str) -> list[tuple[str, str]]:
    if to == "moodle":
        from .moodle import moodle_xml
        text, skipped = moodle_xml(solutions, math)
        (tmp / name).write_text(text, encoding="utf-8")
    elif to == "qti":
        from .qti import qti_zip
        data, skipped = qti_zip(solutions, math)
        (tmp / name).write_bytes(data)
    else:
        from .prairielearn import export_all
        (tmp / name).mkdir()
        skipped = export_all(solutions, tmp / name, math)
        mask = os.umask(0o022)
        os.umask(mask)
        os.chmod(tmp / name, 0o777 & ~mask)
    return skipped


def export(text_or_path, to: str, out: str | os.PathLike, *, seed=None, n=None, math: str = "mathml",
           filename=None, limits: Limits | None = None, include_path: Sequence = ()) -> list[tuple[str, str]]:
    """Solve (see `solutions_of`) and write the export; the results left out (id, why)."""
    from ..export.common import MATHS
    if math not in MATHS:
        raise DeriveError(f"unknown maths `{math}` (choose from {', '.join(MATHS)})")
    return write_export(solutions_of(text_or_path, seed, n, filename, limits, include_path), to, out, math)
