"""Time for N checked variants of the seed exam against N `derive solve` runs, one process.

    python3 bench/variants.py [-n 100] [--spec examples/seed-exam-variants.spec]

Both sides run in this process, one after the other, CPU time (time.process_time) and wall
time each:
  variants  derive.variants.generate(spec, n): n distinct variants, every goal of every
            variant derived and checked (problems without `vary` derived once, shared);
  baseline  n x derive.solve(spec): the exam with its defaults, solved n times, each time
            in full (what a script that called `derive solve` per student would pay, less
            the interpreter start-up).
The ratio variants / baseline is measured in the same run, so it does not depend on how
busy the machine is.  Target (issue 13): 100 variants in under 20 s of CPU on one core.
Prints a table and writes bench/results/variants.json; exit code 0 always.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_CPU = 20.0


def _timed(fn) -> tuple[float, float, object]:
    c, w = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - c, time.perf_counter() - w, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--spec", default=str(ROOT / "examples" / "seed-exam-variants.spec"))
    args = ap.parse_args()
    import derive
    from derive.variants import generate
    derive.solve(args.spec)                        # warm-up: imports, parser tables, families
    v_cpu, v_wall, batch = _timed(lambda: generate(args.spec, args.n))
    b_cpu, b_wall, _ = _timed(lambda: [derive.solve(args.spec) for _ in range(args.n)])
    goals = sum(len(v.solution.results) for v in batch.variants)
    rows = [("variants", v_cpu, v_wall), ("baseline (solve x n)", b_cpu, b_wall)]
    print(f"{args.n} variants of {Path(args.spec).name}: {goals} goals derived and checked, "
          f"{batch.rejections.total} draws rejected, {len(batch.duplicates)} duplicates merged")
    print(f"{'':24} {'CPU s':>9} {'wall s':>9} {'CPU s/variant':>14}")
    for name, cpu, wall in rows:
        print(f"{name:24} {cpu:9.2f} {wall:9.2f} {cpu / args.n:14.3f}")
    ratio = v_cpu / b_cpu if b_cpu else float("nan")
    flag = "" if v_cpu * 100 / args.n <= TARGET_CPU else f"  (over the {TARGET_CPU:.0f} s target for 100)"
    print(f"ratio variants / baseline (CPU): {ratio:.3f}; 100 variants ≈ {v_cpu * 100 / args.n:.1f} s CPU{flag}")
    out = {"n": args.n, "spec": Path(args.spec).name, "python": platform.python_version(),
           "variants": {"cpu": round(v_cpu, 3), "wall": round(v_wall, 3)},
           "baseline": {"cpu": round(b_cpu, 3), "wall": round(b_wall, 3)},
           "ratio_cpu": round(ratio, 4), "rejected": batch.rejections.total, "duplicates": len(batch.duplicates)}
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "variants.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
