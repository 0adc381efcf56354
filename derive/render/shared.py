"""A computation shown once and referred to: steps a problem's later result repeats exactly
(the forward pass that (b), (c) and (d) each recompute) are replaced, in the worked
solutions, by one step that names where they were shown ("Shown in (b), steps 1–2: h and
o = 24.").

`shared_once(solution)` -> a Solution whose results' top-level steps never repeat, within a
problem, a step an earlier result of that problem already shows.  Steps are the same when
they are equal as data (rule, sentence, chain, relation, table, substeps and check: the
same maths with the same values), or when they establish the same fact (the same quantity,
the same relation, the same value: a forward pass that words its steps differently from
the parts that asked for them), never by a spec's names.  A run of repeated steps with
no maths in it (a bare sentence) is shown again as it is.  Answers, and the JSON (which
keeps every step of every result for grading tools), are unchanged.

In: a Solution.  Out: a Solution (the same object when nothing repeats).
"""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import sympy as sp

from ..sentence import Math, Rel, Sentence, join, say

if TYPE_CHECKING:
    from ..steps import ProblemSolution, Result, Solution, Step

SHORT = 30          # columns (2-D Unicode) up to which a step's result is restated in the reference


def shared_once(solution: Solution) -> Solution:
    problems = tuple(_problem(p) for p in solution.problems)
    if all(a is b for a, b in zip(problems, solution.problems)):
        return solution
    return replace(solution, problems=problems)


def _key(s: Step) -> tuple:
    """A cheap key steps equal as data share (the sentence's plain text, not its maths:
    printing every sentence to compare them took longer than rendering)."""
    text = tuple(p for p in s.text.parts if isinstance(p, str)) if isinstance(s.text, Sentence) else s.text
    return (s.rule, text, len(s.chain), len(s.substeps), s.table is None)


def _fact(s: Step) -> tuple | None:
    """The fact a step establishes, `lhs = value` (its chain's first and last links, the
    relation between them), as a key: two steps that compute the same quantity to the same
    value show the same computation however their prose words it ("o:" in a forward pass,
    "Compute o from its definition" in the part that asked for o).  None for a step with no
    chain of two links or more, or with a table or substeps (more than one fact)."""
    if len(s.chain) < 2 or s.table is not None or s.substeps:
        return None
    ends = [_canon_obj(x) for x in (s.chain[0], s.chain[-1])]
    ends = [sp.ImmutableMatrix(x.rows, x.cols, list(x)) if isinstance(x, sp.MatrixBase) else x for x in ends]
    key = ("fact", s.relation, *ends)
    try:
        hash(key)
    except TypeError:       # not hashable: compared by its printed form
        key = ("fact", s.relation, *map(str, ends))
    return key


def _name(r: Result, results: tuple[Result, ...], current: Result) -> Any:
    """Where the reference from `current` finds an earlier result: "in (b)" when no other
    result of the problem has its label; "above for the precision" (the goal it answers, if
    short) when it is in the same part; else "in 4(a)#2" (its id)."""
    if r.label and sum(1 for x in results if x.label == r.label) == 1:
        return say("in ", r.label)
    if r.title and r.label == current.label and len(str(r.title)) <= 30:
        return say("above for ", r.title)
    return say("in ", r.id or r.label or "an earlier part")


def _problem(p: ProblemSolution) -> ProblemSolution:
    """The problem with each result's repeated steps replaced by references."""
    seen: dict[tuple, list[tuple[Step, Result, str]]] = {}
    results = []
    for r in p.results:
        shown: list[tuple[Step, Step, str]] = []
        steps = _shown(r.steps, seen, "", shown, lambda earlier, r=r: _name(earlier, p.results, r))
        for orig, new, number in shown:   # registered after the result: never a reference to itself
            for s in {id(orig): orig, id(new): new}.values():
                seen.setdefault(_key(s), []).append((s, r, number))
            fact = _fact(orig)
            if fact is not None:
                seen.setdefault(fact, []).append((orig, r, number))
        results.append(r if steps == list(r.steps) else replace(r, steps=tuple(steps)))
    if all(a is b for a, b in zip(results, p.results)):
        return p
    return replace(p, results=tuple(results))


def _hit(s: Step, seen: dict) -> tuple[Result, str] | None:
    """Where a step was shown before: a step equal to it as data, else one that established
    the same fact (`_fact`)."""
    for earlier, result, number in seen.get(_key(s), ()):
        if earlier == s or _canon(earlier) == _canon(s):
            return result, number
    fact = _fact(s)
    for earlier, result, number in seen.get(fact, ()) if fact is not None else ():
        return result, number
    return None


