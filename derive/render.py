"""Solutions rendered as Markdown, LaTeX, HTML, JSON or terminal text.

`render(solution, fmt, view=, templates=, standalone=)` -> str.  Templates live in
`renderers/<format>/solution.j2` (and the macros it imports from
`renderers/<format>/macros.j2`), ship inside the wheel, and lay out; the maths they show
comes from the filters registered here:

* LaTeX maths of any object: `printing.latex` (`tex` filter), one printer for all formats;
* md: display maths as `$$` blocks safe for GitHub and Jupyter (`md_chain`, `md_math`),
  Markdown tables (`md_table`);
* latex: chains in `align*` one link per line when long, every display fitted to the
  line width at TeX time (`tex_chain`, `tex_display`), booktabs tables (`tex_table`);
* html: presentation MathML from sympy's printer (`mathml.py`), chains as a grid that
  aligns the relations (`html_chain`), HTML tables (`html_table`);
* text: sympy's 2-D Unicode pretty printer (`pretty.py`) and aligned tables;
* prose (Markdown with $maths$) through the format's `prose` / `prose_inline` filters.

Templates get `solution`, `view` (solutions | paper | key) and `standalone` (LaTeX: a
full document, or only the body for Jupyter's `_repr_latex_` and `\\input`).  Every view shows
the questions; `groups` pairs each sub-question's text and marks with its results; the
LaTeX layout is TeX macros in `latex/defs.j2` (docs/exams.md).
`templates=DIR` puts a user's folder first in a ChoiceLoader, so any template can be
overridden by a file of the same relative path (`md/solution.j2`, `latex/macros.j2`, ...).
`to_json` is the stable contract of docs/json.md; its output is deterministic.
"""
from __future__ import annotations

import functools

import json
import math
import re
from typing import Any, Callable

import jinja2
from markupsafe import Markup

from .printing import latex
from .sentence import Sentence
from .sentence_print import mathml_of as _mathml_of, md_code, print_sentence
from .steps import Answer, ErrorInfo, ProblemSolution, Result, Solution, Step, Table
from .version import __version__

FORMATS: tuple[str, ...] = ("md", "latex", "html", "json", "text")
VIEWS: tuple[str, ...] = ("solutions", "paper", "key")

# A chain whose links (as 2-D Unicode, a fair proxy for typeset width) take more columns
# than this is broken one link per line.
CHAIN_WIDTH = {"md": 60, "latex": 56, "html": 60, "text": 78}

REL_TEX = {"=": "=", "<": "<", "<=": r"\le", "≤": r"\le", ">": ">", ">=": r"\ge", "≥": r"\ge",
           "≈": r"\approx", "⇔": r"\iff", "⇒": r"\implies", "≠": r"\neq"}
REL_UNICODE = {"<=": "≤", ">=": "≥", "⇔": "⇔", "⇒": "⇒"}


# ---- maths of steps (shared) ----------------------------------------------------------

def _rel(step: Step) -> str:
    return REL_TEX.get(step.relation, step.relation)


def chain_latex(step: Step, sep: str = " ") -> str:
    """The step's equation chain as one LaTeX line: e0 = e1 = ... ."""
    return f"{sep}{_rel(step)}{sep}".join(latex(e) for e in step.chain)


def _caption(table: Table, fmt: str) -> str:
    """A table's caption in `fmt`: a Sentence by its printer, authored text as prose."""
    if isinstance(table.caption, Sentence):
        return print_sentence(table.caption, fmt)
    if fmt == "latex":
        from .prose import to_latex_inline
        return to_latex_inline(table.caption)
    if fmt == "html":
        from .prose import to_html_inline
        return to_html_inline(table.caption)
    return table.caption


def _cell_tex(c: Any) -> str:
    if isinstance(c, Sentence):
        return r"\text{%s}" % print_sentence(c, "latex")
    if isinstance(c, str):
        return r"\text{%s}" % c.replace("\\", "").replace("_", r"\_").replace("{", r"\{").replace("}", r"\}")
    return latex(c)


