"""What a derivation produces: `Step`s, an `Answer`, `Result`s, and the `Solution`.

A `Step` is a frozen record of one move in a derivation: a rule name (`chain_rule`,
`substitute`, `newton_step`, ...), a sentence (a `derive.sentence.Sentence` of text and
maths parts; a plain `str` is taken as one text part, never as Markdown), and the maths as
sympy objects:

* `chain` is an equation chain `e0 = e1 = ... = en`.  Every link is checked by
  `derive.verify` when the step is made (use `make_step`), after replacing the symbols
  in `where` by their values; the outcome is kept in `checked`:
  True (the equalities hold), None (nothing to check, e.g. a definition or prose).
  A link that does not hold raises `CheckFailed`: a wrong step is never rendered.
* `relation` is the relation between links (`=` normally; `<`, `≥`, `⇔` for
  statements, which are checked the same way when their sides are numbers).
* the relations a sentence claims (`Rel` parts) are checked the same way (derive.claims);
  `checked` is True only when every chain link and every claim was checked.
* `table` is an optional `Table` (confusion counts, parameter counts, ...).
* `substeps` nest.

Grading tools walk `Solution.problems[i].results[j].answer / .steps` directly.
"""
from __future__ import annotations

from dataclasses import field
from fractions import Fraction
from typing import Any, Iterator


from .errors import Pos
from .sentence import Sentence
from .records import record


@record
class Table:
    """A small table: header cells and rows of cells (plain text, Sentences or sympy objects)."""

    header: tuple[Any, ...]
    rows: tuple[tuple[Any, ...], ...]
    caption: "str | Sentence" = ""


@record
class Step:
    """One move of a derivation.  Build it with `make_step`, which checks `chain`."""

    rule: str
    text: Sentence
    chain: tuple[Any, ...] = ()
    relation: str = "="
    table: Table | None = None
    substeps: tuple["Step", ...] = ()
    checked: bool | None = None
    check: str = ""                 # how it was checked: "exact", "symbolic", "random points", ...
    chain_kind: str = "claim"       # what the chain is: "claim" (checked) or "definition" (check=False)
    where: tuple[tuple[Any, Any], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.text, str):      # plain text: one text part, printed escaped
            object.__setattr__(self, "text", Sentence((self.text,) if self.text else ()))

    def walk(self) -> Iterator["Step"]:
        yield self
        for s in self.substeps:
            yield from s.walk()


def dedupe_chain(chain: list | tuple) -> list:
    """The links of an equation chain without a link that prints like the one before it
    (substituting a value can leave an expression unchanged; a chain never says a = a)."""
    from .printing import latex
    out: list = []
    for c in chain:
        if not out or latex(c) != latex(out[-1]):
            out.append(c)
    return out


def make_step(rule: str, text: "str | Sentence", *chain: Any, where: dict | None = None, relation: str = "=",
              table: Table | None = None, substeps: tuple[Step, ...] | list[Step] = (),
              check: bool = True) -> Step:
    """A checked step.  `where` binds display symbols to the values they stand for.

    With `check=False` the chain is shown as a definition (checked stays None); use it only
    for chains whose links are definitions, never to skip a check that could be made.
    When the step carries a ✓ (`checked` True), each definition, assumption or fact in its
    sentence is tagged (derive.sentence.tag_unchecked), so the printed step shows that the
    ✓ does not cover it.
    """
    from .checkmemo import recall, relevant
    from .verify import check_chain
    items = tuple(where.items()) if where else ()
    checked, how = (None, "")
    if check and len(chain) > 1:
        checked, how = recall("chain", lambda: check_chain(chain, dict(items), relation=relation, rule=rule,
                                                       text=text), chain, relevant(items, chain), relation)
    if isinstance(text, Sentence):
        from .claims import check_sentence
        text, claims = check_sentence(text, dict(items), rule)   # (raises on a false claim)
        if len(chain) < 2:
            checked, how = claims, ("claims" if claims else "")
        if checked:
            from .sentence import tag_unchecked
            text = tag_unchecked(text)
    text = Sentence((text,) if text else ()) if isinstance(text, str) else text
    return Step(rule, text, tuple(chain), relation, table, tuple(substeps), checked, how,
                "claim" if check else "definition", items)


