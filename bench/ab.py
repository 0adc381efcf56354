"""Before/after latency: two checkouts of derive on the same specs, side by side.

    python3 bench/ab.py OLD_CHECKOUT [--new NEW_CHECKOUT] [--runs 5] [SPEC ...]

For each spec (default: the seed corpus and a one-line spec) it runs `python -m derive solve
SPEC` from each checkout (PYTHONPATH pointing at it) and the import floor `python -c "import
sympy, lark, jinja2"`, in turn, `--runs` times each after one untimed warm-up of each (which
lets Python write bytecode), and prints the median wall times and each checkout's ratio to
the floor.  Taking the three in turn is what makes a before/after comparison meaningful on
a machine whose speed drifts: bench/latency.py's ratios from two different runs can differ
by 0.3x on one spec.  NEW_CHECKOUT defaults to this one (`git worktree add /tmp/old REV` makes
an old one).  Exit code 0 always.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_LINE = 'problem "p" {\n  find 1 + 1\n}\n'


def _env(path: str | None) -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if path:
        env["PYTHONPATH"] = path
    return env


def _once(cmd: list[str], path: str | None) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=tempfile.gettempdir(), env=_env(path), capture_output=True)
    return time.perf_counter() - t


def compare(spec: str, old: str, new: str, runs: int) -> str:
    """One table row: medians of the floor and of each checkout, and their ratios."""
    floor = [sys.executable, "-c", "import sympy, lark, jinja2"]
    solve = [sys.executable, "-m", "derive", "solve", spec]
    for path in (old, new):
        _once(solve, path)
    times: dict[str, list[float]] = {"floor": [], "old": [], "new": []}
    for _ in range(runs):
        times["floor"].append(_once(floor, None))
        times["old"].append(_once(solve, old))
        times["new"].append(_once(solve, new))
    m = {k: statistics.median(v) for k, v in times.items()}
    return (f"{Path(spec).name[:32]:32s} {m['floor']:6.3f}  {m['old']:6.3f} {m['old'] / m['floor']:5.2f}x"
            f"  {m['new']:6.3f} {m['new'] / m['floor']:5.2f}x")


def seed_specs() -> list[str]:
    for parent in ROOT.parents:
        folder = parent / "shared" / "specs" / "seed"
        if folder.is_dir():
            return sorted(str(p) for p in folder.glob("*.spec"))
    return []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", help="the checkout to compare with (a folder holding derive/)")
    ap.add_argument("--new", default=str(ROOT), help="the checkout compared with it (default: this one)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("specs", nargs="*", help="default: a one-line spec and the seed corpus")
    args = ap.parse_intermixed_args(argv)
    specs = args.specs
    with tempfile.TemporaryDirectory() as tmp:
        if not specs:
            one = Path(tmp) / "one-line.spec"
            one.write_text(ONE_LINE, encoding="utf-8")
            specs = [str(one), *seed_specs()]
        print(f"{'spec':32s} {'floor':>6s}  {'old':>6s} {'ratio':>6s}  {'new':>6s} {'ratio':>6s}")
        for spec in specs:
            print(compare(spec, args.old, args.new, args.runs), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