def table_latex(table: Table) -> str:
    """A table as one LaTeX `array` (used in JSON's step `latex`)."""
    cols = len(table.header)
    head = " & ".join(_cell_tex(c) for c in table.header)
    body = r" \\ ".join(" & ".join(_cell_tex(c) for c in row) for row in table.rows)
    return r"\begin{array}{%s} %s \\ \hline %s \end{array}" % ("l" * cols, head, body)


def step_latex(step: Step) -> str:
    """All of a step's maths as one LaTeX string (chain, then table)."""
    parts = []
    if step.chain:
        parts.append(chain_latex(step))
    if step.table is not None:
        parts.append(table_latex(step.table))
    return r" \qquad ".join(parts)


@functools.lru_cache(maxsize=4096)
def _width_of_latex(tex: str) -> int:
    from .texunicode import tex_to_unicode
    return len(tex_to_unicode(tex))


def item_width(x: Any) -> int:
    """Columns `x` takes in 2-D Unicode: a proxy for its typeset width."""
    from .pretty import _form
    try:
        return _form(x).width()
    except Exception:   # an object the pretty printer cannot lay out: estimate from its LaTeX
        return _width_of_latex(latex(x))


def _min_width(x: Any) -> int:
    """A lower bound of `item_width(x)` that costs nothing: an explicit matrix of c columns
    takes at least 2c + 1 (entries, spaces, brackets)."""
    import sympy as sp            # (already loaded by then; render.py itself does not need it)
    return 2 * int(x.shape[1]) + 1 if isinstance(x, sp.MatrixBase) else 0


def is_long(items: tuple[Any, ...] | list[Any], fmt: str) -> bool:
    """Whether a chain is broken one link per line in `fmt` (widths are summed only until
    the limit is passed: laying out a 64×64 matrix in 2-D only to learn that it is wide
    took most of a big network's rendering)."""
    if len(items) <= 2:
        return False
    limit = CHAIN_WIDTH[fmt]
    total = 3 * (len(items) - 1)
    if total + sum(_min_width(x) for x in items) > limit:
        return True
    for x in items:
        total += item_width(x)
        if total > limit:
            return True
    return False


def answer_tex(a: Answer) -> str:
    return a.latex if a.latex else latex(a.expr)


# ---- md -----------------------------------------------------------------------------

_MD_LINE_START = re.compile(r"^([-+*](\s|$)|#{1,6}(\s|$)|>|=+\s*$|-+\s*$|<[A-Za-z/!?]|\d{1,9}[.)](\s|$))")


def md_display(tex: str) -> str:
    """A `$$` block GitHub and Jupyter both render: every `\\\\` ends its line, and no line
    starts with something Markdown would read as a list, quote or heading."""
    body = re.sub(r"\\\\\s*", "\\\\\\\\\n", tex.strip())
    lines = []
    for line in body.split("\n"):
        line = line.strip()
        if _MD_LINE_START.match(line):
            line = "{}" + line
        lines.append(line)
    return "$$\n" + "\n".join(lines) + "\n$$"


def md_inline_ok(tex: str) -> bool:
    """Inline `$...$` is safe on GitHub only without `\\\\` and not too wide."""
    return "\\\\" not in tex and len(tex) < 120 and "\n" not in tex


def md_chain(step: Step) -> str:
    items = step.chain
    rel = _rel(step)
    if not items:
        return ""
    if len(items) > 2 and is_long(items, "md"):
        lines = [r"\begin{aligned}" + f" {latex(items[0])} &{rel} {latex(items[1])}"]
        lines += [f"&{rel} {latex(e)}" for e in items[2:]]
        return md_display(" \\\\ ".join(lines) + r" \end{aligned}")
    return md_display(chain_latex(step))


def _md_cell(c: Any) -> str:
    if isinstance(c, Sentence):
        return print_sentence(c, "md").replace("|", r"\|")
    if isinstance(c, str):
        from .prose import to_markdown_inline
        return to_markdown_inline(c, in_table=True)
    tex = latex(c)
    if "\\\\" in tex:       # a matrix: no line breaks inside a table cell
        from .pretty import inline
        return "`" + inline(c).replace("`", "'") + "`"
    tex = tex.replace(r"\|", r"\Vert ").replace("|", r"\vert ")
    return f"${tex}$"


