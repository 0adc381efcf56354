"""Fuzzing: the seed specs mutated token-wise, each solved and rendered; counts by outcome.

    python3 bench/fuzz.py [--runs 10000] [--seed 0] [--workers 2] [--time-limit 10] [--show N]

Case `i` of a run is the seed spec `rnd.choice(SEEDS)` under 1 to 3 mutations (delete,
duplicate or swap a token, insert a character, replace a number, truncate, replace a name
by another name or a goal, wrap a name in a goal or builtin call), with `rnd =
random.Random(f"{seed}:{i}")`: any case can be rebuilt on its own (`--case i` prints it),
and tests/test_fuzz.py runs the first few hundred of the same stream in the normal suite.

Each case is solved with `derive.solve` under a per-goal time budget and rendered as JSON
and in one more format.  Its outcome is the kind of the `DeriveError` it raised (syntax,
error, limit, unsupported), "solved", or a failure: "internal" (an InternalError raised,
or a goal result of kind internal), "check_failed", "traceback" (any other exception),
"bad_position" (an error placed outside the text) or "bad_json".  The table counts the
cases by outcome and the goals by result kind; every failure is printed with its spec.

Writes bench/results/fuzz.json.  Exit code 1 when any case failed (a fuzz run judges:
each failure is a bug), else 0.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FAILURES = ("internal", "check_failed", "traceback", "bad_position", "bad_json")

INLINE = [
    '''title "Inline"
problem "MLP" points 4 {
  text """A tiny network with $W_1$ and $\\\\sigma$."""
  input x = [1, 2]
  param W1 = [[1, -1], [0.5, 2]]
  param b1 = zeros(2)
  h = relu(W1 @ x + b1)
  o = sum(h) / 2
  (a) [2] find o
  (b) [2] find h[1], h.T @ h
}
''',
    '''problem "Symbols" {
  symbol a, b : positive
  dim d = 3
  vector p : (d)
  let m = matrix(2, 2, (i, j) -> if odd(i + j) then a else b)
  f(w) = a*w^2 + b*w + 1
  choices { (a) 1 (b) a + b (c) none }
  find m @ [1, 1], f(2), p[2] + a, exp(log(a)) - a
}
''',
]

ALPHABET = list("(){}[],:=+-*/@^<>!.#\"'$;\\_ \n\tx1a0") + [
    "->", ".T", '"""', "η", "×", "\u00a0", "find", "let", "problem", "(a)", "if", "then", "else", "[[", "]]"]
NUMBERS = ["0", "1", "-1", "2", "0.5", "1e9", "99999", "1/0", "10^6", "1e-9", "3"]
NUMBERS += ["10^4", "10^2200", "10000", "0.1", "1/3", "-0.5"]
# Names a "rename" or "wrap" puts into a spec: the goals and builtins (whose corners a token
# mutation rarely reaches: a syntax error is the usual outcome of a deleted bracket).
CALLS_1 = ["expand", "simplify", "concat", "eye", "sum", "loss", "softmax", "norm", "exp", "log", "relu",
           "shape", "params", "mean", "max", "zeros", "ones", "sqrt", "abs", "sigmoid", "choice", "forward"]
CALLS_2 = ["grad", "convex", "hessian", "concat", "full", "posterior", "mse", "cross_entropy", "distance",
           "margin", "max", "loss", "feature_map", "sgd_step", "zeros", "eye", "precision", "accuracy"]
OPS = ("delete", "duplicate", "swap", "insert", "number", "truncate", "rename", "wrap", "wrap")


def _rename(rnd: random.Random, text: str, toks: list) -> str:
    """A name token replaced by another name of the spec, a goal or a builtin."""
    names = [k for k in toks if k.kind == "name"]
    if not names:
        return text
    t = rnd.choice(names)
    other = rnd.choice([k.text for k in names]) if rnd.random() < 0.6 else rnd.choice(CALLS_1 + CALLS_2)
    return text[:t.start] + other + text[t.end:]


