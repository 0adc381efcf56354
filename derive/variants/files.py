"""A batch of variants on disk: `write(batch, folder, formats, views)`.

    folder/variant-001.solutions.md  ...  one document per variant, format and view
    folder/manifest.json                  per variant: index, seed, key, values, answers, files

Everything is written into a new folder beside `folder` and renamed into place only when
all of it is written, so a failure leaves nothing partial behind.  `folder` must not exist
or be an empty folder.  Same batch, same bytes (no time stamps, no absolute paths).
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Sequence

from ..errors import DeriveError
from ..version import __version__
from .batch import Batch

SUFFIX = {"md": "md", "latex": "tex", "html": "html", "json": "json", "text": "txt", "python": "py"}


def manifest(batch: Batch, files: dict[int, list[str]] | None = None) -> dict:
    """The manifest of a batch (docs/variants.md), JSON-ready."""
    reasons = [{"reason": reason, "count": count,
                "line": batch.rejections.places.get(reason).line if batch.rejections.places.get(reason) else None}
               for reason, count in sorted(batch.rejections.counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {
        "derive": __version__,
        "spec": os.path.basename(batch.spec_name),
        "count": len(batch.variants),
        "rejected": {"total": batch.rejections.total, "reasons": reasons},
        "duplicates": [{"seed": s, "same_as": t} for s, t in batch.duplicates],
        "variants": [{"index": v.index, **v.solution.variant, "files": (files or {}).get(v.index, [])}
                     for v in batch.variants],
    }


def _target(folder: str | os.PathLike) -> Path:
    path = Path(folder)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise DeriveError("the output folder exists and is not empty; name a new or empty folder with -o",
                          file=str(path))
    return path


def write(batch: Batch, folder: str | os.PathLike, formats: Sequence[str] = ("md",),
          views: Sequence[str] = ("solutions",), templates: str | None = None) -> Path:
    """Write every variant in each format and view, and manifest.json; the folder."""
    from ..render import dumps, render
    target = _target(folder)
    parent = target.resolve().parent
    if not parent.is_dir():
        raise DeriveError("the output folder's parent folder does not exist", file=str(target))
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=parent))
    try:
        files: dict[int, list[str]] = {}
        for v in batch.variants:
            for view in views:
                for fmt in formats:
                    name = f"variant-{v.index:03d}.{view}.{SUFFIX[fmt]}"
                    text = render(v.solution, fmt, view=view, templates=templates)
                    (tmp / name).write_text(text, encoding="utf-8")
                    files.setdefault(v.index, []).append(name)
        (tmp / "manifest.json").write_text(dumps(manifest(batch, files)), encoding="utf-8")
        mask = os.umask(0o022)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)        # (mkdtemp makes it private)
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise DeriveError(f"cannot write the variants: {exc.strerror or exc}", file=str(target)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def summary(batch: Batch) -> str:
    """What `derive variants` reports on standard error: counts and the rejection reasons."""
    lines = [f"{batch.spec_name}: {len(batch.variants)} variants, every goal derived and checked; "
             f"{batch.rejections.total} draws rejected, {len(batch.duplicates)} duplicates merged"]
    for reason, count in sorted(batch.rejections.counts.items(), key=lambda kv: (-kv[1], kv[0])):
        pos = batch.rejections.places.get(reason)
        where = f"{pos}: " if pos is not None else ""
        lines.append(f"  {where}{count} rejected: {reason}")
    return "\n".join(lines) + "\n"
