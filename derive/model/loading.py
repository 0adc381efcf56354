"""`load("w1.csv")` / `load("w1.npy")`: a tensor kept in a file beside the spec.

In:  the file name (a string, relative to the folder of the spec file that holds the call,
     the working folder for a spec read from stdin, or else to an `--include-path` folder)
     and the call node (for positions).
Out: an explicit sympy matrix of exact numbers; a SpecError / LimitError at the call
     otherwise.

Confined like includes: the file must resolve (symbolic links followed) to a path under
one of those folders, be a regular file (no device, FIFO or /proc entry: it is opened without
blocking and checked with fstat before a byte is read) and hold at most MAX_LOAD_BYTES;
a refused file's content never appears in the error.

* CSV: one matrix row per line, entries separated by commas, each a decimal number such as
  `-0.25`, `3` or `1e-3`, read exactly (0.1 is 1/10).  A vector is a CSV with one
  entry per line (an n×1 matrix, as `[a, b, c]` in a spec).  A malformed entry is reported
  at its FILE:LINE:COL in the CSV with a caret.
* .npy: read by numpy.load(allow_pickle=False) when numpy is installed (a clear error
  otherwise); integer and boolean arrays exactly, float arrays entry by entry as the
  shortest decimal that rounds to the stored double (0.1 stays 1/10); 1-D arrays are
  vectors, 2-D matrices.  NaN, ±∞, complex and other kinds are refused.
"""
from __future__ import annotations

import io
import os
import re
import stat
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp

from .. import ast
from ..errors import LimitError, Pos, Source, SpecError
from ..literals import number as _number

MAX_LOAD_BYTES = 2_000_000
_ENTRY = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _folder_of(node: ast.Expr) -> Path:
    name = node.pos.source.name if node.pos is not None else "<spec>"
    return Path.cwd() if name.startswith("<") else Path(name).parent


def resolve(name: str, node: ast.Expr) -> Path:
    """The confined path of `name` (see the module docstring), or a SpecError at the call:
    looked up in the spec's folder, then in each `--include-path` folder, and allowed only
    under one of them."""
    folder = _folder_of(node).resolve()
    if "\x00" in name or not name.strip():
        raise SpecError("`load` needs a file name, such as load(\"w1.csv\")", node.pos)
    extra = node.pos.source.folders if node.pos is not None else ()
    roots = [folder, *(Path(f).resolve() for f in extra)]
    tried = [root / name for root in roots]
    target = next((p for p in tried if os.path.lexists(p)), tried[0]).resolve()
    if not any(target == root or root in target.parents for root in roots):
        where = " or ".join(str(r) for r in roots)
        raise SpecError(f"load: {name!r} is outside the spec's folder; only files under {where} "
                        "can be loaded (name another folder with --include-path)", node.pos)
    return target


def read_bytes(path: Path, shown: str, node: ast.Expr) -> bytes:
    """The bytes of a regular file of at most MAX_LOAD_BYTES (opened without blocking, so a
    FIFO cannot hang the run; checked with fstat, so no device or /proc entry is read)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise SpecError(f"load: cannot open {shown!r}: {exc.strerror or 'error'}", node.pos) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SpecError(f"load: {shown!r} is not a regular file", node.pos)
        if st.st_size > MAX_LOAD_BYTES:
            raise LimitError(f"load: {shown!r} holds {st.st_size:,} bytes; derive loads at most "
                             f"{MAX_LOAD_BYTES:,}", node.pos)
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1
            data = fh.read(MAX_LOAD_BYTES + 1)
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > MAX_LOAD_BYTES:
        raise LimitError(f"load: {shown!r} grew past {MAX_LOAD_BYTES:,} bytes while read", node.pos)
    return data


def _entry(text: str, src: Source, line: int, col: int, start: int, call: str) -> Fraction:
    cell = text.strip()
    lead = len(text) - len(text.lstrip())
    here = Pos(src, line, col + lead, line, col + lead + max(len(cell), 1), start + lead, start + lead + len(cell))
    if not _ENTRY.fullmatch(cell):
        what = "an empty entry" if not cell else f"`{cell[:30]}` is not a number"
        raise SpecError(f"{what} (entries are decimals such as -0.25 or 1e-3; loaded at {call})", here)
    return _number(cell, here)


def parse_csv(text: str, name: str, call: str) -> list[list[Fraction]]:
    """Rows of exact numbers; blank lines are skipped, a row of another length is an error
    at its first character."""
    src = Source(name, text)
    rows: list[list[Fraction]] = []
    offset = 0
    for i, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        start_of_line = offset
        offset += len(raw) + 1
        if not line.strip():
            continue
        row, col, pos_in_line = [], 1, 0
        for cell in line.split(","):
            row.append(_entry(cell, src, i, col, start_of_line + pos_in_line, call))
            col += len(cell) + 1
            pos_in_line += len(cell) + 1
        if rows and len(row) != len(rows[0]):
            raise SpecError(f"this row has {len(row)} entries, the first row {len(rows[0])} "
                            f"(loaded at {call})", Pos(src, i, 1, i, len(line) + 1, start_of_line,
                                                       start_of_line + len(line)))
        rows.append(row)
    if not rows:
        raise SpecError(f"{name} holds no numbers (loaded at {call})", file=name)
    return rows


def _from_npy(data: bytes, shown: str, node: ast.Expr, check_entries: Any) -> list[list[Fraction]]:
    try:
        import numpy as np
    except ImportError:
        raise SpecError(f"load: reading {shown!r} needs numpy, which is not installed (pip install numpy); "
                        "a .csv file needs nothing", node.pos) from None
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise SpecError(f"load: {shown!r} is not a .npy array ({str(exc)[:120]})", node.pos) from None
    if not isinstance(arr, np.ndarray) or arr.ndim not in (1, 2) or arr.size == 0:
        raise SpecError(f"load: {shown!r} must hold a non-empty 1-D or 2-D array", node.pos)
    if arr.dtype.kind not in "biuf":
        raise SpecError(f"load: {shown!r} holds {arr.dtype} values; derive loads integers and reals", node.pos)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise SpecError(f"load: {shown!r} holds NaN or infinite values", node.pos)
    rows = arr.reshape(-1, 1) if arr.ndim == 1 else arr
    check_entries(rows.shape[0], rows.shape[1], node)
    if arr.dtype.kind == "f":
        return [[Fraction(repr(float(v))) for v in r] for r in rows.tolist()]
    return [[Fraction(int(v)) for v in r] for r in rows.tolist()]


def load_tensor(name: str, node: ast.Expr, check_entries: Any) -> sp.ImmutableMatrix:
    """The tensor in file `name` (see the module docstring); `check_entries(n, m, node)`
    enforces the explicit-tensor limit before the matrix is built."""
    path = resolve(name, node)
    data = read_bytes(path, name, node)
    call = str(node.pos) if node.pos is not None else "the spec"
    if path.suffix.lower() == ".npy":
        rows = _from_npy(data, name, node, check_entries)
    elif path.suffix.lower() == ".csv":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpecError(f"load: {name!r} is not UTF-8 text", node.pos) from None
        rows = parse_csv(text, str(path), call)
        check_entries(len(rows), len(rows[0]), node)
    else:
        raise SpecError(f"load: {name!r} must be a .csv or .npy file", node.pos)
    return sp.ImmutableMatrix(len(rows), len(rows[0]),
                              [sp.Rational(v.numerator, v.denominator) for r in rows for v in r])
