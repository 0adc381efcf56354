"""Test-wide settings: hypothesis runs without its `explain` phase, which re-runs a failing
example under sys.settrace and with sympy underneath took longer than the whole suite; a
failure is still shrunk and reported with its minimal example.

`HYPOTHESIS_PROFILE=ci` (set by .ci/run) also derandomizes: every run draws the same
examples, so a CI run is repeatable; a plain run draws new ones each time and keeps
exploring (a failure it finds is kept as an `@example`)."""
from __future__ import annotations

import os

from hypothesis import Phase, settings

PHASES = [p for p in Phase if p is not Phase.explain]
settings.register_profile("derive", phases=PHASES)
settings.register_profile("ci", phases=PHASES, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "derive"))