@record
class Answer:
    """The final answer of a goal.

    `expr` is the sympy object (or a Python value: bool, str, tuple of shapes, dict);
    `text` is parseable by SymPy's parse_expr given the problem's symbols; `value` is
    JSON-ready (float, nested lists, [lo, hi], dict, bool or None when symbolic).
    `display` is the object shown when it differs from `expr` (an equation `φ(x) = ...`,
    a set); `latex` is the LaTeX of what is shown, printed by derive.printing.  `prose`
    is authored Markdown, or a derived `Sentence` (a verdict's reason).  `approx` is the
    decimal form of an exact tensor answer with a non-integer entry, to
    `derive.printing.APPROX_DIGITS` significant digits, checked (`expr ≈ approx` by its error bound) when it was made;
    every format shows it beside the answer (derive.answers.decimal_tensor).
    """

    expr: Any
    text: str
    latex: str
    value: Any = None
    choice: str | None = None
    prose: "str | Sentence | None" = None
    extra: tuple[tuple[str, Any], ...] = ()
    display: Any = None
    approx: Any = None


@record
class ErrorInfo:
    message: str
    line: int | None
    column: int | None
    kind: str = "error"


@record
class Result:
    """One goal's outcome: an answer with its steps, or an error."""

    label: str | None
    goal: str | None
    answer: Answer | None
    steps: tuple[Step, ...] = ()
    error: ErrorInfo | None = None
    marks: Fraction | None = None
    pos: Pos | None = field(default=None, compare=False, repr=False)
    title: "Sentence | None" = None     # what the goal asks for, as maths ("∂L/∂w")
    id: str | None = None               # the stable id graders use: "4(d)", "II.1(b)", "mlp(d)", "4(a)#2"
    origin: Any = field(default=None, compare=False, repr=False)   # (problem definition, number, ref, goal index)
    readings: tuple[tuple[str, Any, Any], ...] = ()   # (reading, Answer or None, error): derive.readings

    @property
    def ok(self) -> bool:
        return self.error is None


@record
class Part:
    """A sub-question's printed text (from `(a) text "..."`)."""
    label: str | None
    text: str
    marks: Fraction | None = None


@record
class ProblemSolution:
    title: str
    section: str | None
    points: Fraction | None
    text: str
    results: tuple[Result, ...]
    parts: tuple[Part, ...] = ()
    number: int = 0
    assumptions: "tuple[Sentence, ...]" = ()     # the conventions the solution relies on
    ref: str = ""                                # its results' ids start with it: "4", "II.1", "mlp"
    data: "tuple[Sentence, ...]" = ()            # the data it gives that its text does not show
    options: "tuple[tuple[str, Sentence], ...]" = ()   # its multiple choice: (label, option)


@record
class Solution:
    """A solved spec: header fields and the problems in document order."""

    problems: tuple[ProblemSolution, ...]
    title: str | None = None
    course: str | None = None
    date: str | None = None
    source: str = "<spec>"
    header: tuple[tuple[str, str], ...] = ()
    variant: "dict | None" = None       # a drawn variant: seed, key, values, answers (derive.variants)

    @property
    def results(self) -> tuple[Result, ...]:
        return tuple(r for p in self.problems for r in p.results)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def result(self, id: str) -> Result:
        """The result with this id (`"4(d)"`); KeyError when there is none."""
        for r in self.results:
            if r.id == id:
                return r
        raise KeyError(f"no result has the id {id!r}")

    def to_json(self) -> dict:
        """The JSON contract of docs/json.md as a plain dict."""
        from .render import to_json
        return to_json(self)

    def render(self, fmt: str = "md", **options: Any) -> str:
        from .render import render
        return render(self, fmt, **options)

    def _repr_markdown_(self) -> str:
        return self.render("md")

    def _repr_latex_(self) -> str:
        return self.render("latex", standalone=False)

    def _repr_html_(self) -> str:
        """An HTML fragment (its style scoped to itself) for a notebook cell."""
        return self.render("html", standalone=False)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """What a notebook shows: HTML (a fragment), Markdown and plain text by default, LaTeX
        (the body) too when asked for; each rendered only if wanted."""
        makers = {"text/html": self._repr_html_, "text/markdown": self._repr_markdown_,
                  "text/latex": self._repr_latex_, "text/plain": lambda: self.render("text")}
        wanted = [k for k in makers if (k in include if include else k != "text/latex")
                  and not (exclude and k in exclude)]
        return {k: makers[k]() for k in wanted}
