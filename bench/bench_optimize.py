"""Benchmark of the gd / lr_range / optimal_lr derivers.

In: nothing (the cases are below).  Out: a table on stdout with the time of each goal
and its ratio to the baseline measured in the same run (the seed's `gd` with 2 steps),
and the same numbers as JSON in bench/results/optimize.json.

    python3 bench/bench_optimize.py [--repeat N]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import derive  # noqa: E402

CASES = [
    ("baseline: seed gd, 2 steps", "w^2 + 2*w + 1", "gd(f, start = 5, lr = 0.1, steps = 2)"),
    ("gd quadratic, 100 steps", "w^2 + 2*w + 1", "gd(f, start = 5, lr = 0.1, steps = 100)"),
    ("gd quadratic, 10000 steps", "w^2 + 2*w + 1", "gd(f, start = 5, lr = 0.1, steps = 10000)"),
    ("gd quartic, 10000 steps", "w^4 - 2*w^2", "gd(f, start = 2, lr = 0.05, steps = 10000)"),
    ("gd exp, 10000 steps", "exp(w) - 2*w", "gd(f, start = 0, lr = 0.5, steps = 10000)"),
    ("lr_range quadratic", "w^2 + 2*w + 1", "lr_range(f, lr = 0.1)"),
    ("lr_range quartic, start", "w^4 - 2*w^2", "lr_range(f, start = 2)"),
    ("optimal_lr quadratic", "w^2 + 2*w + 1", "optimal_lr(f, start = 5)"),
    ("optimal_lr exp", "exp(w) - 2*w", "optimal_lr(f, start = 0)"),
]


def time_case(defn: str, goal: str, repeat: int) -> float:
    text = f'problem "b" {{\n f(w) = {defn}\n find {goal}\n}}'
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        sol = derive.solve(text)
        times.append(time.perf_counter() - t)
        if not sol.ok:
            raise SystemExit(f"{goal}: {sol.results[0].error}")
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    time_case(*CASES[0][1:], repeat=1)          # warm-up: imports and parser
    rows = [(name, time_case(defn, goal, args.repeat)) for name, defn, goal in CASES]
    base = rows[0][1]
    print(f"{'case':32} {'seconds':>9} {'ratio':>8}")
    for name, t in rows:
        print(f"{name:32} {t:9.4f} {t / base:8.1f}")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "optimize.json").write_text(json.dumps(
        {"baseline": CASES[0][0], "rows": [{"case": n, "seconds": t, "ratio": t / base} for n, t in rows]},
        indent=1) + "\n")


if __name__ == "__main__":
    main()
