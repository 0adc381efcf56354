"""PrairieLearn: one question folder per problem, under OUT/questions/.

    questions/II.1-forward-and-backward-pass/info.json      uuid stable per problem
                                            question.html    the text, one input per result
                                            server.py        generate() and grade() call derive
                                            problem.spec     the problem, as the spec wrote it
                                            answers.json     input name -> result id, kind, marks

`server.py` derives the variant of `data["variant_seed"]` (derive.variants: the same
numbers as `derive solve problem.spec --seed S`), puts the question's HTML in `params`
and the keys in `correct_answers`; `grade(data)` grades every answer with
`derive.grading.grade` and writes `partial_scores`, `feedback` and `score`.  Inputs:
`pl-number-input` for numbers (with the acceptance's rtol/atol, else exact up to three
significant digits), `pl-matrix-input` for vectors and matrices, `pl-multiple-choice`
or `pl-checkbox` for choices (each option's text, from the variant's own numbers, and
whether it is right are in `params`), `pl-string-input` for expressions, intervals, sets and
shapes (typed in derive's answer syntax).  A result marked by hand (prose, a statement)
has no input and is listed as not exported.
"""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Sequence

from ..steps import Solution
from .common import Item, items

SERVER = Path(__file__).with_name("pl_server.py")


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-").lower()[:60] or "problem"


def _input(name: str, item: Item) -> tuple[str, str]:
    """(the element's HTML, the input kind for answers.json)."""
    acc = item.acceptance
    label = item.result.label or ""
    if acc.kind == "number":
        tol = (f' rtol="{acc.rtol}"' if acc.rtol is not None else "") + \
              (f' atol="{acc.atol}"' if acc.atol is not None else "")
        if not tol:
            tol = ' comparison="sigfig" digits="3"' if acc.sigfigs is None else \
                f' comparison="sigfig" digits="{acc.sigfigs}"'
        return f'<pl-number-input answers-name="{name}" label="{label}"{tol}></pl-number-input>', "number"
    if acc.kind in ("vector", "matrix"):
        return f'<pl-matrix-input answers-name="{name}" label="{label}"></pl-matrix-input>', "matrix"
    if acc.kind == "choice":
        tag = "pl-checkbox" if acc.select_all else "pl-multiple-choice"
        options = "".join(f'\n  <pl-answer correct="{{{{params.{name}.{o.label}}}}}">'
                          f'{{{{{{params.{name}_text.{o.label}}}}}}}</pl-answer>' for o in item.options)
        return f'<{tag} answers-name="{name}" fixed-order="true">{options}\n</{tag}>', "choice"
    return f'<pl-string-input answers-name="{name}" label="{label}"></pl-string-input>', "string"


def question_html(problem_items: list[Item]) -> tuple[str, dict]:
    """The question.html of a problem and its answers.json."""
    out = ["<pl-question-panel>", "{{{params.text}}}", "</pl-question-panel>"]
    answers, shown = {}, set()
    for k, item in enumerate(problem_items, 1):
        name = f"a{k}"
        label = item.result.label
        if label and label not in shown:
            shown.add(label)
            out.append(f'<p><strong>{label}</strong> {{{{{{params.part_{slug(label)}}}}}}}</p>')
        element, kind = _input(name, item)
        out.append(element)
        answers[name] = {"id": item.result.id, "input": kind, "marks": item.marks}
    return "\n".join(out) + "\n", answers


def standalone(solution: Solution, index: int) -> str:
    """The problem's source as a spec of its own (its block of the file it is written in)."""
    r = solution.problems[index].results[0]
    pdef = r.origin[0] if r.origin else None
    if pdef is None or pdef.pos is None:
        return ""
    return pdef.pos.source.text[pdef.pos.start:pdef.pos.end] + "\n"


def export(solution: Solution, out: Path, math: str = "mathml") -> list[tuple[str, str]]:
    """Write the question folders of `solution` (the exam's defaults) under out/questions;
    the results left out, with why."""
    all_items, skipped = items(solution, math)
    title = solution.title or "derive"
    for i, p in enumerate(solution.problems):
        mine = [it for it in all_items if it.problem == i and it.acceptance.kind != "manual"]
        skipped += [(it.id, "marked by hand (prose or a statement): no automatic PrairieLearn input")
                    for it in all_items if it.problem == i and it.acceptance.kind == "manual"]
        if not mine:
            continue
        folder = out / "questions" / slug(f"{p.ref}-{p.title}")
        folder.mkdir(parents=True)
        html, answers = question_html(mine)
        # ids inside the standalone problem.spec: its own problem is number 1
        local = {name: dict(a, id="1" + a["id"][len(p.ref):]) for name, a in answers.items()}
        info = {"uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"derive:{title}:{p.ref}:{p.title}")),
                "title": p.title, "topic": p.section or title, "tags": ["derive"], "type": "v3"}
        (folder / "info.json").write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (folder / "question.html").write_text(html, encoding="utf-8")
        (folder / "answers.json").write_text(json.dumps(local, indent=1) + "\n", encoding="utf-8")
        (folder / "problem.spec").write_text(standalone(solution, i), encoding="utf-8")
        (folder / "server.py").write_text(SERVER.read_text(encoding="utf-8"), encoding="utf-8")
    return sorted(set(skipped))


def export_all(solutions: Sequence[Solution], out: Path, math: str = "mathml") -> list[tuple[str, str]]:
    """PrairieLearn draws its own variants (server.py); only the exam's defaults are read."""
    return export(solutions[0], out, math)
