"""Benchmark (not a test): time of the classics goals as the problem grows.

Prints one table: each case's median wall time over a few runs and its ratio to the
baseline case (feature_map of (pᵀq)² in 2-D) measured in the same run.
Run from the project root: python3 bench/bench_classics.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's derive
import derive  # noqa: E402

CASES = {
    "feature_map (pᵀq)^2, n=2 [baseline]": 'vector p, q : (2)\n k(p, q) = (p @ q)^2\n find feature_map(k)',
    "feature_map (pᵀq)^3, n=2 (seed)": 'vector p, q : (2)\n k(p, q) = (p @ q)^3\n find feature_map(k)',
    "feature_map (pᵀq+1)^4, n=3": 'vector p, q : (3)\n k(p, q) = (p @ q + 1)^4\n find feature_map(k)',
    "feature_map (pᵀq+1)^4, n=4": 'vector p, q : (4)\n k(p, q) = (p @ q + 1)^4\n find feature_map(k)',
    "feature_map rbf order 3, n=2": 'vector p, q : (2)\n symbol g : positive\n k(p, q) = exp(-g * norm(p - q)^2)\n'
                                    ' find feature_map(k, order = 3)',
    "derivation(svm_primal)": 'find derivation(svm_primal)',
    "precision, N=10 (seed)": 'let s = [0.7, 0.65, 0.92, 0.75, 0.45, 0.8, 0.3, 0.8, 0.1, 0.1]\n'
                              ' let y = [1, 0, 1, 1, 0, 1, 1, 1, 0, 0]\n find precision(s, y, threshold = 0.5)',
    "auc, N=200": 'let s = [' + ", ".join(str((i * 37 % 100) / 100) for i in range(200)) + ']\n let y = ['
                  + ", ".join(str(i * 13 % 3 % 2) for i in range(200)) + ']\n find auc(s, y)',
}


def run(body: str) -> float:
    t = time.perf_counter()
    sol = derive.solve('problem "b" {\n ' + body + '\n}')
    assert sol.ok, [r.error for r in sol.results]
    return time.perf_counter() - t


def main() -> None:
    run(CASES["derivation(svm_primal)"])          # warm up imports and the parser
    rows = []
    for name, body in CASES.items():
        rows.append((name, statistics.median(run(body) for _ in range(3))))
    base = rows[0][1]
    width = max(len(n) for n, _ in rows)
    print(f"{'case':<{width}}  {'median s':>9}  {'ratio':>6}")
    for name, t in rows:
        print(f"{name:<{width}}  {t:>9.3f}  {t / base:>6.1f}")


if __name__ == "__main__":
    main()
