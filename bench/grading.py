"""Benchmark: answer checks per second per core, derive.grading against SymPy's
`simplify(a - b) == 0` on the same (key, answer) pairs, measured in the same run.

Three kinds of answer: scalars (3/4 and log 3 against decimals, fractions, wrong values),
expressions ((x + 1)^2 (x - y) against expanded, factored and wrong forms) and 3×3
matrices (against right, one-entry-wrong and transposed answers).  derive's side is the
whole `grade(result, text)` call: reading the text with derive's grammar, comparing,
and building the Grade.  The baseline is what a host would otherwise do: `parse_expr`
the text (which evals it: fine here, on the benchmark's own strings) and test
`simplify(key - answer) == 0` (entry-wise `simplify` for matrices).  One process, so the
rate is per core; each side runs ROUNDS times over its pairs, the sides taking turns, and
the fastest round of each counts; the garbage collector is off during a timed round, as
in timeit.
derive's side is measured twice: cold (every check forgets the responses seen before, so
each one is parsed and compared anew: the rate for answers all different) and as a class
(the same answers given by REPEAT students: a response seen before is remembered, as in
`derive grade` over a class).  The ratios are to the same SymPy baseline.  Both sides
keep SymPy's own cache warm (the baseline's repeated pairs are cached the same way), and
derive keeps the LaTeX it printed for a value (the feedback's `$...$`): "cold" forgets
what derive.grading remembers about responses, not what SymPy remembers about objects.

Usage (from the repository root):  python3 bench/grading.py [--rounds 3]
Writes bench/results/grading.json.  Targets: >= 2,000 checks/s/core, >= 50x for scalars
and expressions.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPEC = '''problem "bench" {
  symbol x, y
  let a = 3
  let M = [[2, -1, 0], [1, 3, 2], [0, 1, 4]]
  find a / 4
  find log(a)
  find (x + 1)^2 * (x - y)
  find M @ M
}
'''
ANSWERS = {
    "scalar": [(0, "0.75"), (0, "3/4"), (0, "6/8"), (0, "0.7"), (0, "-3/4"), (1, "1.0986"), (1, "log(3)"),
               (1, "1.09"), (1, "ln(9)/2"), (0, "1/2 + 1/4")],
    "expression": [(2, "(x + 1)^2 * (x - y)"), (2, "x^3 + 2*x^2 + x - x^2*y - 2*x*y - y"),
                   (2, "(x - y)*(x^2 + 2*x + 1)"), (2, "(x + 1)^2 * (y - x)"), (2, "x^3 - y")],
    "matrix": [(3, "[[3, -5, -2], [5, 10, 14], [1, 7, 18]]"), (3, "[[3, -5, -2], [5, 10, 14], [1, 7, 17]]"),
               (3, "[[3, 5, 1], [-5, 10, 7], [-2, 14, 18]]")],
}


@contextlib.contextmanager
def _no_gc():
    """A timed round without the cyclic garbage collector (as timeit does), after a
    collection: its pauses fall wherever allocation crosses a threshold, and were the
    largest part of the spread between runs."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def derive_side(results, pairs, rounds: int, repeat: int, cold: bool) -> tuple[float, int]:
    """Seconds for the fastest round and checks per round.  `cold`: every check starts
    with no response remembered (derive.grading.fast.forget_responses before each: the
    text is parsed, read and compared anew); else a class's answers, where the same
    texts come back (`repeat` students giving these answers)."""
    from derive.grading import accept, grade
    from derive.grading.fast import forget_responses
    accs = {k: accept(r) for k, r in enumerate(results)}
    best, count = float("inf"), 0
    for _ in range(rounds):
        forget_responses()
        with _no_gc():
            t0 = time.perf_counter()
            for _ in range(repeat):
                for k, text in pairs:
                    if cold:
                        forget_responses()
                    grade(results[k], text, accept=accs[k])
            best = min(best, time.perf_counter() - t0)
        count = repeat * len(pairs)
    return best, count


def sympy_side(results, pairs, rounds: int, repeat: int) -> tuple[float, int]:
    import sympy as sp
    from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations
    how = standard_transformations + (convert_xor,)
    keys = [r.answer.expr for r in results]
    local = {"x": sp.Symbol("x", real=True), "y": sp.Symbol("y", real=True), "ln": sp.log}
    best, count = float("inf"), 0
    for _ in range(rounds):
        with _no_gc():
            t0 = time.perf_counter()
            for _ in range(repeat):
                for k, text in pairs:
                    b = parse_expr(text, local_dict=local, transformations=how)
                    if isinstance(keys[k], sp.MatrixBase):
                        b = sp.Matrix(b)
                        _ = all(sp.simplify(e) == 0 for e in (keys[k] - b))
                    else:
                        _ = sp.simplify(keys[k] - b) == 0
            best = min(best, time.perf_counter() - t0)
        count = repeat * len(pairs)
    return best, count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=20, help="passes over the pairs per round (derive's side)")
    args = ap.parse_args()
    import derive
    results = list(derive.solve(SPEC).results)
    rows = []
    for kind, pairs in ANSWERS.items():
        dt = wt = st = float("inf")
        for _ in range(args.rounds):       # interleaved, so that a busy moment of the machine hits both sides
            d, n = derive_side(results, pairs, 1, args.repeat, cold=True)
            w_, w = derive_side(results, pairs, 1, args.repeat, cold=False)
            s, m = sympy_side(results, pairs, 1, max(1, args.repeat // 10))
            dt, wt, st = min(dt, d), min(wt, w_), min(st, s)
        ours, warm, theirs = n / dt, w / wt, m / st
        rows.append({"kind": kind, "pairs": len(pairs), "derive_checks_per_s": round(ours),
                     "derive_class_checks_per_s": round(warm),
                     "sympy_simplify_checks_per_s": round(theirs, 1), "ratio": round(ours / theirs, 1),
                     "class_ratio": round(warm / theirs, 1)})
    print(f"{'kind':<11} {'derive (cold)':>14} {'derive (class)':>15} {'simplify':>9} {'ratio cold':>11} "
          f"{'ratio class':>12}   (checks/s, one core)")
    for r in rows:
        print(f"{r['kind']:<11} {r['derive_checks_per_s']:>14,} {r['derive_class_checks_per_s']:>15,} "
              f"{r['sympy_simplify_checks_per_s']:>9,.1f} {r['ratio']:>10.1f}x {r['class_ratio']:>11.1f}x")
    out = ROOT / "bench" / "results" / "grading.json"
    out.write_text(json.dumps({"rounds": args.rounds, "repeat": args.repeat, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
