"""One error root for everything a user can get wrong.

A `DeriveError` carries a message, an optional position in a spec (file, line, column and
the source line, so it can print a caret) and the exit code the CLI uses.  Library callers
catch it; the CLI prints `str(error)` and exits with `error.exit_code`.
"""
from __future__ import annotations

from dataclasses import field

from .records import record


@record
class Source:
    """A spec's text and the name it is reported under (a path, or `<stdin>`); `folders` are
    the `--include-path` folders its `include`s and `load`s may also read from."""

    name: str
    text: str
    folders: tuple[str, ...] = field(default=(), compare=False)

    def line(self, number: int) -> str:
        lines = self.text.splitlines()
        return lines[number - 1] if 1 <= number <= len(lines) else ""


@record
class Pos:
    """A span in a source: 1-based line and column of its start, offsets into the text."""

    source: Source
    line: int
    column: int
    end_line: int = 0
    end_column: int = 0
    start: int = 0
    end: int = 0

    @property
    def file(self) -> str:
        return self.source.name

    def snippet(self) -> str:
        """The text the span covers, white space folded (used to show a goal)."""
        if self.end > self.start:
            return " ".join(self.source.text[self.start:self.end].split())
        return ""

    def caret(self, width_limit: int = 100) -> str:
        """The source line and a caret under the span (a window of a long line, marked `…`)."""
        line = self.source.line(self.line).rstrip("\r")
        if not line.strip():
            return ""
        col = max(self.column - 1, 0)
        width = 1
        if self.end_line == self.line and self.end_column > self.column:
            width = self.end_column - self.column
        start = 0
        if len(line) > width_limit:
            start = max(0, min(col - width_limit // 3, len(line) - width_limit))
        shown = line[start:start + width_limit]
        lead = "…" if start > 0 else ""
        tail = "…" if start + width_limit < len(line) else ""
        pad = " " * len(lead) + "".join(c if c == "\t" else " " for c in shown[: col - start])
        width = max(1, min(width, len(shown) - (col - start) + 1, 60))
        return f"  {lead}{shown}{tail}\n  {pad}{'^' * width}"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class DeriveError(Exception):
    """Anything wrong with a spec or a request.  `exit_code` is 2 unless a subclass says."""

    exit_code = 2
    kind = "error"

    def __init__(self, message: str, pos: Pos | None = None, *, file: str | None = None):
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.file = file

    @property
    def line(self) -> int | None:
        return self.pos.line if self.pos else None

    @property
    def column(self) -> int | None:
        return self.pos.column if self.pos else None

    def at(self, pos: Pos | None) -> "DeriveError":
        """This error, placed at `pos` unless it already has a position."""
        if self.pos is None and pos is not None:
            self.pos = pos
        return self

    def __str__(self) -> str:
        if self.pos is None:
            where = f"{self.file}: " if self.file else ""
            return f"{where}error: {self.message}"
        text = f"{self.pos}: error: {self.message}"
        caret = self.pos.caret()
        return f"{text}\n{caret}" if caret else text


class SpecSyntaxError(DeriveError):
    """The text is not in the language (a lark parse error, put into words)."""


def quoted(code: str) -> str:
    """Spec code as an error message quotes it: in backticks."""
    return f"`{code}`"


class SpecError(DeriveError):
    """The text parses but means nothing: an unknown name, a shape mismatch, a bad argument."""


class LimitError(DeriveError):
    """The spec asks for more than derive will compute (huge powers, matrices, nesting)."""


class Unsupported(DeriveError):
    """A goal or builtin that no deriver handles yet; the other goals still solve."""


class InternalError(DeriveError):
    """Something failed that should not have: a bug in derive, reported with the spec position
    it happened at instead of a traceback.  Tests treat it as a failure."""

    exit_code = 3
    kind = "internal"


class CheckFailed(DeriveError):
    """A step's equality did not hold when the engine checked it: a bug, never rendered."""

    exit_code = 1
