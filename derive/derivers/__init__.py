"""Derivers: the strategies of the goals, one module (or package) per family.

`goals.GOALS` is the one table of goals: each goal's signature and its strategies
(`"module:function"`, each `(problem, call) -> Derived | None`), tried in order by
`registry.run_goal`.  To add a goal, write its strategy in a family module and add a row.
"""
from . import registry
from .goals import GOALS, GoalSpec
from .registry import Derived, derive_goal, make_answer

__all__ = ["registry", "GOALS", "GoalSpec", "Derived", "derive_goal", "make_answer"]
