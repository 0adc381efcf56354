"""One variant of a spec: `solve_variant(spec, seed)` is `derive solve --seed SEED`.

The spec is read once (`read`), its problems built with their defaults first (so that a
mistake in the spec is reported as `derive solve` reports it, not as rejected draws),
then each problem is drawn and derived (derive.variants.draws).  The `Solution` carries
`variant`: the seed, a short key naming the drawn values, the drawn value of every `vary`
by problem and name (written as a spec would write it: `12`, `0.1`, `[1, -2, 1/2]`), and
the answer of every result by id.
"""
from __future__ import annotations

import json
import os
from typing import Any, Sequence

import sympy as sp

from .. import ast
from ..derivers.registry import FAMILIES
from ..errors import DeriveError, LimitError
from ..limits import Limits, interruptible, running
from ..model.numbering import numbers, refs
from ..model.builder import build_problem
from ..pipeline import read_spec
from ..randomness import short_key
from ..steps import ProblemSolution, Solution
from ..syntax import parse
from .draws import Rejections, problem_keys, solve_problem, varies

MAX_SEED = 2 ** 63 - 1


def check_seed(seed: Any, what: str = "--seed") -> int:
    """`seed` as an int in [0, MAX_SEED] (an int or its decimal text), else a DeriveError."""
    if isinstance(seed, str):
        text = seed.strip()
        if not (text.isascii() and text.isdigit()):
            raise DeriveError(f"{what} must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
        seed = int(text)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise DeriveError(f"{what} must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
    return seed


def read(text_or_path: str | os.PathLike, filename: str | None = None, *,
         include_path: Sequence[str | os.PathLike] = ()) -> ast.Spec:
    """The parsed spec, every problem built once with its defaults (to report the spec's
    own mistakes); call inside `running(limits)`."""
    from ..limits import current
    text, name = read_spec(text_or_path, filename, current().spec_bytes)
    with interruptible():
        spec = parse(text, name, include_path=include_path)
        for p, n, r in zip(spec.problems, numbers(spec.problems), refs(spec.problems)):
            build_problem(p, n, FAMILIES, r)
    return spec


def spec_text(v: Any) -> str:
    """A drawn value as a spec writes it: `12`, `0.25`, `1/3`, `[1, 2]`, `[[1, 0], [0, 1]]`."""
    from ..model.varying import _decimal
    if isinstance(v, sp.MatrixBase):
        rows = [", ".join(spec_text(e) for e in v.row(i)) for i in range(v.rows)]
        return f"[{', '.join(rows)}]" if v.cols == 1 else "[" + ", ".join(f"[{r}]" for r in rows) + "]"
    if isinstance(v, sp.Rational):
        return _decimal(v) or f"{v.p}/{v.q}"
    return str(v)


def solve_spec(spec: ast.Spec, seed: int | None, rejections: Rejections,
               cache: dict[int, ProblemSolution] | None = None) -> Solution:
    """Every problem of `spec` for variant `seed` (None: the defaults).  `cache` keeps the
    solutions of problems without `vary` between variants (they are derived once)."""
    solved, values = [], {}
    keys = problem_keys(spec.problems)
    for i, (p, n, r) in enumerate(zip(spec.problems, numbers(spec.problems), refs(spec.problems))):
        if cache is not None and i in cache:
            solved.append(cache[i])
            continue
        problem, sol = solve_problem(p, n, r, keys[i], seed, rejections)
        if problem.varies:
            values[r] = {name: spec_text(v) for name, v in problem.varies.items()}
        elif cache is not None and not varies(p):
            cache[i] = sol
        solved.append(sol)
    sol = Solution(tuple(solved), spec.meta("title"), spec.meta("course"), spec.meta("date"),
                   spec.source.name if spec.source is not None else "<spec>", spec.header)
    if seed is None:
        return sol
    from dataclasses import replace
    info = variant_info(sol, seed, values)
    return replace(sol, variant=info, header=sol.header + (("variant", f"Variant {info['key']} (seed {seed})"),))


def answers(solution: Solution) -> dict[str, str | None]:
    """The answer of every result by id (its parse_expr-able text; None for an error)."""
    return {r.id: (r.answer.text if r.answer is not None else None) for r in solution.results}


def variant_info(solution: Solution, seed: int, values: dict[str, dict[str, str]]) -> dict:
    """The `variant` object of a solution (docs/variants.md)."""
    key = short_key(json.dumps(values, sort_keys=True, ensure_ascii=True))
    return {"seed": seed, "key": key, "values": values, "answers": answers(solution)}


def solve_variant(text_or_path: str | os.PathLike, seed: int | str | None, filename: str | None = None, *,
                  limits: Limits | None = None, include_path: Sequence[str | os.PathLike] = ()) -> Solution:
    """`derive solve --seed SEED`: the variant `seed` of a spec (None: `derive.solve`'s
    solution, the defaults).  A DeriveError for a bad seed, a spec error, or a problem none
    of whose draws could be accepted."""
    seed = check_seed(seed) if seed is not None else None
    with running(limits):
        try:
            spec = read(text_or_path, filename, include_path=include_path)
        except MemoryError:
            raise LimitError("derive ran out of memory reading the spec", file=filename) from None
        return solve_spec(spec, seed, Rejections())
