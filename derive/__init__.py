"""derive: step-by-step, checked derivations of machine-learning exam answers.

    import derive
    solution = derive.solve("exam.spec")          # or spec text
    for problem in solution.problems:
        for result in problem.results:
            print(result.label, result.answer.text, [s.rule for s in result.steps])
    print(solution.render("md"))                  # md | latex | html | json | text
    derive.solve("exam.spec", limits=derive.Limits(time=30))   # a budget for the whole run

The stages are public too: `parse(text, filename) -> ast.Spec`, `build(spec) ->
list[Problem]`, `derive(problem) -> ProblemSolution`, `render(solution, fmt) -> str`.
Every user error is a `DeriveError` (with `.pos`, `.exit_code`); nothing from a spec is
ever passed to eval or sympify.
"""
from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

from .version import __version__

# The names below are imported on first use (PEP 562), so `import derive` and the CLI's
# --help/--version stay fast; `derive.solve` pulls in sympy and lark when it is touched.
_LAZY = {
    "CheckFailed": "errors", "DeriveError": "errors", "InternalError": "errors", "LimitError": "errors",
    "SpecError": "errors", "SpecSyntaxError": "errors", "Unsupported": "errors",
    "Limits": "limits", "Problem": "model", "build": "pipeline",
    "derive": "pipeline", "solve": "pipeline",
    "FORMATS": "render", "render": "render",
    "Answer": "steps", "ErrorInfo": "steps", "Part": "steps", "ProblemSolution": "steps", "Result": "steps",
    "Solution": "steps", "Step": "steps", "Table": "steps",
    "parse": "syntax",
}

__all__ = [
    "__version__", "parse", "build", "derive", "render", "solve", "FORMATS", "Limits",
    "Solution", "ProblemSolution", "Result", "Answer", "Step", "Table", "Part", "ErrorInfo", "Problem",
    "DeriveError", "SpecSyntaxError", "SpecError", "LimitError", "Unsupported", "CheckFailed", "InternalError",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'derive' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """Keeps `derive.render` the function: importing the subpackage derive/render/ would
    otherwise bind the module over it (as the eager imports this replaces did not)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .errors import (CheckFailed, DeriveError, InternalError, LimitError, SpecError, SpecSyntaxError,
                         Unsupported)
    from .limits import Limits
    from .model import Problem
    from .pipeline import build, derive, solve
    from .render import FORMATS, render
    from .steps import Answer, ErrorInfo, Part, ProblemSolution, Result, Solution, Step, Table
    from .syntax import parse
