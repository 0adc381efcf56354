"""Resource bombs are refused with a clear error (exit 2), in bounded time and memory.

Each bomb runs `python3 -m derive solve` in a subprocess.  The subprocess timeout only
guards the test run (a bomb that got through would otherwise hang it); no test asserts
how long anything takes.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import derive
from derive import limits

ROOT = Path(__file__).resolve().parents[1]
GUARD = 120   # seconds: only so that a regression fails instead of hanging the suite


def run(args, stdin=None, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "derive", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=env, timeout=GUARD)


def problem(*lines):
    return 'problem "p" {\n' + "\n".join(lines) + "\n}\n"


BOMBS = {
    "tower of powers": (problem("  let a = 9^(9^(9^9))"), "the exponent 387420489 is too large"),
    "huge tensor": (problem("  let a = ones(100000, 100000)"),
                    "a 100000×100000 tensor has 10,000,000,000 entries"),
    "matrix rule": (problem("  let a = matrix(1000, 1000, (i, j) -> i + j)"),
                    "a 1000×1000 tensor has 1,000,000 entries"),
    "outer product": (problem("  let a = ones(10000, 1) @ ones(1, 10000)"),
                      "a 10000×10000 tensor has 100,000,000 entries"),
    "symbol to a huge power": (problem("  symbol x", "  let a = x^(10^9)"), "the exponent 1000000000 is too large"),
    "big integer power": (problem("  let a = 7^4000", "  let b = a * a * a * a * a * a * a * a"),
                          "this result holds a number of 22,459 bits; derive refuses numbers over 14,000 bits"),
    "big power": (problem("  let a = 7^9999"), "7^9999 would hold numbers of about 28,070 bits"),
    "huge literal": (problem("  let a = 1e999999999"), "the exponent e999999999 is too large"),
    "long literal": (problem("  let a = " + "7" * 5000), "this number has 5,000 digits"),
    "squares of squares": (problem("  symbol x", "  a = " + "(" * 60 + "2*x" + ")^2" * 60),
                           "derive refuses"),
    "products of products": (problem("  symbol x", "  let a1 = x^100", "  let a2 = a1^100", "  let a3 = a2^100"),
                             "gives an exponent over 10,000"),
    "nested parentheses": (problem("  let a = " + "(" * 5000 + "1" + ")" * 5000), "brackets are nested more than 100"),
    "nested calls": (problem("  let a = " + "relu(" * 5000 + "1" + ")" * 5000), "brackets are nested more than 100"),
    "unary minus chain": (problem("  let a = " + "-" * 5000 + "1"), "nested more than 200 operations deep"),
    "spaced unary chain": (problem("  let a = " + "- " * 5000 + "1"), "nested more than 200 operations deep"),
    "power chain": (problem("  let a = " + "2^" * 5000 + "1"), "nested more than 200 operations deep"),
    "long sum": (problem("  let a = " + "+".join(["1"] * 5000)), "nested more than 200 operations deep"),
    "not chain": (problem("  let a = " + "not " * 5000 + "true"), "nested more than 200 operations deep"),
    "10 MB spec": (problem(*["  let a = 1  # padding padding padding padding"] * 220_000),
                   "the spec is larger than 1,000 kB"),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bomb_is_refused_with_exit_2(name, tmp_path):
    text, fragment = BOMBS[name]
    path = tmp_path / "bomb.spec"
    path.write_text(text)
    proc = run(["solve", str(path), "--format", "json"])
    err = proc.stderr.decode()
    assert proc.returncode == 2, err[-2000:]
    assert fragment in err
    assert "Traceback" not in err
    assert proc.stdout == b""
    first = err.splitlines()[0]
    assert first.startswith(str(path)) and ": error: " in first


def test_10_mb_on_stdin_is_refused():
    text = BOMBS["10 MB spec"][0].encode()
    assert len(text) > 10_000_000
    proc = run(["solve", "-"], stdin=text)
    assert proc.returncode == 2
    assert proc.stderr.decode().startswith("<stdin>: error: the spec is larger than 1,000 kB")


def test_include_bomb_is_refused(tmp_path):
    """Each file includes the next twice: 2^20 expansions unless the include budget stops it."""
    for i in range(20):
        (tmp_path / f"f{i}.spec").write_text(f'include "f{i + 1}.spec"\ninclude "f{i + 1}.spec"\n')
    (tmp_path / "f20.spec").write_text('problem "leaf" { let a = 1 }\n')
    proc = run(["solve", str(tmp_path / "f0.spec")])
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "the spec follows more than 200 includes" in err


def test_include_cycle_is_refused(tmp_path):
    (tmp_path / "a.spec").write_text('include "b.spec"\n')
    (tmp_path / "b.spec").write_text('include "a.spec"\n')
    proc = run(["solve", str(tmp_path / "a.spec")])
    assert proc.returncode == 2
    assert "include cycle: a.spec -> b.spec -> a.spec" in proc.stderr.decode()


def test_bomb_inside_a_goal_is_a_limit_result_and_the_rest_solves():
    sol = derive.solve(problem("  let a = 2", "  (a) find a^(10^6)", "  (b) find a + 1"))
    bad, good = sol.results
    assert bad.error.kind == "limit"
    assert "the exponent 1000000 is too large" in bad.error.message
    assert good.answer.text == "3"


def test_the_largest_allowed_numbers_print_in_every_format():
    """Up to the bit limit, results print (Python refuses str() of ints over 4,300 digits)."""
    sol = derive.solve(problem("  let a = 2^10000 * 3^2000", "  b = a + 1", "  find a, b, a / 3"))
    assert all(r.answer is not None for r in sol.results), [r.error for r in sol.results]
    for fmt in derive.FORMATS:
        assert sol.render(fmt)


def test_large_but_allowed_tensors_still_work():
    """The limits are not so tight that an honest 100×100 computation is refused."""
    sol = derive.solve(problem("  let A = ones(100, 100)", "  let B = A @ A", "  find B[1, 1]"))
    (r,) = sol.results
    assert r.answer.value == 100


def test_huge_steps_count_through_the_cli(tmp_path):
    """`steps = 10^9` is refused before a deriver loops (when `gd` exists on this branch)."""
    from derive.derivers import registry
    registry.load_all()
    if "gd" not in registry.GOALS:
        pytest.skip("no gd deriver on this branch (checked with a toy goal in test_semantic_errors)")
    path = tmp_path / "gd.spec"
    path.write_text(problem("  f(w) = w^2", "  find gd(f, start = 5, lr = 0.1, steps = 10^9)"))
    proc = run(["solve", str(path), "--format", "json"])
    assert proc.returncode == 1
    assert "`steps = 1000000000` is more than derive will show step by step" in proc.stderr.decode()


def test_memory_limit_turns_a_runaway_allocation_into_memory_error():
    code = ("import sys; sys.path.insert(0, %r)\n"
            "from derive.limits import memory_limit\n"
            "memory_limit(400)\n"
            "try:\n    b = bytearray(2_000_000_000)\nexcept MemoryError:\n    print('refused')\n") % str(ROOT)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=GUARD)
    assert proc.stdout.decode().strip() == "refused"


def test_out_of_memory_in_the_cli_is_reported_not_a_traceback(tmp_path):
    """With a memory cap too small for sympy itself, the CLI still answers in one line."""
    path = tmp_path / "t.spec"
    path.write_text(problem("  let a = 1", "  find a"))
    proc = run(["solve", str(path), "--max-memory", "40"])
    err = proc.stderr.decode()
    assert "Traceback" not in err
    assert proc.returncode in (0, 2)
    if proc.returncode == 2:
        assert "ran out of memory" in err


def test_limits_module_defaults_do_not_constrain_the_library():
    assert limits.GOAL_SECONDS is None
