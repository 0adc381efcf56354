"""A step's sentence as data: plain text and mathematics, printed only by a printer.

A derivation never writes LaTeX or Markdown into its sentences.  It says

    say("Back through ", Math(z1), ", which is active since ", Rel(z1_value, ">", 0), ".")

and each output format prints the parts with its own printer (derive.sentence_print):
text is escaped for the format, `Math` is printed by the format's printer of sympy
objects, a `Rel` as `lhs op rhs`.

Parts:

* `str`: plain text (never Markdown or LaTeX; a printer escapes it);
* `Math(expr)`: a sympy object or a plain value (number, tuple, list, bool);
* `Rel(lhs, op, rhs, kind)`: a relation.  `kind` is what the sentence claims by it:
  `"claim"` (the default) is checked by `make_step` with the step's `where` values, and a
  claim that does not hold, or cannot be decided, stops the step (`CheckFailed`); a
  `"definition"`, an `"assumption"` or a `"fact"` (a named, stated result) is shown as
  such and never carries a ✓: in a step that carries a ✓ a definition prints as `a ≔ b`
  and the others with their tag (`TAGS`: "(given)", "(rule)") after them, so a reader sees that the ✓
  does not cover it (`make_step` sets `tagged`);
* `Em(text)`: emphasised plain text; `Code(text)`: spec code, shown verbatim.

`say(*parts)` builds a `Sentence`; a bare sympy object (or number) among the parts is
taken as `Math`.  Sentences concatenate with `+`.
"""
from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any, Iterator, Union

import sympy as sp

from .records import record

# The relations a sentence or chain may show, with how each is printed.
RELATIONS: dict[str, tuple[str, str]] = {   # op: (LaTeX, Unicode)
    "=": ("=", "="), "≠": (r"\neq", "≠"), "<": ("<", "<"), "≤": (r"\le", "≤"), ">": (">", ">"),
    "≥": (r"\ge", "≥"), "≈": (r"\approx", "≈"), "⇔": (r"\iff", "⇔"), "⇒": (r"\implies", "⇒"),
    "∈": (r"\in", "∈"), "∉": (r"\notin", "∉"), "⪰": (r"\succeq", "⪰"), "≻": (r"\succ", "≻"),
    ":=": (r"\mathrel{:=}", "≔"),
}
ALIASES = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}
KINDS = ("claim", "definition", "assumption", "fact")
# What a relation that is not checked is, as printed after it in a step that carries a ✓.
TAGS = {"definition": "by definition", "assumption": "given", "fact": "rule"}


def relation_op(op: str) -> str:
    """The canonical spelling of a relation (`<=` → `≤`); ValueError for an unknown one."""
    op = ALIASES.get(op, op)
    if op not in RELATIONS:
        raise ValueError(f"unknown relation {op!r}")
    return op


@record
class Math:
    """A mathematical object in a sentence: printed by the format's printer."""

    expr: Any


@record
class Rel:
    """`lhs op rhs` in a sentence.  `checked` and `check` (how: "exact", "assumptions",
    "random points", ...) are filled in by `make_step` for a claim; `tagged` is set by
    `make_step` on a definition, assumption or fact in a step that carries a ✓."""

    lhs: Any
    op: str
    rhs: Any
    kind: str = "claim"
    checked: bool | None = None
    check: str = ""
    tagged: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "op", relation_op(self.op))
        if self.kind not in KINDS:
            raise ValueError(f"unknown relation kind {self.kind!r} (one of {', '.join(KINDS)})")

    def with_check(self, checked: bool | None, how: str) -> "Rel":
        return replace(self, checked=checked, check=how)

    def shown(self) -> "Rel":
        """The relation as printed: a tagged definition `a = b` reads `a ≔ b`, the standard
        mark of a definition (no tag after it); any other relation is printed as it is."""
        if self.tagged and self.kind == "definition" and self.op == "=":
            return replace(self, op=":=", tagged=False)
        return self

    @property
    def tag(self) -> str:
        """What the printers put after a tagged relation ("by definition", "given", "rule"),
        or ""."""
        return TAGS.get(self.kind, "") if self.tagged else ""


def tag_unchecked(sentence: "Sentence") -> "Sentence":
    """The sentence with each relation it does not claim (a definition, an assumption, a
    fact) tagged, for a step that carries a ✓ (see `Rel.tag`)."""
    if not any(isinstance(p, Rel) and p.kind != "claim" for p in sentence.parts):
        return sentence
    return Sentence(tuple(replace(p, tagged=True) if isinstance(p, Rel) and p.kind != "claim" else p
                          for p in sentence.parts))


@record
class Em:
    """Emphasised plain text."""

    text: str


@record
class Code:
    """Spec code quoted in a sentence (a goal as written, a keyword)."""

    text: str


SentencePart = Union[str, Math, Rel, Em, Code]


@record
class Sentence:
    """A sequence of parts (see the module docstring)."""

    parts: tuple[SentencePart, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.parts)

    def __add__(self, other: Any) -> "Sentence":
        return say(self, other)

    def __radd__(self, other: Any) -> "Sentence":
        return say(other, self)

    def relations(self) -> Iterator[Rel]:
        """The relations of the sentence, in order."""
        return (p for p in self.parts if isinstance(p, Rel))

    def __str__(self) -> str:
        """The text parts with maths as sympy's plain strings (for messages and debugging;
        `derive.sentence_print.sentence_text` prints it properly)."""
        return "".join(p if isinstance(p, str) else str(p.expr) if isinstance(p, Math)
                       else f"{p.lhs} {p.op} {p.rhs}" if isinstance(p, Rel) else p.text for p in self.parts)


def _part(x: Any) -> SentencePart:
    if isinstance(x, (str, Math, Rel, Em, Code)):
        return x
    if isinstance(x, (sp.Basic, int, float, Fraction, tuple, list, sp.MatrixBase)):
        return Math(x)
    raise TypeError(f"a sentence part must be text or maths, not {type(x).__name__}")


def say(*parts: Any) -> Sentence:
    """A Sentence of `parts`: strings, Math, Rel, Em, Code, Sentences (flattened) or bare
    sympy objects and numbers (taken as Math).  Adjacent strings are joined."""
    out: list[SentencePart] = []
    for p in parts:
        items = p.parts if isinstance(p, Sentence) else (() if p is None or p == "" else (_part(p),))
        for item in items:
            if isinstance(item, str) and out and isinstance(out[-1], str):
                out[-1] = out[-1] + item
            else:
                out.append(item)
    return Sentence(tuple(out))


def join(items: list[Any] | tuple[Any, ...], sep: str = ", ", last: str | None = None) -> Sentence:
    """`a, b and c` as a sentence: the items (maths or sentences) joined by `sep` (and
    `last` before the final one, when given)."""
    out: list[Any] = []
    for k, item in enumerate(items):
        if k:
            out.append(last if (last is not None and k == len(items) - 1) else sep)
        out.append(item)
    return say(*out)
