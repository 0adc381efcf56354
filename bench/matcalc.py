"""Benchmark: the attention gradient ∂L/∂x1 (II.2(c) generalised to n tokens), with steps.

For n = 2, 4, 8 tokens, times `python -m derive solve SPEC --format json` end to end
(start-up, parse, derivation with every step checked, JSON rendering) against the
import floor `python -c "import sympy, lark, jinja2"`, measured in the same run.
Each command runs REPEATS times; the table shows the fastest run (the least disturbed
by other processes on the machine) and its ratio to the floor.

Usage (from the repository root):  python3 bench/matcalc.py [--repeats 5]
Writes bench/results/matcalc.json.  The target is n = 4 within 2x the floor.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = [sys.executable, "-c", "import sympy, lark, jinja2"]


def spec(n: int) -> str:
    xs = ", ".join(f"x{i}" for i in range(1, n + 1))
    gs = ", ".join(f"g{i}" for i in range(1, n + 1))
    ys = "\n".join(f"  y{i} = Y[{i}]" for i in range(1, n + 1))
    givens = "\n".join(f"  given grad(L, y{i}) = g{i}" for i in range(1, n + 1))
    return f"""problem "attention gradient, {n} tokens" {{
  dim d
  vector {xs} : (d)
  matrix W_Q, W_K, W_V : (d, d)
  vector {gs} : (d)
  Y = attention([{xs}], W_Q, W_K, W_V, softmax = false, scale = false)
{ys}
  L = loss({', '.join(f'y{i}' for i in range(1, n + 1))})
{givens}
  find grad(L, x1)
}}
"""


def timed(cmd: list[str], repeats: int) -> tuple[float, list[float], str]:
    runs, out = [], ""
    for _ in range(repeats):
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        runs.append(time.perf_counter() - t)
        if proc.returncode not in (0,):
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-500:]}")
        out = proc.stdout
    return min(runs), runs, out


def count_steps(doc: dict) -> int:
    def walk(steps):
        return sum(1 + walk(s.get("substeps", [])) for s in steps)
    return sum(walk(r.get("steps", [])) for p in doc["problems"] for r in p["results"])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="2,4,8")
    args = ap.parse_args()
    floor, floor_runs, _ = timed(FLOOR, args.repeats)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"attention{n}.spec"
            path.write_text(spec(n))
            best, runs, out = timed([sys.executable, "-m", "derive", "solve", str(path), "--format", "json"],
                                    args.repeats)
            doc = json.loads(out)
            result = doc["problems"][0]["results"][0]
            if "error" in result:
                raise SystemExit(f"n={n}: {result['error']}")
            steps = count_steps(doc)
            checked = json.dumps(doc).count('"checked": true')
            rows.append({"tokens": n, "seconds": round(best, 3), "ratio_to_floor": round(best / floor, 2),
                         "runs": [round(r, 3) for r in runs], "steps": steps, "checked_steps": checked,
                         "terms": result["answer"]["text"].count("+") + 1})
    print(f"floor (import sympy, lark, jinja2): {floor:.3f} s   runs {', '.join(f'{r:.3f}' for r in floor_runs)}")
    print(f"{'tokens':>6} {'seconds':>8} {'x floor':>8} {'steps':>6} {'checked':>8} {'terms':>6}")
    for r in rows:
        print(f"{r['tokens']:>6} {r['seconds']:>8.3f} {r['ratio_to_floor']:>8.2f} {r['steps']:>6} "
              f"{r['checked_steps']:>8} {r['terms']:>6}")
    target = next((r for r in rows if r["tokens"] == 4), None)
    if target:
        verdict = "met" if target["ratio_to_floor"] <= 2 else "missed"
        print(f"target n=4 within 2x the floor: {verdict} ({target['ratio_to_floor']:.2f}x)")
    out = ROOT / "bench" / "results" / "matcalc.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "attention gradient d L / d x1 with steps",
                               "floor_seconds": round(floor, 3), "floor_runs": [round(r, 3) for r in floor_runs],
                               "repeats": args.repeats, "python": sys.version.split()[0], "rows": rows},
                              indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
