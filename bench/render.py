"""Rendering time per format, as a ratio to solving the same spec (measured in the same run).

    python3 bench/render.py [SPEC ...]      # default: tests/specs/*.spec and the seed corpus

Prints a table: for each spec, the median wall time of `derive.solve` (the baseline) and,
for each format, the median time of `render(solution, fmt)` and its ratio to the baseline.
Writes the numbers to bench/results/render.json.  Not a test: nothing here asserts on time.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import derive  # noqa: E402
import importlib  # noqa: E402
BREAKING = importlib.import_module("derive.render.breaking")
from derive.render import FORMATS, render  # noqa: E402


def median_time(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fresh() -> None:
    """Forget cached widths so each render pays its full cost."""
    BREAKING._width_of_latex.cache_clear()


def main(argv: list[str]) -> None:
    specs = [Path(a) for a in argv] or sorted((ROOT / "tests" / "specs").glob("*.spec")) + \
        sorted((ROOT.parent / "shared" / "specs" / "seed").glob("*.spec"))
    rows = []
    for spec in specs:
        solve_t = median_time(lambda: derive.solve(spec))
        solution = derive.solve(spec)
        row = {"spec": spec.name, "solve_s": solve_t}
        for fmt in FORMATS:
            render(solution, fmt)      # warm the template cache once
            row[fmt] = median_time(lambda: (fresh(), render(solution, fmt)))
        rows.append(row)
    from render_fixtures import stress_solution
    sol = stress_solution()
    row = {"spec": "(every construct)", "solve_s": None}
    for fmt in FORMATS:
        render(sol, fmt)
        row[fmt] = median_time(lambda: (fresh(), render(sol, fmt)))
    rows.append(row)
    head = f"{'spec':34} {'solve':>8} " + " ".join(f"{f:>14}" for f in FORMATS)
    print(head)
    print("-" * len(head))
    for r in rows:
        base = r["solve_s"]
        cells = []
        for f in FORMATS:
            ratio = f" ({r[f] / base:4.2f}x)" if base else "        "
            cells.append(f"{r[f] * 1000:6.1f}ms{ratio}")
        solve = f"{base * 1000:6.0f}ms" if base else "       -"
        print(f"{r['spec'][:34]:34} {solve:>8} " + " ".join(f"{c:>14}" for c in cells))
    (ROOT / "bench" / "results" / "render.json").write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
