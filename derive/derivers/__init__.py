"""Derivers: one module per goal family, all found through `registry.DERIVERS`.

To add a family, write `derive/derivers/<family>.py` with functions decorated by
`@deriver("goal_name", nargs=..., kwargs=...)`; `registry.load_all()` imports it.
"""
from . import registry
from .registry import DERIVERS, Derived, derive_goal, deriver, make_answer

__all__ = ["registry", "DERIVERS", "Derived", "derive_goal", "deriver", "make_answer"]
