"""Start-up latency of `derive solve`: each seed spec, cold, against importing its libraries.

    python3 bench/latency.py [--runs 5] [--format md] [--derive "python3 -m derive"] [--specs DIR]

For every spec in the seed corpus (shared/specs/seed) it runs `derive solve SPEC --format
FMT` (default md, as a user types it) in a fresh interpreter several times and takes the
median wall time; the baseline is
`python -c "import sympy, lark, jinja2"`, measured the same way in the same run (so the
ratio does not depend on how busy the machine is).  A "startup" row solves a one-line
spec, which isolates start-up from derivation work.  Target: ratio ≤ 1.5.

Prints a table and writes bench/results/latency.json.  Exit code 0 always: a benchmark
reports, it does not judge (the table marks rows over the target).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5


def seed_dir() -> Path | None:
    for parent in ROOT.parents:
        cand = parent / "shared" / "specs" / "seed"
        if cand.is_dir():
            return cand
    return None


def _once(cmd: list[str], cwd: Path, env: dict) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    return time.perf_counter() - t, proc.returncode


def timed_pair(base_cmd: list[str], cmd: list[str], runs: int, cwd: Path) -> dict:
    """`cmd` and the baseline run alternately `runs` times each (after one untimed warm-up of
    each, which lets Python write bytecode and lark its parser cache): medians of both and
    the median of the per-pair ratios, so that load from other processes on the machine
    affects both sides alike."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)   # an installed package has its bytecode; so do we after warm-up
    _once(base_cmd, cwd, env)
    _once(cmd, cwd, env)
    base, mine, code = [], [], 0
    for _ in range(runs):
        b, _ = _once(base_cmd, cwd, env)
        m, code = _once(cmd, cwd, env)
        base.append(b)
        mine.append(m)
    return {"median_s": round(statistics.median(mine), 4), "baseline_s": round(statistics.median(base), 4),
            "ratio": round(statistics.median(m / b for m, b in zip(mine, base)), 3),
            "times_s": [round(t, 4) for t in mine], "baseline_times_s": [round(t, 4) for t in base],
            "exit_code": code}


def _importtime(cmd: list[str]) -> dict[str, int]:
    """module -> self time in µs, from `python -X importtime` of one run of `cmd`."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONPROFILEIMPORTTIME="1")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True)
    out: dict[str, int] = {}
    for line in proc.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            try:
                self_us, _, name = line.split(":", 1)[1].split("|")
                out[name.strip()] = int(self_us)
            except ValueError:
                continue
    return out


def import_profile(derive: list[str], base_cmd: list[str], spec: Path, fmt: str) -> dict:
    """One `-X importtime` run: derive's own modules (self time) and the other modules a run
    imports that the baseline does not (self time), in µs.  Single runs: indicative only."""
    base = _importtime(base_cmd)
    run = _importtime(derive + ["solve", str(spec), "--format", fmt])
    own = {m: t for m, t in run.items() if m.split(".")[0] == "derive"}
    extra = {m: t for m, t in run.items() if m not in base and m.split(".")[0] != "derive"}

    def top(d: dict) -> dict:
        return dict(sorted(d.items(), key=lambda kv: -kv[1])[:8])
    return {"derive_modules_self_us": sum(own.values()), "top_derive_modules_us": top(own),
            "other_new_modules": len(extra), "other_new_modules_self_us": sum(extra.values()),
            "top_other_new_modules_us": top(extra)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per row (median is reported)")
    ap.add_argument("--derive", default=f"{sys.executable} -m derive", help="the derive command")
    ap.add_argument("--format", default="md", help="output format to ask for (default: md)")
    ap.add_argument("--specs", type=Path, default=seed_dir(), help="folder of .spec files")
    ap.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "latency.json")
    args = ap.parse_args(argv)

    derive = shlex.split(args.derive)
    base_cmd = [sys.executable, "-c", "import sympy, lark, jinja2"]

    with tempfile.TemporaryDirectory() as tmp:
        tiny = Path(tmp) / "startup.spec"
        tiny.write_text('problem "p" {\n  let a = 1\n  find a\n}\n')
        specs = [("startup (one-line spec)", tiny)]
        if args.specs and args.specs.is_dir():
            specs += [(p.name, p) for p in sorted(args.specs.glob("*.spec"))]
        profile = import_profile(derive, base_cmd, tiny, args.format)
        rows = []
        for name, path in specs:
            row = timed_pair(base_cmd, derive + ["solve", str(path), "--format", args.format], args.runs, ROOT)
            rows.append({"spec": name, **row})

    base = statistics.median(r["baseline_s"] for r in rows)
    width = max(len(r["spec"]) for r in rows)
    print(f"baseline: python -c 'import sympy, lark, jinja2', median {base:.3f} s "
          f"(measured alternately with each row, {args.runs} runs each)")
    print(f"{'spec':<{width}}  {'derive s':>9}  {'base s':>7}  {'ratio':>6}  exit")
    for r in rows:
        flag = "" if r["ratio"] <= TARGET else f"  > {TARGET}x"
        print(f"{r['spec']:<{width}}  {r['median_s']:>9.3f}  {r['baseline_s']:>7.3f}  {r['ratio']:>5.2f}x  "
              f"{r['exit_code']:>4}{flag}")
    ratios = [r["ratio"] for r in rows]
    print(f"median ratio {statistics.median(ratios):.2f}x, worst {max(ratios):.2f}x (target ≤ {TARGET}x)")
    print(f"derive's own modules import in {profile['derive_modules_self_us'] / 1000:.1f} ms; slowest: "
          + ", ".join(f"{k} {v / 1000:.1f} ms" for k, v in list(profile["top_derive_modules_us"].items())[:4]))
    print(f"other modules a run imports beyond the baseline: {profile['other_new_modules']}, "
          f"{profile['other_new_modules_self_us'] / 1000:.1f} ms")

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "baseline": {"command": "python -c 'import sympy, lark, jinja2'", "median_s": round(base, 4)},
        "derive": args.derive, "format": args.format, "runs": args.runs, "target_ratio": TARGET,
        "python": platform.python_version(), "machine": platform.machine(),
        "rows": rows,
        "import_profile": profile,
        "median_ratio": round(statistics.median(ratios), 3), "worst_ratio": round(max(ratios), 3),
    }, indent=1) + "\n")
    print(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