def _canon_obj(x: Any) -> Any:
    """`x` with its dummy symbols (a Lambda's bound variable: each derivation makes its own)
    replaced by plain symbols of their names, so equal maths compares equal."""
    if isinstance(x, (sp.Basic, sp.MatrixBase)):
        dummies = x.atoms(sp.Dummy)
        if dummies:
            return x.xreplace({d: sp.Symbol("_dummy_" + d.name) for d in dummies})
    return x


def _canon(s: Step) -> Step:
    text = s.text
    if isinstance(text, Sentence):
        text = Sentence(tuple(Math(_canon_obj(p.expr)) if isinstance(p, Math) else p for p in text.parts))
    return replace(s, text=text, chain=tuple(_canon_obj(c) for c in s.chain),
                   substeps=tuple(_canon(x) for x in s.substeps))


def _shown(steps: tuple[Step, ...], seen: dict, prefix: str, shown: list, name: Any) -> list[Step]:
    """The steps of one result (or the substeps of step `prefix`), each run of steps shown
    before replaced by one reference; `shown` collects (step, as shown, its number), `name`
    says how an earlier result is named."""
    out: list[Step] = []
    run: list[tuple[Step, tuple[Result, str]]] = []
    for s in (*steps, None):
        hit = _hit(s, seen) if s is not None else None
        if hit is not None:
            run.append((s, hit))
            continue
        if run:
            out.extend(_reference(run, name))
            run = []
        if s is None:
            continue
        number = f"{prefix}{len(out) + 1}"
        subs = _shown(s.substeps, seen, number + ".", shown, name) if s.substeps else []
        new = s if subs == list(s.substeps) else replace(s, substeps=tuple(subs))
        shown.append((s, new, number))
        out.append(new)
    return out


def _has_maths(s: Step) -> bool:
    return bool(s.chain or s.table is not None or s.substeps)


def _worth(run: list[tuple[Step, Any]]) -> bool:
    """Whether a run is worth a reference: two steps or more, or one with a table,
    substeps or a chain of three links or more (a bare "5/6 ≈ 0.833333" is shown again)."""
    if len(run) > 1:
        return any(_has_maths(s) for s, _ in run)
    s = run[0][0]
    return s.table is not None or bool(s.substeps) or len(s.chain) > 2


def _reference(run: list[tuple[Step, tuple[Result, str]]], name: Any) -> list[Step]:
    """One step that names where the run's steps were shown and restates their short
    results; a run not worth it (`_worth`) is shown again as it is."""
    if not _worth(run):
        return [s for s, _ in run]
    where: dict[int, tuple[Result, list[str]]] = {}
    for _, (result, number) in run:
        where.setdefault(id(result), (result, []))[1].append(number)
    places = [say(name(r), ", ", _steps_word(numbers)) for r, numbers in where.values()]
    results: dict[str, Any] = {}        # by left side: the last restatement of each
    for x in (_restated(s) for s, _ in run):
        if x is not None:
            key = str(x.lhs if isinstance(x, Rel) else x.expr)
            results.pop(key, None)
            results[key] = x
    lead = join(places, "; ", " and ")
    first = run[0][0].text
    if results:
        text = say("Shown ", lead, ": ", join(list(results.values()), ", ", " and "), ".")
    elif len(run) == 1 and isinstance(first, Sentence) and first:    # say what it was: "Its roots, ...:"
        text = say(first, " as shown ", lead, ".")
    else:
        text = say("As shown ", lead, ".")
    # (a step of its own kind, made from the first repeated one: the render package does not
    # import derive.steps; its relations are facts shown before, so there is nothing to check)
    return [replace(run[0][0], rule="shown_before", text=text, chain=(), relation="=", table=None,
                    substeps=(), checked=None, check="", where=())]


def _steps_word(numbers: list[str]) -> str:
    """"step 3", "steps 1–2", "steps 1.1–1.3", "steps 1, 3 and 5" (numbers as shown)."""
    if len(numbers) == 1:
        return f"step {numbers[0]}"
    head, _, last = numbers[0].rpartition(".")
    run = [f"{head}.{k}" if head else str(k) for k in range(int(last), int(last) + len(numbers))]
    if numbers == run:
        return f"steps {numbers[0]}–{numbers[-1]}"
    return "steps " + ", ".join(numbers[:-1]) + f" and {numbers[-1]}"


def _width(x: Any) -> int:
    from .breaking import item_width
    return item_width(x)


def _restated(s: Step) -> Any:
    """What a repeated step computed, for the reference: `lhs = value` when both are short,
    `lhs` alone when only it is, None for a step without a chain (or a long left side)."""
    if len(s.chain) < 2 or _width(s.chain[0]) > SHORT:
        return None
    lhs, value = s.chain[0], s.chain[-1]
    if isinstance(value, sp.MatrixBase) or _width(value) > SHORT:
        return Math(lhs)
    return Rel(lhs, s.relation, value, kind="fact")
