"""Benchmark: grad(L, W1[1, 1]) with all steps on an MLP n → n → n → 1 (ReLU).

Exact decimal weights (two decimals, seeded), for n = 8, 32, 64, 128.  Each case is timed
as a user runs it (`python -m derive solve SPEC`, Markdown with every step) and compared
with two baselines measured in the same run:

* the import floor: `python -c "import sympy, lark, jinja2"`;
* the naive route: every weight but W1[1, 1] substituted into the composed expression of
  L, then `sympy.diff` and substitution (a subprocess too, so it pays the same imports).

Prints a table and writes bench/results/backprop.json.  Usage:
    python bench/backprop.py [--sizes 8,32,64,128] [--repeat 3] [--naive-timeout 120]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def weights(rnd: random.Random, rows: int, cols: int) -> list[list[Fraction]]:
    return [[Fraction(rnd.randint(-99, 99), 100) for _ in range(cols)] for _ in range(rows)]


def network(n: int, seed: int = 1) -> dict:
    """Random two-decimal weights; the first seed whose unit 1 is active, so the gradient
    really flows through W1[1, 1] (otherwise it is a trivial 0)."""
    while True:
        rnd = random.Random(seed)
        net = {"x": [Fraction(rnd.randint(-200, 200), 100) for _ in range(n)],
               "W1": weights(rnd, n, n), "b1": [Fraction(rnd.randint(-20, 20), 100) for _ in range(n)],
               "W2": weights(rnd, n, n), "b2": [Fraction(rnd.randint(-20, 20), 100) for _ in range(n)],
               "W3": weights(rnd, 1, n), "b3": [Fraction(rnd.randint(-20, 20), 100)], "t": Fraction(3, 2)}
        z1 = sum(w * x for w, x in zip(net["W1"][0], net["x"])) + net["b1"][0]
        h1 = [max(Fraction(0), sum(w * x for w, x in zip(row, net["x"])) + b) for row, b in zip(net["W1"], net["b1"])]
        z2 = [sum(w * h for w, h in zip(row, h1)) + b for row, b in zip(net["W2"], net["b2"])]
        if z1 > 0 and any(z > 0 and w != 0 for z, w in zip(z2, net["W3"][0])):
            return net
        seed += 1


def dec(f: Fraction) -> str:
    return str(float(f)) if f.denominator != 1 else str(f.numerator)


def spec(net: dict) -> str:
    vec = lambda v: "[" + ", ".join(dec(e) for e in v) + "]"
    mat = lambda m: "[" + ", ".join(vec(r) for r in m) + "]"
    return ("problem \"MLP backprop\" {\n"
            f"  input x = {vec(net['x'])}\n"
            f"  param W1 = {mat(net['W1'])}\n  param b1 = {vec(net['b1'])}\n"
            f"  param W2 = {mat(net['W2'])}\n  param b2 = {vec(net['b2'])}\n"
            f"  param W3 = {mat(net['W3'])}\n  param b3 = {vec(net['b3'])}\n"
            f"  let t = {dec(net['t'])}\n"
            "  h1 = relu(W1 @ x + b1)\n  h2 = relu(W2 @ h1 + b2)\n  o = W3 @ h2 + b3\n  L = (t - o)^2\n"
            "  find grad(L, W1[1, 1])\n}\n")


STAGES = r'''
import json, sys, time
t0 = time.perf_counter()
import derive
from derive.syntax import parse
from derive.pipeline import build
from derive.pipeline import derive as derive_problem
from derive.steps import Solution
from derive.derivers.registry import load_all
load_all()
t1 = time.perf_counter()
spec = parse(open(sys.argv[1]).read(), sys.argv[1])
t2 = time.perf_counter()
problems = build(spec)
t3 = time.perf_counter()
solved = derive_problem(problems[0])
t4 = time.perf_counter()
Solution((solved,)).render("md")
t5 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "parse": t2 - t1, "build": t3 - t2, "derive": t4 - t3, "render": t5 - t4}))
'''

NAIVE = r'''
import json, sys
import sympy as sp
net = json.load(open(sys.argv[1]))
F = lambda s: sp.Rational(s)
w = sp.Symbol("w", real=True)
x = [F(v) for v in net["x"]]
W1 = [[F(v) for v in r] for r in net["W1"]]
W1[0][0] = w
relu = lambda e: sp.Max(0, e)
h1 = [relu(sum(W1[i][j] * x[j] for j in range(len(x))) + F(net["b1"][i])) for i in range(len(W1))]
h2 = [relu(sum(F(net["W2"][i][j]) * h1[j] for j in range(len(h1))) + F(net["b2"][i])) for i in range(len(h1))]
o = sum(F(net["W3"][0][j]) * h2[j] for j in range(len(h2))) + F(net["b3"][0])
L = (F(net["t"]) - o) ** 2
g = sp.diff(L, w).subs(w, F(net["W1"][0][0]))
print(sp.nsimplify(g))
'''


def run(cmd: list[str], timeout: float | None = None) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    dt = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {out.stderr[-2000:]}")
    return dt, out.stdout


def best(cmd: list[str], repeat: int, timeout: float | None = None) -> tuple[float, str]:
    times, text = [], ""
    for _ in range(repeat):
        dt, text = run(cmd, timeout)
        times.append(dt)
    return min(times), text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="8,32,64,128")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--naive-timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    py = sys.executable
    floor, _ = best([py, "-c", "import sympy, lark, jinja2"], max(args.repeat, 5))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(s) for s in args.sizes.split(",")]:
            net = network(n)
            path = Path(tmp) / f"mlp{n}.spec"
            path.write_text(spec(net))
            t_derive, md = best([py, "-m", "derive", "solve", str(path)], args.repeat)
            answer = next((ln for ln in md.splitlines() if ln.startswith("**Answer:**")), "").strip()
            spath = Path(tmp) / "stages.py"
            spath.write_text(STAGES)
            stages = json.loads(run([py, str(spath), str(path)])[1])
            jpath = Path(tmp) / f"mlp{n}.json"
            jpath.write_text(json.dumps({k: ([[str(e) for e in r] for r in v] if isinstance(v, list) and v
                                              and isinstance(v[0], list) else [str(e) for e in v]
                                              if isinstance(v, list) else str(v)) for k, v in net.items()}))
            npath = Path(tmp) / "naive.py"
            npath.write_text(NAIVE)
            try:
                t_naive, naive_out = run([py, str(npath), str(jpath)], args.naive_timeout)
                naive_val = naive_out.strip()
            except subprocess.TimeoutExpired:
                t_naive, naive_val = None, None
            rows.append({"n": n, "derive_s": round(t_derive, 3), "floor_s": round(floor, 3),
                         "derive_over_floor": round(t_derive / floor, 2),
                         "naive_s": None if t_naive is None else round(t_naive, 3),
                         "naive_over_derive": None if t_naive is None else round(t_naive / t_derive, 2),
                         "answer": answer.replace("**Answer:**", "").strip().strip("$"), "naive_answer": naive_val,
                         "markdown_bytes": len(md.encode()),
                         "stages_s": {k: round(v, 3) for k, v in stages.items()}})
    head = (f"{'n':>5} {'derive s':>9} {'floor s':>8} {'×floor':>7} {'naive s':>9} {'naive/derive':>13}  "
            f"{'import/parse/build/derive/render s':>36}  answer (naive)")
    print(head)
    print("-" * len(head))
    for r in rows:
        naive = "timeout" if r["naive_s"] is None else f"{r['naive_s']:.2f}"
        ratio = "-" if r["naive_over_derive"] is None else f"{r['naive_over_derive']:.1f}"
        st = "/".join(f"{v:.2f}" for v in r["stages_s"].values())
        print(f"{r['n']:>5} {r['derive_s']:>9.2f} {r['floor_s']:>8.2f} {r['derive_over_floor']:>7.2f} "
              f"{naive:>9} {ratio:>13}  {st:>36}  {r['answer']} ({r['naive_answer']})")
    out = ROOT / "bench" / "results" / "backprop.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "grad(L, W1[1, 1]) on MLP n→n→n→1, all steps, CLI markdown",
                               "python": sys.version.split()[0], "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