def md_table(table: Table) -> str:
    """A Table step as a Markdown (GFM) table; maths cells in `$...$`."""
    head = "| " + " | ".join(_md_cell(c) for c in table.header) + " |"
    rule = "|" + "|".join("---" for _ in table.header) + "|"
    rows = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    caption = f"*{_caption(table, 'md')}*\n\n" if table.caption else ""
    return caption + "\n".join([head, rule] + rows)


def md_math(tex: str) -> str:
    """Inline `$tex$` when safe, otherwise a display block on its own lines."""
    if md_inline_ok(tex):
        return f"${tex}$"
    return "\n\n" + md_display(tex) + "\n"


def md_item(text: str, number: int) -> str:
    """`text` as item `number` of an ordered list (continuation lines indented to match)."""
    mark = f"{number}. "
    lines = str(text).split("\n")
    return mark + lines[0] + "".join("\n" + (" " * len(mark) + line if line.strip() else "") for line in lines[1:])


def quote_lines(text: str, prefix: str) -> str:
    """Every line of `text` behind the block-quote `prefix` ("> ", "> > ", ...)."""
    text = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", str(text).strip("\n"))   # one blank line at most
    if not prefix:
        return text
    return "\n".join(prefix + line if line.strip() else prefix.rstrip() for line in text.split("\n"))


# ---- latex ------------------------------------------------------------------------------

FIT_MACROS = r"""\providecommand{\derivefit}[2][\linewidth]{\leavevmode\setbox0=\hbox{#2}%
  \ifdim\wd0>#1\relax\resizebox{#1}{!}{\box0}\else\box0\fi}%
\setcounter{MaxMatrixCols}{64}"""


def tex_display(tex: str) -> str:
    """Display maths fitted to the line width (scaled down only when wider)."""
    return "\\[ \\derivefit{$\\displaystyle %s$} \\]" % tex


