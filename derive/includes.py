"""Reading spec files safely, and where an `include` may read from.

* `read_spec_file(path, max_bytes)`: the text of a regular file of at most `max_bytes`.
  A device (`/dev/zero`), a FIFO, a folder or a /proc file is refused before it is read:
  `os.stat` first, then the file is opened with O_NONBLOCK (a FIFO swapped in after the
  stat cannot block the open) and `fstat`ed again, and at most `max_bytes + 1` bytes are
  read whatever the file claims its size is.
* `Confinement`: the folders an include may name files in: the folder of the spec being
  solved (the working folder for standard input or spec text) and those given with
  `--include-path` / `solve(include_path=...)`.  A target is resolved against the
  including file's folder, then each include folder in order; symbolic links are
  followed first, so a link cannot lead outside.

Errors never quote the file they refused: a message names the path and the reason only.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Sequence

from .errors import DeriveError, LimitError, SpecError


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _refuse_special(st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        raise SpecError(f"it is {_kind(st.st_mode)}, not a spec file (only regular files are read)")


def read_spec_file(path: str | os.PathLike, max_bytes: int, *, regular_only: bool = True) -> str:
    """The UTF-8 text of the regular file `path` (a byte-order mark dropped), or a
    DeriveError / LimitError without a position that says why not (never what it holds).
    `regular_only=False` (the spec named on the command line, which may be a pipe such as
    `<(cat exam.spec)`) still refuses folders and reads at most `max_bytes + 1` bytes."""
    try:
        st = os.stat(path)
        if regular_only or stat.S_ISDIR(st.st_mode):
            _refuse_special(st)
        if stat.S_ISREG(st.st_mode) and st.st_size > max_bytes:
            raise LimitError(_too_large(max_bytes))
        if regular_only and st.st_size == 0 and Path(path).resolve().is_relative_to("/proc"):
            raise SpecError("it is a /proc file, not a spec file")
        flags = os.O_RDONLY | getattr(os, "O_NOCTTY", 0) | (getattr(os, "O_NONBLOCK", 0) if regular_only else 0)
        fd = os.open(path, flags)
        try:
            again = os.fstat(fd)
            if regular_only:
                _refuse_special(again)
            if (again.st_dev, again.st_ino) != (st.st_dev, st.st_ino):
                raise SpecError("it changed while derive opened it")
            data = _read_at_most(fd, max_bytes + 1)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise SpecError("no such file") from None
    except IsADirectoryError:
        raise SpecError("it is a directory, not a spec file") from None
    except OSError as exc:
        raise SpecError(f"cannot read it: {exc.strerror or type(exc).__name__}") from None
    if len(data) > max_bytes:
        raise LimitError(_too_large(max_bytes))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not UTF-8 text (byte {exc.start} cannot be decoded)") from None


def _too_large(max_bytes: int) -> str:
    return f"the spec is larger than {max_bytes // 1000:,} kB; split it into files joined with `include`"


def _read_at_most(fd: int, n: int) -> bytes:
    chunks: list[bytes] = []
    while n > 0:
        try:
            chunk = os.read(fd, min(n, 1 << 16))
        except BlockingIOError:   # pragma: no cover - only a non-regular file blocks (refused above)
            raise SpecError("it is not a regular file (reading it would wait)") from None
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class Confinement:
    """The folders that `include`s of one spec may read from (see the module docstring)."""

    def __init__(self, spec_name: str, include_path: Sequence[str | os.PathLike] = ()):
        home = Path.cwd() if spec_name.startswith("<") else Path(spec_name).parent
        self.extra = tuple(Path(p) for p in include_path)
        for folder in self.extra:
            if not folder.is_dir():
                raise DeriveError(f"--include-path {folder}: no such folder")
        self.roots = tuple(dict.fromkeys(os.path.realpath(p) for p in (home, *self.extra)))

    def resolve(self, target: str, including: str) -> Path:
        """The real path that `include "target"` in the file `including` reads, or a
        SpecError (without a position) if it names nothing allowed."""
        base = Path.cwd() if including.startswith("<") else Path(including).parent
        tried = [base / target] + [folder / target for folder in self.extra]
        found = next((p for p in tried if os.path.lexists(p)), tried[0])
        real = Path(os.path.realpath(found))
        if not any(real == Path(root) or real.is_relative_to(root) for root in self.roots):
            where = " or ".join(self.roots)
            raise SpecError(f"cannot include {target}: it is outside {where}, the folders a spec may include "
                            "from (name another with --include-path)")
        return real
