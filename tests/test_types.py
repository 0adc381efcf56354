"""Static checks: mypy is clean on the stage boundaries (the AST, steps, the model and the
goal registry, issue 9), and ruff's F rules (pyflakes) on the package, its tests and benchmarks."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOUNDARIES = ["derive/ast.py", "derive/steps.py", "derive/derivers/registry.py", "derive/derivers/goals.py",
              "derive/derivers/request.py", "derive/model"]


def test_mypy_is_clean_on_the_stage_boundaries():
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run([*(str(ROOT / p) for p in BOUNDARIES), "--ignore-missing-imports",
                                "--follow-imports=silent", "--no-error-summary", "--cache-dir=/dev/null"])
    assert status == 0, out + err


def test_ruff_f_rules_find_nothing():
    """ruff's F rules (pyflakes' checks, honouring `# noqa` on deliberate preloads)."""
    import subprocess
    import sys
    pytest.importorskip("ruff")
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "F", "--no-cache", "--output-format",
                           "concise", "derive", "tests", "bench"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