def tex_chain(step: Step) -> str:
    """A chain as display maths: one line if short, else `align*` with one link a line."""
    items = step.chain
    if not items:
        return ""
    rel = _rel(step)
    if len(items) > 2 and is_long(items, "latex"):
        lhs = latex(items[0])
        wide_lhs = item_width(items[0]) > 14
        fit = r"\derivefit[\dimexpr\linewidth-%s\relax]{$\displaystyle %s$}"
        first = (f"& {lhs} \\\\\n  &{rel} " + fit % ("4em", latex(items[1])) if wide_lhs else
                 f"{lhs} &{rel} " + fit % ("%dem" % min(3 + item_width(items[0]) // 2, 12), latex(items[1])))
        lines = [first]
        for e in items[2:]:
            lines.append(f"  &{rel} " + fit % ("%dem" % (4 if wide_lhs else min(3 + item_width(items[0]) // 2, 12)),
                                               latex(e)))
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"
    return tex_display(chain_latex(step))


def _tex_cell(c: Any) -> str:
    from .prose import to_latex_inline
    if isinstance(c, Sentence):
        return print_sentence(c, "latex")
    if isinstance(c, str):
        return to_latex_inline(c)
    return f"${latex(c)}$"


def tex_table(table: Table) -> str:
    """A Table step as a booktabs tabular, scaled down only if wider than the line."""
    cols = "l" + "r" * (len(table.header) - 1) if all(not isinstance(c, str) for r in table.rows for c in r[1:]) \
        else "l" * len(table.header)
    head = " & ".join(_tex_cell(c) for c in table.header)
    rows = "\n".join(" & ".join(_tex_cell(c) for c in row) + r" \\" for row in table.rows)
    caption = ""
    if table.caption:
        from .prose import to_latex_inline
        caption = "\\emph{%s}\\par\\smallskip\n" % _caption(table, "latex")
    body = ("\\begin{tabular}{%s}\n\\toprule\n%s \\\\\n\\midrule\n%s\n\\bottomrule\n\\end{tabular}"
            % (cols, head, rows))
    return ("\\begin{center}\n%s{\\renewcommand{\\arraystretch}{1.6}\\derivefit{%s}}\n\\end{center}"
            % (caption, body))


def tex_answer(a: Answer) -> str:
    tex = answer_tex(a)
    if "\\\\" in tex or len(tex) > 60:
        return "\n" + tex_display(tex)
    return f"$\\displaystyle {tex}$"


def tex_escape(text: Any) -> str:
    from .texchars import escape_text
    return escape_text(str(text))


def tex_code(text: Any) -> str:
    from .texchars import escape_verbatim
    return r"\texttt{%s}" % escape_verbatim(str(text))


# ---- html --------------------------------------------------------------------------------

def html_math(x: Any, display: bool = False) -> Markup:
    return Markup(_mathml_of(x, display))


def html_chain(step: Step) -> Markup:
    """A chain as MathML: one display line if short, else a grid aligning the relations."""
    from .mathml import MATHML_NS, mathml_body, mo
    items = step.chain
    if not items:
        return Markup("")
    rel = REL_UNICODE.get(step.relation, step.relation)
    if len(items) > 2 and is_long(items, "html"):
        cells = []
        for k, e in enumerate(items[1:]):
            lhs = _mathml_of(items[0], displaystyle=True) if k == 0 else ""
            cells.append(f'<div class="lhs">{lhs}</div><div class="rel">'
                         f'<math xmlns="{MATHML_NS}">{mo(rel)}</math></div>'
                         f'<div class="rhs">{_mathml_of(e, displaystyle=True)}</div>')
        return Markup('<div class="chain grid">' + "\n".join(cells) + "</div>")
    try:
        parts = []
        for k, e in enumerate(items):
            if k:
                parts.append(mo(rel))
            parts.append(mathml_body(e))
        body = f'<math xmlns="{MATHML_NS}" display="block"><mrow>{"".join(parts)}</mrow></math>'
    except Exception:
        from .prose import tex_to_mathml
        body = tex_to_mathml(chain_latex(step), display=True)
    return Markup(f'<div class="chain">{body}</div>')


def html_table(table: Table) -> Markup:
    from .prose import to_html_inline

    def cell(c: Any, tag: str) -> str:
        if isinstance(c, Sentence):
            return f"<{tag}>{print_sentence(c, 'html')}</{tag}>"
        if isinstance(c, str):
            return f"<{tag}>{to_html_inline(c)}</{tag}>"
        return f'<{tag} class="num">{_mathml_of(c)}</{tag}>'

    caption = f"<caption>{_caption(table, 'html')}</caption>" if table.caption else ""
    head = "".join(cell(c, "th") for c in table.header)
    rows = "\n".join("<tr>" + "".join(cell(c, "td") for c in row) + "</tr>" for row in table.rows)
    return Markup(f'<table class="steptable">{caption}\n<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n'
                  f"</tbody>\n</table>")


def html_answer(a: Answer) -> Markup:
    """The answer's maths: sympy's MathML of the object, or the deriver's own LaTeX if it gave one."""
    if a.display is not None:
        return html_math(a.display)
    if a.latex and a.latex != latex(a.expr):
        from .prose import tex_to_mathml
        return Markup(tex_to_mathml(a.latex))
    return html_math(a.expr)


# ---- text ---------------------------------------------------------------------------------

def indent(text: str, n: int = 2) -> str:
    """Every non-empty line indented by n spaces."""
    pad = " " * n
    return "\n".join(pad + line if line.strip() else "" for line in str(text).split("\n"))


def hang(text: str, pad: str = "", first: int = 0) -> str:
    """`text` behind `pad`, its continuation lines indented `first` columns further
    (a hanging indent under a list marker or an `Answer: ` label)."""
    lines = str(text).split("\n")
    out = [pad + lines[0]]
    out += [(pad + " " * first + line) if line.strip() else "" for line in lines[1:]]
    return "\n".join(out)


def wrap(text: str, width: int = 78) -> str:
    """Long lines of plain text wrapped at `width` (indented blocks, such as maths, kept)."""
    from .prose import _wrap
    return "\n".join(w for line in str(text).split("\n") for w in _wrap(line, width))


def text_chain(step: Step, width: int = 74) -> str:
    from .pretty import chain_lines
    return chain_lines(step.chain, step.relation, width=width)


def text_table(table: Table) -> str:
    from .pretty import inline
    from .prose import aligned_table, to_text_inline
    def cell(c: Any) -> str:
        if isinstance(c, Sentence):
            return print_sentence(c, "text")
        return to_text_inline(c) if isinstance(c, str) else inline(c)
    rows = [[cell(c) for c in table.header]]
    rows += [[cell(c) for c in row] for row in table.rows]
    align = ["l"] + ["r" if all(not isinstance(r[k], str) for r in table.rows) else "l"
                     for k in range(1, len(table.header))]
    out = aligned_table(rows, "", align)
    return (_caption(table, "text") + "\n" + out) if table.caption else out


def text_answer(a: Answer, label: str = "Answer: ") -> str:
    """`Answer: ...` with the label on the baseline of a 2-D answer (a fraction, a matrix)."""
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    from .pretty import _form, _render
    from .texunicode import tex_to_unicode
    head = label + (f"({a.choice}) " if a.choice else "")
    if not a.latex:
        return head.rstrip()
    if a.display is not None:
        form = _form(a.display)
    elif a.latex != latex(a.expr):
        form = prettyForm(tex_to_unicode(a.latex))
    else:
        form = _form(a.expr)
    return _render(stringPict(*stringPict.next(prettyForm(head), form)))


# ---- layout helpers shared by the templates ------------------------------------------------

ERROR_TITLES = {"unsupported": "Not derived (not supported yet)", "check_failed": "Not derived (a step failed its check)",
                "limit": "Not derived (too large to derive)", "error": "Not derived"}


ERROR_REASONS = {"unsupported": "not supported yet", "check_failed": "a step failed its check",
                 "limit": "too large to derive", "error": ""}


def error_title(error: ErrorInfo) -> str:
    return ERROR_TITLES.get(error.kind, "Not derived")


def error_reason(error: ErrorInfo) -> str:
    """Why a goal was not derived, in a few words ("" for an error in the goal itself)."""
    return ERROR_REASONS.get(error.kind, "")


def error_where(error: ErrorInfo) -> str:
    if error.line is None:
        return ""
    return f"line {error.line}" + (f", column {error.column}" if error.column is not None else "")


def choice_label(a: Answer) -> str:
    """The option letter(s) of a multiple-choice answer as printed: "(d)", "(a), (c)"."""
    if not a.choice:
        return ""
    return ", ".join(f"({c.strip()})" for c in str(a.choice).split(","))


def shows_maths(a: Answer) -> bool:
    """Whether the answer's maths adds to its choice letter (a bare "(d)" does not)."""
    if not a.latex:
        return False
    return not (a.choice and a.latex.replace(" ", "") == r"\text{%s}" % choice_label(a).replace(" ", ""))


def shows_prose(a: Answer) -> bool:
    """Whether the answer's prose adds to its choice letter and maths ("**(d)**" does not)."""
    if not a.prose:
        return False
    if isinstance(a.prose, Sentence):
        return True
    return not (a.choice and a.prose.strip().strip("*").strip() == choice_label(a))


_ANSWER_LEAD = re.compile(r"^\s*\*\*Answer[:.]?\*\*[:.]?\s*")


def answer_prose(a: Answer) -> str:
    """The prose shown with a derived answer ("" when it adds nothing), without a leading
    **Answer:** of its own (the templates label the answer already)."""
    if not shows_prose(a):
        return ""
    if isinstance(a.prose, Sentence):
        return a.prose
    return _ANSWER_LEAD.sub("", a.prose, count=1)


def result_where(r: Result, source: str | None = None) -> str:
    """Where a failed goal is: "line 18, column 16", with the file's name when the goal
    comes from an included file (not `source`, the spec that was solved)."""
    if r.error is None:
        return ""
    where = error_where(r.error)
    if where and r.pos is not None and source and r.pos.file != source:
        import os
        where = f"{os.path.basename(r.pos.file)}, {where}"
    return where


def groups(problem: ProblemSolution) -> list[dict]:
    """The problem's sub-questions in order: each part's text with the results of its label.

    Parts (`(a) text "..."`) and results are matched by label; a part comes just before the
    first result of its label (parts before it in the spec come first), parts with no
    result at the end.  Each group is {"label", "part" (a Part or None), "results",
    "marks"}: the marks of the part, or else of the label's first result that has some.
    Unlabelled results are groups of their own (label None).
    """
    parts = list(problem.parts)
    out: list[dict] = []
    index: dict[str, dict] = {}
    for r in problem.results:
        if r.label is None:
            out.append({"label": None, "part": None, "results": [r], "marks": r.marks})
            continue
        if r.label not in index and any(p.label == r.label for p in parts):
            while parts:
                p = parts.pop(0)
                g = {"label": p.label, "part": p, "results": [], "marks": p.marks}
                out.append(g)
                index.setdefault(p.label, g)
                if p.label == r.label:
                    break
        if r.label not in index:
            index[r.label] = {"label": r.label, "part": None, "results": [], "marks": None}
            out.append(index[r.label])
        g = index[r.label]
        g["results"].append(r)
        if g["marks"] is None:
            g["marks"] = r.marks
    out.extend({"label": p.label, "part": p, "results": [], "marks": p.marks} for p in parts)
    return out


def any_checked(solution: Solution) -> bool:
    return any(s.checked for r in solution.results for top in r.steps for s in top.walk())


def header_value(solution: Solution, key: str) -> str | None:
    for k, v in solution.header:
        if k == key:
            return v
    return None


def _num(x):
    if x is None:
        return None
    return int(x) if x == int(x) else float(x)


def _plural(x, word: str) -> str:
    n = _num(x)
    return f"{n} {word}" + ("" if n == 1 else "s")


# ---- JSON --------------------------------------------------------------------------------

def _clean(x: Any) -> Any:
    """JSON-safe values: non-finite floats become null, whole ones integers (`0.0` -> `0`, as
    docs/json.md promises; up to 2^53, where floats are exact), tuples lists, keys strings."""
    if isinstance(x, float):
        if not math.isfinite(x):
            return None
        return int(x) if x.is_integer() and abs(x) <= 2 ** 53 else x
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if x is None or isinstance(x, (bool, int, str)):
        return x
    from .printing import answer_value
    return _clean(answer_value(x))


def _step_json(step: Step) -> dict:
    text = print_sentence(step.text, "md") if isinstance(step.text, Sentence) else step.text
    out: dict[str, Any] = {"rule": step.rule, "text": text, "latex": step_latex(step),
                           "checked": step.checked}
    relations = [_relation_json(r) for r in step.text.relations()] if isinstance(step.text, Sentence) else []
    if step.chain and len(step.chain) > 1:
        relations.insert(0, {"part": "chain", "op": step.relation,
                             "kind": "claim" if step.check else "definition",
                             "checked": step.checked})
    if relations:
        out["check"] = step.check
        out["relations"] = relations
    if step.substeps:
        out["substeps"] = [_step_json(s) for s in step.substeps]
    return out


def _relation_json(r: Any) -> dict:
    from .sentence_print import rel_latex
    return {"part": "text", "latex": rel_latex(r), "op": r.op,
            "kind": r.kind, "checked": r.checked}


def _result_json(r: Result) -> dict:
    out: dict[str, Any] = {"id": r.id, "label": r.label, "goal": r.goal, "marks": _num(r.marks)}
    if r.title is not None:
        out["title"] = print_sentence(r.title, "md")
    if r.error is not None:
        out["error"] = {"message": r.error.message, "line": r.error.line, "column": r.error.column,
                        "kind": r.error.kind}
        return out
    a = r.answer
    extra = dict(a.extra)
    kind = extra.get("kind", "expression")
    ans: dict[str, Any] = {"text": a.text, "latex": a.latex, "value": _clean(a.value), "kind": kind}
    if a.choice is not None:
        ans["choice"] = a.choice
    if kind == "prose" and a.prose is not None:    # the Markdown shown (a derived sentence printed)
        ans["prose"] = print_sentence(a.prose, "md") if isinstance(a.prose, Sentence) else a.prose
    for k, v in a.extra:
        if k not in ans:
            ans[k] = _clean(v)
    out["answer"] = ans
    out["steps"] = [_step_json(s) for s in r.steps]
    return out


def to_json(solution: Solution, view: str = "solutions") -> dict:
    """The JSON contract (docs/json.md) as a dict.

    Every view has the questions (each problem's `text` and `parts`).  `view="key"` leaves
    the steps out; `view="paper"` leaves answers, steps, errors and the goals themselves
    out: its results keep only `label` and `marks` (a goal as written can give an answer
    away, e.g. `choice(posterior(prior, likelihood, 1))`).
    """
    doc: dict[str, Any] = {"derive": __version__}
    for key in ("title", "course", "date"):
        if getattr(solution, key):
            doc[key] = getattr(solution, key)
    problems = []
    for p in solution.problems:
        entry: dict[str, Any] = {"title": p.title, "section": p.section, "points": _num(p.points),
                                 "text": p.text,
                                 "parts": [{"label": q.label, "marks": _num(q.marks), "text": q.text}
                                           for q in p.parts]}
        if p.assumptions:
            entry["assumptions"] = [print_sentence(a, "md") for a in p.assumptions]
        if view == "paper":
            results = [{"id": r.id, "label": r.label, "marks": _num(r.marks)} for r in p.results]
        else:
            results = [_result_json(r) for r in p.results]
            if view == "key":
                for r in results:
                    r.pop("steps", None)
        entry["results"] = results
        problems.append(entry)
    doc["problems"] = problems
    if solution.variant is not None:
        doc["variant"] = solution.variant
    return doc


def dumps(doc: dict) -> str:
    """The JSON text: one-space indent, UTF-8 as is, no NaN, a final newline."""
    text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    # json escapes U+0000-U+001F; the C1 controls (terminal escapes too) are escaped as well
    return re.sub("[\x7f-\x9f]", lambda m: "\\u%04x" % ord(m.group()), text)


# ---- templates ---------------------------------------------------------------------------

def _loader(templates: str | None) -> jinja2.BaseLoader:
    from .resources import data_dir

    base = data_dir("renderers")

    def load(name: str):
        node = base
        for part in name.split("/"):
            node = node.joinpath(part)
        if not node.is_file():
            return None
        return node.read_text(encoding="utf-8"), None, lambda: True

    ours = jinja2.FunctionLoader(load)
    if templates:
        import os
        if not os.path.isdir(templates):
            from .errors import DeriveError
            raise DeriveError(f"--templates: no such folder: {templates}")
        return jinja2.ChoiceLoader([jinja2.FileSystemLoader(templates), ours])
    return ours


def _display_width(s: Any) -> int:
    from .texunicode import display_width
    return display_width(str(s))


FORMAT_FILTERS: dict[str, dict[str, Callable]] = {
    "md": {"md_chain": md_chain, "md_table": md_table, "md_math": md_math, "md_code": md_code,
           "md_display": md_display, "md_item": md_item, "quote_lines": quote_lines},
    "latex": {"tex_chain": tex_chain, "tex_table": tex_table, "tex_answer": tex_answer,
              "tex_display": tex_display, "tex_escape": tex_escape, "tex_code": tex_code},
    "html": {"mathml": html_math, "html_chain": html_chain, "html_table": html_table,
             "html_answer": html_answer},
    "text": {"hang": hang, "wrap": wrap, "width": _display_width,
             "text_chain": text_chain, "text_table": text_table, "text_answer": text_answer},
}


def prose_filter(fmt: str, inline: bool = False) -> Callable[..., str]:
    """The `prose` (or `prose_inline`) filter of a format: a derived `Sentence` printed by the
    format's sentence printer, authored Markdown text by the format's prose converter."""
    from . import prose
    authored = prose.inline(fmt) if inline else prose.converter(fmt)

    def convert(x: Any, *args: Any) -> str:
        if isinstance(x, Sentence):
            out = print_sentence(x, fmt)
            if fmt == "text" and args and not inline:
                out = wrap(out, args[0])
            return Markup(out) if fmt == "html" else out
        return authored(x, *args)
    return convert


@functools.lru_cache(maxsize=16)
def environment(fmt: str, templates: str | None = None) -> jinja2.Environment:
    """The Jinja environment of a format (LaTeX uses ((* *)) / ((( ))) delimiters)."""
    from .cache import bytecode_cache, cache_dir
    delims: dict[str, str] = {}
    if fmt == "latex":
        delims = dict(block_start_string="((*", block_end_string="*))", variable_start_string="(((",
                      variable_end_string=")))", comment_start_string="((=", comment_end_string="=))",
                      line_comment_prefix="%%")
    # Compiled templates are kept in derive's private cache folder (never a shared one: the
    # cache holds code objects); user templates (--templates) are not cached.
    folder = cache_dir()
    bcc = bytecode_cache(folder, f"jinja-{__version__}-{fmt}-%s.verified") if folder and not templates else None
    env = jinja2.Environment(loader=_loader(templates), undefined=jinja2.StrictUndefined,
                             autoescape=fmt == "html", trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, bytecode_cache=bcc, **delims)
    env.filters.update({
        "tex": latex, "chain": chain_latex, "step_tex": step_latex, "table_tex": table_latex,
        "prose": prose_filter(fmt), "prose_inline": prose_filter(fmt, inline=True), "num": _num, "plural": _plural,
        "groups": groups, "error_title": error_title, "error_reason": error_reason,
        "result_where": result_where, "choice_label": choice_label, "shows_maths": shows_maths,
        "shows_prose": shows_prose, "answer_prose": answer_prose, "error_where": error_where, "indent_by": indent,
        "answer_tex": answer_tex,
    })
    from . import prose
    env.filters.update({"esc": prose.escape(fmt), "code": prose.code(fmt)})   # spec text that is not prose
    env.filters.update(FORMAT_FILTERS.get(fmt, {}))
    env.globals.update({"version": __version__, "any_checked": any_checked, "header_value": header_value,
                        "FIT_MACROS": FIT_MACROS})
    return env


def _failing_template(exc: BaseException, templates: str, fmt: str) -> str:
    """`NAME (line N)` of the innermost frame of `exc` in a template of the folder
    `templates`, else the format's solution template."""
    import os
    import traceback
    folder = os.path.normpath(os.path.abspath(templates))
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.normpath(os.path.abspath(f.filename)).startswith(folder + os.sep)]
    if not frames:
        return f"{fmt}/solution.j2"
    last = frames[-1]
    return f"{os.path.relpath(last.filename, folder)} (line {last.lineno})"


def render(solution: Solution, fmt: str = "md", *, view: str = "solutions", templates: str | None = None,
           standalone: bool = True) -> str:
    """`solution` as text in `fmt` (one of FORMATS) for `view` (solutions, paper or key).

    `standalone=False` gives LaTeX without the preamble (for `_repr_latex_`); `templates`
    is a folder whose templates take precedence over derive's own.
    """
    from .errors import DeriveError
    if fmt not in FORMATS:
        raise DeriveError(f"unknown format `{fmt}` (choose from {', '.join(FORMATS)})")
    if view not in VIEWS:
        raise DeriveError(f"unknown view `{view}` (choose from {', '.join(VIEWS)})")
    if fmt == "json":
        return dumps(to_json(solution, view))
    env = environment(fmt, templates)
    try:
        template = env.get_template(f"{fmt}/solution.j2")
        out = template.render(solution=solution, view=view, standalone=standalone)
    except jinja2.TemplateError as exc:
        if not templates:
            raise
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        name = getattr(exc, "filename", None) or getattr(exc, "name", None) or f"{fmt}/solution.j2"
        raise DeriveError(f"the template {name}{where} failed: {exc.message or exc}", file=templates) from None
    except Exception as exc:   # noqa: BLE001 - a user's template that raises is the user's error
        if not templates:
            raise
        raise DeriveError(f"the template {_failing_template(exc, templates, fmt)} failed: "
                          f"{type(exc).__name__}: {str(exc)[:200]}", file=templates) from None
    from .prose import clean
    out = clean(out)    # no control character from a spec reaches any output (terminal escapes)
    if fmt != "md":     # in Markdown two trailing spaces are a line break an author may mean
        out = re.sub(r"[ \t]+\n", "\n", out)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip("\n") + "\n"
