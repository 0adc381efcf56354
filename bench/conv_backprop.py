"""Benchmark: backprop through a Conv2d network at exam sizes, all steps, as a user runs it.

Two input channels of n×n, Conv2d(2, 2, 2, padding = 1) with a bias, relu, MaxPool2d(2),
Flatten and a squared read-out written as one expression, L = (v @ flat(h) - 2)^2; goals
grad(L, W), grad(L, b), grad(L, x).  Integer values, seeded.  Each size is timed with
`python -m derive solve SPEC` (Markdown, every step) and compared with two baselines from
the same run:

* the import floor: `python -c "import sympy, lark, jinja2"`;
* the factoring route: the same command with derive's factoring of every derivative of
  the read-out turned back on (`FACTOR_SYMBOLS` unbounded, as before the fix), whose cost
  doubles with every two more symbols (a timeout is shown as such).  It was cut off only
  by the 40-operation bound of `_nice`, so it hit read-outs of about 9 to 20 entries
  (n = 5, 6 here) and not longer ones (n = 8: the same time as derive's).

When PyTorch is installed, every gradient is compared with autograd (float64, exact on
these integers).  Prints a table and writes bench/results/conv_backprop.json.  Usage:
    python bench/conv_backprop.py [--sizes 4,5,6,8] [--repeat 1] [--factor-timeout 120]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

FACTORING = ("import sys; import derive.derivers.backprop.util as u; u.FACTOR_SYMBOLS = 10 ** 9; "
             "from derive import cli; sys.exit(cli.main(['solve', sys.argv[1], '--time-limit', '590']))")


def arrays(n: int, seed: int = 0) -> dict:
    """x (2, n, n), W (2, 2, 2, 2), b (2,), v (the pooled output's 2·⌈(n + 1)/2⌉² entries)."""
    rng = np.random.default_rng(seed + n)
    out = (n + 1) // 2
    return {"x": rng.integers(-2, 3, (2, n, n)), "W": rng.integers(-2, 3, (2, 2, 2, 2)),
            "b": rng.integers(-2, 3, 2), "v": rng.integers(-2, 3, 2 * out * out)}


def literal(name: str, a: np.ndarray, lets: list[str]) -> str:
    """The spec expression of an array; matrices of a 3-D or 4-D one become `let` lines."""
    if a.ndim <= 2:
        return str(a.tolist())
    items = []
    for i, sub in enumerate(a):
        expr = literal(f"{name}_{i}", sub, lets)
        if sub.ndim == 2:
            lets.append(f"  let {name}_{i} = {expr}")
            expr = f"{name}_{i}"
        items.append(expr)
    return "[" + ", ".join(items) + "]"


def spec(n: int, a: dict) -> str:
    lets: list[str] = []
    x, w = literal("X", a["x"], lets), literal("K", a["W"], lets)
    return "\n".join([f'problem "conv {n}x{n}" {{', *lets, f"  input x = {x}", f"  param W = {w}",
                      f"  param b = {a['b'].tolist()}",
                      "  layer conv = Conv2d(2, 2, 2, padding = 1, weight = W, bias = b)",
                      "  layer pool = MaxPool2d(2)", "  layer flat = Flatten(0)", f"  param v = {a['v'].tolist()}",
                      "  h = pool(relu(conv(x)))", "  L = (v @ flat(h) - 2)^2",
                      "  find grad(L, W), grad(L, b), grad(L, x)", "}", ""])


def as_array(value) -> np.ndarray:
    """An answer (a matrix, or a list of them for rank 3 or 4) as a float array."""
    if isinstance(value, (list, tuple)):
        return np.array([as_array(v) for v in value], dtype=float)
    return np.array(value.tolist(), dtype=float)


def autograd_agrees(a: dict, path: Path) -> str:
    """'yes' / 'NO' (every gradient equal to torch autograd's), '-' without PyTorch."""
    try:
        import torch
        import torch.nn.functional as TF
    except ImportError:
        return "-"
    sys.path.insert(0, str(ROOT))
    import derive
    sol = derive.solve(str(path))
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k != "v") for k, v in a.items()}
    h = TF.max_pool2d(torch.relu(TF.conv2d(t["x"], t["W"], t["b"], padding=1)), 2)
    ((t["v"] @ h.flatten() - 2) ** 2).backward()
    for r, k in zip(sol.results, ("W", "b", "x")):
        if r.error is not None:
            return "NO"
        got = as_array(r.answer.expr)
        if not np.array_equal(got.reshape(t[k].shape), t[k].grad.numpy()):
            return "NO"
    return "yes"


def run(cmd: list[str], timeout: float | None = None) -> tuple[float | None, str]:
    """(wall seconds or None on a timeout, stdout); a failure raises."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return None, ""
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {out.stderr[-2000:]}")
    return time.perf_counter() - t0, out.stdout


def best(cmd: list[str], repeat: int, timeout: float | None = None) -> tuple[float | None, str]:
    times, text = [], ""
    for _ in range(repeat):
        dt, text = run(cmd, timeout)
        if dt is None:
            return None, ""
        times.append(dt)
    return min(times), text


def measure(n: int, tmp: Path, args: argparse.Namespace) -> dict:
    py = sys.executable
    a = arrays(n)
    path = tmp / f"conv{n}.spec"
    path.write_text(spec(n, a))
    t_derive, md = best([py, "-m", "derive", "solve", str(path), "--time-limit", "590"], args.repeat)
    t_factor, _ = run([py, "-c", FACTORING, str(path)], args.factor_timeout)
    return {"n": n, "readout_entries": int(a["v"].size), "derive_s": round(t_derive, 3),
            "factoring_s": None if t_factor is None else round(t_factor, 3),
            "factoring_over_derive": None if t_factor is None else round(t_factor / t_derive, 1),
            "markdown_bytes": len(md.encode()), "autograd": autograd_agrees(a, path)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="4,5,6,8")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--factor-timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    floor, _ = best([sys.executable, "-c", "import sympy, lark, jinja2"], 3)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(int(s), Path(tmp), args) for s in args.sizes.split(",")]
    head = (f"{'n':>3} {'read-out':>9} {'derive s':>9} {'×floor':>7} {'factoring s':>12} {'factoring/derive':>17} "
            f"{'md bytes':>9}  = autograd")
    print(f"import floor {floor:.2f} s (sympy, lark, jinja2)")
    print(head)
    print("-" * len(head))
    for r in rows:
        fs = "timeout" if r["factoring_s"] is None else f"{r['factoring_s']:.2f}"
        ratio = "-" if r["factoring_over_derive"] is None else f"{r['factoring_over_derive']:.1f}"
        print(f"{r['n']:>3} {r['readout_entries']:>9} {r['derive_s']:>9.2f} {r['derive_s'] / floor:>7.2f} {fs:>12} "
              f"{ratio:>17} {r['markdown_bytes']:>9}  {r['autograd']}")
    out = ROOT / "bench" / "results" / "conv_backprop.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "grad(L, W), grad(L, b), grad(L, x) through Conv2d(2, 2, 2, padding 1), "
                               "relu, MaxPool2d(2), a squared read-out; all steps, CLI markdown",
                               "python": sys.version.split()[0], "floor_s": round(floor, 3), "rows": rows},
                              indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