def _wrap(rnd: random.Random, text: str, toks: list) -> str:
    """A name or number token `a` replaced by `g(a)` or `g(a, b)` (b another name of the spec)."""
    cands = [k for k in toks if k.kind in ("name", "number")]
    if not cands:
        return text
    t = rnd.choice(cands)
    if rnd.random() < 0.5:
        new = f"{rnd.choice(CALLS_1)}({t.text})"
    else:
        b = rnd.choice([k.text for k in cands])
        new = f"{rnd.choice(CALLS_2)}({t.text}, {b})" if rnd.random() < 0.7 else f"{rnd.choice(CALLS_2)}({b}, {t.text})"
    return text[:t.start] + new + text[t.end:]


def seed_dir() -> Path | None:
    for parent in ROOT.parents:
        cand = parent / "shared" / "specs" / "seed"
        if cand.is_dir():
            return cand
    return None


def seeds() -> list[str]:
    """The inline specs above, then the seed corpus's specs in name order."""
    d = seed_dir()
    return INLINE + ([p.read_text(encoding="utf-8") for p in sorted(d.glob("*.spec"))] if d else [])


def mutate(rnd: random.Random, text: str) -> str:
    """`text` under 1 to 3 random token-wise mutations drawn from `rnd`."""
    from derive.parse_errors import scan
    toks = scan(text)[0]
    for _ in range(rnd.randint(1, 3)):
        op = rnd.choice(OPS)
        if op == "truncate":
            text = text[:rnd.randint(0, len(text))]
        elif op == "insert":
            at = rnd.randint(0, len(text))
            text = text[:at] + rnd.choice(ALPHABET) + text[at:]
        elif op == "rename":
            text = _rename(rnd, text, toks)
        elif op == "wrap":
            text = _wrap(rnd, text, toks)
        elif toks:
            i = rnd.randrange(len(toks))
            t = toks[i]
            if op == "delete":
                text = text[:t.start] + text[t.end:]
            elif op == "duplicate":
                text = text[:t.end] + " " + t.text + text[t.end:]
            elif op == "number":
                nums = [k for k in toks if k.kind == "number"]
                if nums:
                    t = nums[i % len(nums)]
                    text = text[:t.start] + rnd.choice(NUMBERS) + text[t.end:]
            elif op == "swap" and i + 1 < len(toks):
                u = toks[i + 1]
                text = text[:t.start] + u.text + text[t.end:u.start] + t.text + text[u.end:]
        toks = scan(text)[0]
    return text


def case(i: int, seed: int = 0, pool: list[str] | None = None) -> tuple[str, str]:
    """Case `i` of the stream `seed`: (spec text, output format)."""
    import derive
    rnd = random.Random(f"{seed}:{i}")
    text = mutate(rnd, rnd.choice(pool if pool is not None else _SEEDS()))
    return text, rnd.choice(sorted(derive.FORMATS))


def outcome(text: str, fmt: str | None = None) -> tuple[str, list[str], str]:
    """(outcome, the goals' result kinds, detail) of solving and rendering `text` (see the
    module docstring for the outcomes; detail is the failure's message, else "")."""
    import derive
    try:
        solution = derive.solve(text, "fuzz.spec")
    except derive.DeriveError as err:
        if isinstance(err, (derive.InternalError, derive.CheckFailed)):
            return ("internal" if isinstance(err, derive.InternalError) else "check_failed"), [], str(err)
        if not err.message or "Traceback" in err.message:
            return "traceback", [], repr(err.message)
        if err.pos is not None and not (1 <= err.line <= text.count("\n") + 2 and err.column >= 1):
            return "bad_position", [], str(err)
        str(err)
        return err.kind if err.kind != "error" else type(err).__name__, [], ""
    except Exception as exc:   # noqa: BLE001 - a traceback is what the fuzzer hunts for
        import traceback
        return "traceback", [], "".join(traceback.format_exception(exc))[-3000:]
    kinds = [r.error.kind if r.error else "solved" for r in solution.results]
    for r in solution.results:
        if r.error is not None and (r.error.kind in ("internal", "check_failed") or not r.error.message):
            return r.error.kind, kinds, f"({r.label}) {r.goal}: {r.error.message} at {r.error.line}:{r.error.column}"
    try:
        def no_constants(name):
            raise ValueError(f"the JSON holds {name}, which is not JSON")
        json.loads(solution.render("json"), parse_constant=no_constants)
    except ValueError as exc:
        return "bad_json", kinds, str(exc)
    except Exception as exc:   # noqa: BLE001
        import traceback
        return "traceback", kinds, "".join(traceback.format_exception(exc))[-3000:]
    try:
        if fmt:
            solution.render(fmt)
    except Exception as exc:   # noqa: BLE001
        import traceback
        return "traceback", kinds, f"render {fmt}: " + "".join(traceback.format_exception(exc))[-3000:]
    return "solved", kinds, ""


