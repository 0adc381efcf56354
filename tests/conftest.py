"""Test-wide settings: hypothesis runs without its `explain` phase, which re-runs a failing
example under sys.settrace and with sympy underneath took longer than the whole suite; a
failure is still shrunk and reported with its minimal example."""
from __future__ import annotations

from hypothesis import Phase, settings

settings.register_profile("derive", phases=[p for p in Phase if p is not Phase.explain])
settings.load_profile("derive")
