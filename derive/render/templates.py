"""The Jinja environments of the formats (derive's templates, or a user's folder first) and
`render(solution, fmt, view=, templates=, standalone=)` -> str."""
from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, Callable

import jinja2
from markupsafe import Markup

from ..printing import latex
from ..sentence import Sentence
from ..sentence_print import md_code, print_sentence
from ..version import __version__
from .helpers import (
    _num,
    _plural,
    answer_prose,
    any_checked,
    choice_label,
    error_reason,
    error_title,
    error_where,
    groups,
    header_value,
    prompt,
    readings,
    result_where,
    shows_maths,
    shows_prose,
)
from .html import html_answer, html_chain, html_math, html_table, scoped_css
from .json import dumps, to_json
from .latex import (
    FIT_MACROS,
    tex_answer,
    tex_chain,
    tex_code,
    tex_display,
    tex_escape,
    tex_table,
)
from .layout import answer_tex, chain_latex, step_latex, table_latex
from .markdown import md_chain, md_display, md_item, md_math, md_table, quote_lines
from .text import hang, indent, text_answer, text_chain, text_table, wrap

if TYPE_CHECKING:
    from ..steps import Solution

FORMATS: tuple[str, ...] = ("md", "latex", "html", "json", "text", "python")
VIEWS: tuple[str, ...] = ("solutions", "paper", "key")

def _loader(templates: str | None) -> jinja2.BaseLoader:
    from ..resources import data_dir

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
            from ..errors import DeriveError
            raise DeriveError(f"--templates: no such folder: {templates}")
        return jinja2.ChoiceLoader([jinja2.FileSystemLoader(templates), ours])
    return ours


def _display_width(s: Any) -> int:
    from ..texunicode import display_width
    return display_width(str(s))


FORMAT_FILTERS: dict[str, dict[str, Callable]] = {
    "md": {"md_chain": md_chain, "md_table": md_table, "md_math": md_math, "md_code": md_code,
           "md_display": md_display, "md_item": md_item, "quote_lines": quote_lines},
    "latex": {"tex_chain": tex_chain, "tex_table": tex_table, "tex_answer": tex_answer,
              "tex_display": tex_display, "tex_escape": tex_escape, "tex_code": tex_code},
    "html": {"mathml": html_math, "html_chain": html_chain, "html_table": html_table,
             "html_answer": html_answer, "scoped_css": scoped_css},
    "text": {"hang": hang, "wrap": wrap, "width": _display_width,
             "text_chain": text_chain, "text_table": text_table, "text_answer": text_answer},
}


def prose_filter(fmt: str, inline: bool = False) -> Callable[..., str]:
    """The `prose` (or `prose_inline`) filter of a format: a derived `Sentence` printed by the
    format's sentence printer, authored Markdown text by the format's prose converter."""
    from .. import prose
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
    from ..cache import bytecode_cache, cache_dir
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
        "readings": readings, "prompt": prompt,
        "answer_tex": answer_tex,
    })
    from .. import prose
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
    from ..errors import DeriveError
    if fmt not in FORMATS:
        raise DeriveError(f"unknown format `{fmt}` (choose from {', '.join(FORMATS)})")
    if view not in VIEWS:
        raise DeriveError(f"unknown view `{view}` (choose from {', '.join(VIEWS)})")
    if fmt == "json":
        return dumps(to_json(solution, view))
    if fmt == "python":
        from .pyscript import python_key
        return python_key(solution, view)
    if view == "solutions":
        from .shared import shared_once
        solution = shared_once(solution)      # a computation shown once, referred to after
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
    from ..prose import clean
    out = clean(out)    # no control character from a spec reaches any output (terminal escapes)
    if fmt != "md":     # in Markdown two trailing spaces are a line break an author may mean
        out = re.sub(r"[ \t]+\n", "\n", out)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip("\n") + "\n"
