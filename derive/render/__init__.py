"""Solutions rendered as Markdown, LaTeX, HTML, JSON or terminal text, or as a runnable
answer key (`python`: pyscript.py, a NumPy script that checks each closed form).

`render(solution, fmt, view=, templates=, standalone=)` -> str.  Templates live in
`renderers/<format>/solution.j2` (and the macros it imports from
`renderers/<format>/macros.j2`), ship inside the wheel, and lay out; the maths they show
comes from the filters of this package's modules:

* LaTeX maths of any object: `printing.latex` (`tex` filter), one printer for all formats;
* md: display maths as `$$` blocks safe for GitHub and Jupyter (`md_chain`, `md_math`),
  Markdown tables (`md_table`);
* latex: chains in `align*` one link per row when long, a link too wide cut over rows
  (`breaking.py`: sums at their top-level signs, wide matrices in blocks of columns), never
  scaled (`tex_chain`, `tex_display`), booktabs tables (`tex_table`);
* every format: a computation a later result repeats is shown once and referred to
  (`shared.py`), steps are labelled "Step 2." (never a bare number);
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

from ..sentence_print import md_code
from .helpers import (
                      answer_prose,
                      any_checked,
                      choice_label,
                      error_reason,
                      error_title,
                      error_where,
                      groups,
                      header_value,
                      result_where,
                      shows_maths,
                      shows_prose,
)
from .html import html_answer, html_chain, html_math, html_table
from .json import _step_json, dumps, to_json
from .latex import (
                      FIT_MACROS,
                      tex_answer,
                      tex_chain,
                      tex_code,
                      tex_display,
                      tex_escape,
                      tex_table,
)
from .layout import (
                      CHAIN_WIDTH,
                      answer_tex,
                      chain_latex,
                      is_long,
                      item_width,
                      step_latex,
                      table_latex,
)
from .markdown import (
                      md_chain,
                      md_display,
                      md_inline_ok,
                      md_item,
                      md_math,
                      md_table,
                      quote_lines,
)
from .templates import FORMATS, VIEWS, environment, prose_filter, render
from .text import hang, indent, text_answer, text_chain, text_table, wrap

__all__ = [
    "CHAIN_WIDTH",
    "FIT_MACROS",
    "FORMATS",
    "VIEWS",
    "_step_json",
    "answer_prose",
    "answer_tex",
    "any_checked",
    "chain_latex",
    "choice_label",
    "dumps",
    "environment",
    "error_reason",
    "error_title",
    "error_where",
    "groups",
    "hang",
    "header_value",
    "html_answer",
    "html_chain",
    "html_math",
    "html_table",
    "indent",
    "is_long",
    "item_width",
    "md_chain",
    "md_code",
    "md_display",
    "md_inline_ok",
    "md_item",
    "md_math",
    "md_table",
    "prose_filter",
    "quote_lines",
    "render",
    "result_where",
    "shows_maths",
    "shows_prose",
    "step_latex",
    "table_latex",
    "tex_answer",
    "tex_chain",
    "tex_code",
    "tex_display",
    "tex_escape",
    "tex_table",
    "text_answer",
    "text_chain",
    "text_table",
    "to_json",
    "wrap",
]
