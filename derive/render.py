"""Solutions rendered as Markdown, LaTeX, HTML, JSON or terminal text.

Templates live in `renderers/<format>/solution.j2` (shipped inside the wheel) and lay
out; they do not compute.  All maths goes through `printing.latex`, registered as the
`tex` filter; prose (Markdown with $maths$) goes through the format's `prose` filter.
`to_json` is the stable contract of docs/json.md.  `templates=DIR` puts a user's folder
in front of ours in the loader chain, so any template can be overridden.
"""
from __future__ import annotations

import functools
import json
import re
from typing import Any, Callable

import jinja2

from .printing import latex
from .steps import Result, Solution, Step, Table
from .version import __version__

FORMATS: tuple[str, ...] = ("md", "latex", "html", "json", "text")
VIEWS: tuple[str, ...] = ("solutions", "paper", "key")


# ---- maths of steps ---------------------------------------------------------------------

REL_TEX = {"=": "=", "<": "<", "<=": r"\le", "≤": r"\le", ">": ">", ">=": r"\ge", "≥": r"\ge",
           "≈": r"\approx", "⇔": r"\iff", "⇒": r"\implies"}


def chain_latex(step: Step, sep: str = " ") -> str:
    """The step's equation chain as one LaTeX line: e0 = e1 = ... ."""
    rel = REL_TEX.get(step.relation, step.relation)
    return f"{sep}{rel}{sep}".join(latex(e) for e in step.chain)


def table_latex(table: Table) -> str:
    cols = len(table.header)
    head = " & ".join(_cell_tex(c) for c in table.header)
    body = r" \\ ".join(" & ".join(_cell_tex(c) for c in row) for row in table.rows)
    return r"\begin{array}{%s} %s \\ \hline %s \end{array}" % ("l" * cols, head, body)


def _cell_tex(c: Any) -> str:
    if isinstance(c, str):
        return r"\text{%s}" % c.replace("_", r"\_")
    return latex(c)


def step_latex(step: Step) -> str:
    parts = []
    if step.chain:
        parts.append(chain_latex(step))
    if step.table is not None:
        parts.append(table_latex(step.table))
    return r" \qquad ".join(parts)


# ---- JSON ------------------------------------------------------------------------------

def _step_json(step: Step) -> dict:
    out: dict[str, Any] = {"rule": step.rule, "text": step.text, "latex": step_latex(step),
                           "checked": step.checked}
    if step.substeps:
        out["substeps"] = [_step_json(s) for s in step.substeps]
    return out


def _result_json(r: Result) -> dict:
    out: dict[str, Any] = {"label": r.label, "goal": r.goal}
    if r.error is not None:
        out["error"] = {"message": r.error.message, "line": r.error.line, "column": r.error.column,
                        "kind": r.error.kind}
        return out
    a = r.answer
    ans: dict[str, Any] = {"text": a.text, "latex": a.latex, "value": a.value}
    if a.choice is not None:
        ans["choice"] = a.choice
    for k, v in a.extra:
        ans[k] = v
    out["answer"] = ans
    out["steps"] = [_step_json(s) for s in r.steps]
    return out


def _num(x):
    if x is None:
        return None
    return int(x) if x == int(x) else float(x)


def to_json(solution: Solution, view: str = "solutions") -> dict:
    """The JSON contract (docs/json.md) as a dict; `view="paper"` leaves answers out."""
    doc: dict[str, Any] = {"derive": __version__}
    for key in ("title", "course", "date"):
        if getattr(solution, key):
            doc[key] = getattr(solution, key)
    problems = []
    for p in solution.problems:
        entry: dict[str, Any] = {"title": p.title, "section": p.section, "points": _num(p.points)}
        results = [_result_json(r) for r in p.results]
        if view == "paper":
            results = [{"label": r["label"], "goal": r["goal"]} for r in results]
        elif view == "key":
            for r in results:
                r.pop("steps", None)
        entry["results"] = results
        problems.append(entry)
    doc["problems"] = problems
    return doc


# ---- templates -------------------------------------------------------------------------

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
        return jinja2.ChoiceLoader([jinja2.FileSystemLoader(templates), ours])
    return ours


@functools.lru_cache(maxsize=8)
def environment(fmt: str, templates: str | None = None) -> jinja2.Environment:
    from . import prose
    from .cache import cache_dir
    autoescape = fmt == "html"
    folder = cache_dir()
    # compiled templates are kept in derive's private cache folder (never a shared one:
    # the cache holds code objects); user templates (--templates) are not cached
    bcc = jinja2.FileSystemBytecodeCache(str(folder), f"jinja-{__version__}-{fmt}-%s.cache") \
        if folder and not templates else None
    env = jinja2.Environment(loader=_loader(templates), undefined=jinja2.StrictUndefined,
                             autoescape=autoescape, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, bytecode_cache=bcc)
    if fmt == "latex":
        env.block_start_string, env.block_end_string = "((*", "*))"
        env.variable_start_string, env.variable_end_string = "(((", ")))"
        env.comment_start_string, env.comment_end_string = "((=", "=))"
    env.filters["tex"] = latex
    env.filters["chain"] = chain_latex
    env.filters["step_tex"] = step_latex
    env.filters["table_tex"] = table_latex
    env.filters["prose"] = prose.converter(fmt)
    env.filters["num"] = _num
    env.globals["version"] = __version__
    for name, fn in prose.extra_filters(fmt).items():
        env.filters[name] = fn
    return env


def render(solution: Solution, fmt: str = "md", *, view: str = "solutions", templates: str | None = None,
           standalone: bool = True) -> str:
    """`solution` as text in `fmt` (one of FORMATS) for `view` (solutions, paper or key)."""
    from .errors import DeriveError
    if fmt not in FORMATS:
        raise DeriveError(f"unknown format `{fmt}` (choose from {', '.join(FORMATS)})")
    if view not in VIEWS:
        raise DeriveError(f"unknown view `{view}` (choose from {', '.join(VIEWS)})")
    if fmt == "json":
        return json.dumps(to_json(solution, view), indent=1, ensure_ascii=False) + "\n"
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
    return re.sub(r"\n{3,}", "\n\n", out)
