"""Golden files: specs under tests/specs/ rendered in every format must match tests/golden/.

    UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py    # rewrite them, on purpose

The renders compared with the golden files are made in a fresh interpreter under one hash
seed (the way a user runs `derive solve`), and compared byte for byte with this process's
own renders, made under another hash seed (`PYTHONHASHSEED` is random in each test process
unless set, and the fresh one is given a seed other than a set one): the same test shows
that the output is deterministic, same spec, same bytes, whatever the hash seed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from solved import solved

from derive.render import render

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "tests" / "specs").glob("*.spec"))
GOLDEN = ROOT / "tests" / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# (file suffix, format, options): every format, plus the other views and the LaTeX body.
VARIANTS = [
    ("md", "md", {}), ("latex", "latex", {}), ("html", "html", {}), ("json", "json", {}), ("text", "text", {}),
    ("key.md", "md", {"view": "key"}), ("paper.md", "md", {"view": "paper"}),
    ("key.json", "json", {"view": "key"}), ("paper.text", "text", {"view": "paper"}),
    ("body.latex", "latex", {"standalone": False}), ("py", "python", {}),
]

RENDER_ALL = """
import json, sys
import derive
from derive.render import render
variants = json.loads(sys.argv[1])
out = {}
for spec in sys.argv[2:]:
    solution = derive.solve(spec)
    out[spec] = {suffix: render(solution, fmt, **opts) for suffix, fmt, opts in variants}
sys.stdout.write(json.dumps(out))
"""


def render_in_a_subprocess(specs: list[Path], seed: str) -> subprocess.Popen:
    """Every spec in every variant, rendered by a fresh interpreter (started, not awaited):
    its output is {spec path: {suffix: text}} as JSON."""
    return subprocess.Popen([sys.executable, "-c", RENDER_ALL, json.dumps(VARIANTS), *map(str, specs)], cwd=ROOT,
                            env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def render_here(specs: list[Path]) -> dict[str, dict[str, str]]:
    return {str(spec): {suffix: render(solved(spec), fmt, **opts) for suffix, fmt, opts in VARIANTS}
            for spec in specs}


def other_hash_seed() -> str:
    """A PYTHONHASHSEED other than this process's (a random one, unless the variable is set)."""
    return "4242" if os.environ.get("PYTHONHASHSEED") != "4242" else "1"


@pytest.fixture(scope="module")
def all_renders() -> tuple[dict, dict]:
    """(the fresh interpreter's renders, this process's), made side by side."""
    proc = render_in_a_subprocess(SPECS, other_hash_seed())
    try:
        here = render_here(SPECS)
    finally:
        stdout, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr
    return json.loads(stdout), here


@pytest.fixture(params=SPECS, ids=lambda p: p.stem)
def renders(request, all_renders) -> tuple[Path, dict[str, str], dict[str, str]]:
    spec = request.param
    first, second = all_renders
    return spec, first[str(spec)], second[str(spec)]


def test_same_bytes_whatever_the_hash_seed(renders):
    spec, first, second = renders
    for suffix, _, _ in VARIANTS:
        assert first[suffix] == second[suffix], f"{spec.name} as {suffix} differs between hash seeds"


@pytest.mark.parametrize("suffix", [v[0] for v in VARIANTS])
def test_matches_golden_file(renders, suffix):
    spec, out, _ = renders
    path = GOLDEN / f"{spec.stem}.{suffix}"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(out[suffix], encoding="utf-8")
        return
    assert path.is_file(), f"{path} is missing: run UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py"
    expected = path.read_text(encoding="utf-8")
    assert out[suffix] == expected, (f"{spec.name} rendered as {suffix} differs from {path.name}; if the change "
                                     "is intended, run UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py")


def test_cli_output_is_the_golden_markdown(tmp_path):
    """The CLI writes exactly what render() gives (spot check on one spec and format)."""
    spec = SPECS[0]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "derive", "solve", str(spec), "--format", "text"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    golden = GOLDEN / f"{spec.stem}.text"
    if golden.is_file() and not UPDATE:
        assert proc.stdout == golden.read_text(encoding="utf-8")