_POOL: list[str] | None = None


def _SEEDS() -> list[str]:
    global _POOL
    if _POOL is None:
        _POOL = seeds()
    return _POOL


def _init(time_limit: float, cache_dir: str | None) -> None:
    if cache_dir:
        os.environ["DERIVE_CACHE_DIR"] = cache_dir
    from derive import limits
    limits.GOAL_SECONDS = time_limit
    limits.memory_limit(3000)


def _run(job: tuple[int, int]) -> tuple[int, str, list[str], str, float]:
    i, seed = job
    text, fmt = case(i, seed)
    t = time.perf_counter()
    kind, kinds, detail = outcome(text, fmt)
    return i, kind, kinds, detail, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0, help="first case index")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--time-limit", type=float, default=10.0, help="seconds per goal")
    ap.add_argument("--case", type=int, help="print case CASE's spec and outcome, run nothing else")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "fuzz.json"))
    args = ap.parse_args(argv)
    _init(args.time_limit, os.environ.get("DERIVE_CACHE_DIR"))
    if args.case is not None:
        text, fmt = case(args.case, args.seed)
        print(text)
        print("----", fmt, outcome(text, fmt))
        return 0
    import multiprocessing as mp
    jobs = [(i, args.seed) for i in range(args.start, args.start + args.runs)]
    by_case, by_goal, failures, slow = collections.Counter(), collections.Counter(), [], []
    t0 = time.perf_counter()
    ctx = mp.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(args.workers, _init, (args.time_limit, os.environ.get("DERIVE_CACHE_DIR")),
                  maxtasksperchild=200) as pool:
        for n, (i, kind, kinds, detail, secs) in enumerate(pool.imap_unordered(_run, jobs, chunksize=4), 1):
            by_case[kind] += 1
            by_goal.update(kinds)
            slow.append((secs, i))
            if kind in FAILURES:
                failures.append({"case": i, "outcome": kind, "detail": detail, "spec": case(i, args.seed)[0]})
                print(f"case {i}: {kind}: {detail[:300]}", flush=True)
            if n % 500 == 0:
                print(f"... {n} cases, {time.perf_counter() - t0:.0f} s, {dict(by_case)}", flush=True)
    wall = time.perf_counter() - t0
    _report(args, by_case, by_goal, failures, sorted(slow, reverse=True)[:10], wall)
    return 1 if failures else 0


def _report(args, by_case, by_goal, failures, slowest, wall) -> None:
    print(f"\n{args.runs} cases (seed {args.seed}, from {args.start}), {args.workers} workers, {wall:.0f} s\n")
    print("| outcome of a case | cases |\n|---|---:|")
    for k, v in by_case.most_common():
        print(f"| {k}{' (failure)' if k in FAILURES else ''} | {v} |")
    print("\n| result kind of a goal (cases that solved) | goals |\n|---|---:|")
    for k, v in by_goal.most_common():
        print(f"| {k} | {v} |")
    print("\nslowest cases: " + ", ".join(f"{i} ({s:.1f} s)" for s, i in slowest))
    for f in failures:
        print(f"\n==== case {f['case']}: {f['outcome']}\n{f['detail']}\n---- spec:\n{f['spec']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"runs": args.runs, "seed": args.seed, "start": args.start, "wall_s": round(wall),
                               "cases": dict(by_case.most_common()), "goals": dict(by_goal.most_common()),
                               "failures": failures}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
