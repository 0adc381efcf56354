"""derive: step-by-step, checked derivations of machine-learning exam answers.

    import derive
    solution = derive.solve("exam.spec")          # or spec text
    for problem in solution.problems:
        for result in problem.results:
            print(result.label, result.answer.text, [s.rule for s in result.steps])
    print(solution.render("md"))                  # md | latex | html | json | text

The stages are public too: `parse(text, filename) -> ast.Spec`, `build(spec) ->
list[Problem]`, `derive(problem) -> ProblemSolution`, `render(solution, fmt) -> str`.
Every user error is a `DeriveError` (with `.pos`, `.exit_code`); nothing from a spec is
ever passed to eval or sympify.
"""
from __future__ import annotations

from .version import __version__

from .errors import CheckFailed, DeriveError, LimitError, SpecError, SpecSyntaxError, Unsupported
from .model import Problem, build
from .pipeline import derive, solve
from .render import FORMATS, render
from .steps import Answer, ErrorInfo, Part, ProblemSolution, Result, Solution, Step, Table
from .syntax import parse

__all__ = [
    "__version__", "parse", "build", "derive", "render", "solve", "FORMATS",
    "Solution", "ProblemSolution", "Result", "Answer", "Step", "Table", "Part", "ErrorInfo", "Problem",
    "DeriveError", "SpecSyntaxError", "SpecError", "LimitError", "Unsupported", "CheckFailed",
]
