"""Test-wide settings: hypothesis runs without its `explain` phase, which re-runs a failing
example under sys.settrace and with sympy underneath took longer than the whole suite; a
failure is still shrunk and reported with its minimal example.

`HYPOTHESIS_PROFILE=ci` (set by .ci/run) also derandomizes: every run draws the same
examples, so a CI run is repeatable; a plain run draws new ones each time and keeps
exploring (a failure it finds is kept as an `@example`).

Each test process gets a cache folder of its own (DERIVE_CACHE_DIR, removed at the end):
the suite writes thousands of prose entries, which do not belong in the developer's
cache, and the suite's time should not depend on the machine's past (a folder near its
20,000 entries is counted and emptied now and then, derive/prose/treecache.py).  Tests of where the cache lives set or remove the variable
themselves (tests/test_startup.py, tests/test_cache.py, tests/test_install.py)."""
from __future__ import annotations

import os
import shutil
import tempfile

from hypothesis import Phase, settings

PHASES = [p for p in Phase if p is not Phase.explain]
settings.register_profile("derive", phases=PHASES)
settings.register_profile("ci", phases=PHASES, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "derive"))


_OWN_CACHE: list[str] = []


def pytest_configure(config):
    folder = tempfile.mkdtemp(prefix="derive-test-cache-")        # mode 0700: private, as derive wants
    _OWN_CACHE.append(folder)
    os.environ["DERIVE_CACHE_DIR"] = folder


def pytest_unconfigure(config):
    for folder in _OWN_CACHE:
        shutil.rmtree(folder, ignore_errors=True)
