"""Variants: `vary`/`require`, `derive solve --seed`, `derive variants` (docs/variants.md).

Answers of drawn variants are checked against NumPy forward passes and hand formulas,
never against derive's own numbers; determinism across hash seeds compares a fresh
interpreter with this process (tests/hash_seeds.py).
"""
from __future__ import annotations

import contextlib
import io
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import derive
from derive import cli
from derive.errors import DeriveError, SpecError
from derive.randomness import Stream
from derive.variants import generate, solve_variant
from derive.variants.draws import MAX_TRIES

ROOT = Path(__file__).resolve().parents[1]

MLP = '''problem "MLP" points 10 {
  text "Input $x = {{x}}$, target {{t}}, rate {{lr}}."
  vary x = random_vector(4, -3, 4) default [1, 2, 1, 4]
  vary t in 5..30 default 15
  vary lr in [0.1, 0.05, 0.01] default 0.1
  param W1 = matrix(5, 4, (i, j) -> if odd(i) then 1 else -1)
  param W2 = ones(1, 5)
  h = relu(W1 @ x)
  o = W2 @ h
  L = (t - o)^2
  require o > 0 and o != t
  (a) [5] find o
  (b) [5] find sgd_step(W1[1, 1], L, lr = lr)
}
'''


def run(args: list[str]) -> tuple[int, str]:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        code = cli.main([*args, "--max-memory", "0"])
    return code, raw.getvalue().decode("utf-8")


def _frac(text: str) -> Fraction:
    return Fraction(text)


def _mlp_by_hand(x: list[Fraction], t: int, lr: Fraction) -> tuple[Fraction, Fraction]:
    """o and the updated W1[1,1], by NumPy (object arrays keep the fractions exact)."""
    W1 = np.array([[1 if i % 2 == 0 else -1] * 4 for i in range(5)], dtype=object)
    xv = np.array(x, dtype=object)
    pre = W1.dot(xv)
    h = np.array([max(v, 0) for v in pre], dtype=object)
    o = sum(h)
    grad = 2 * (o - t) * (1 if pre[0] > 0 else 0) * xv[0]     # dL/dW1[1,1] = -2(t-o) * relu'(z1) * x1
    return Fraction(o), Fraction(1) - lr * grad


def _values(solution) -> dict:
    return solution.variant["values"]["1"]


def _vector(text: str) -> list[Fraction]:
    return [Fraction(v.strip()) for v in text.strip("[]").split(",")]


def test_without_a_seed_the_defaults_are_solved():
    sol = derive.solve(MLP)
    assert sol.variant is None and sol.ok
    assert sol.problems[0].text == "Input $x = \\begin{bmatrix}1\\\\2\\\\1\\\\4\\end{bmatrix}$, target 15, rate 0.1."
    o, v = _mlp_by_hand([1, 2, 1, 4], 15, Fraction(1, 10))
    assert sol.results[0].answer.expr == o == 24
    assert Fraction(str(sol.results[1].answer.expr)) == v


@pytest.mark.parametrize("seed", [1, 2, 7, 123456789])
def test_a_drawn_variant_is_right_by_an_independent_route(seed):
    sol = solve_variant(MLP, seed)
    vals = _values(sol)
    x, t, lr = _vector(vals["x"]), int(vals["t"]), Fraction(vals["lr"])
    assert all(-3 <= e <= 4 and e.denominator == 1 for e in x) and len(x) == 4
    assert 5 <= t <= 30 and lr in (Fraction(1, 10), Fraction(1, 20), Fraction(1, 100))
    o, v = _mlp_by_hand(x, t, lr)
    assert o > 0 and o != t                     # the require held
    assert Fraction(str(sol.results[0].answer.expr)) == o
    assert Fraction(str(sol.results[1].answer.expr)) == v
    assert sol.variant["answers"] == {"1(a)": sol.results[0].answer.text, "1(b)": sol.results[1].answer.text}
    assert sol.variant["seed"] == seed and len(sol.variant["key"]) == 8


def test_the_json_carries_the_variant_and_the_documents_name_it():
    sol = solve_variant(MLP, 7)
    doc = json.loads(sol.render("json"))
    assert doc["variant"] == json.loads(json.dumps(sol.variant))
    assert f"Variant {sol.variant['key']} (seed 7)" in sol.render("md")
    assert "variant" not in derive.solve(MLP).to_json()


def test_seeds_give_different_draws_and_the_same_seed_the_same():
    draws = {json.dumps(_values(solve_variant(MLP, s))) for s in range(1, 9)}
    assert len(draws) >= 6
    assert _values(solve_variant(MLP, 5)) == _values(solve_variant(MLP, 5))


def test_a_vary_added_to_one_problem_leaves_the_others_alone():
    other = 'problem "Other" {\n  vary a in 1..1000\n  find a\n}\n'
    base = solve_variant(MLP + other, 3)
    edited = MLP + other.replace("find a", "vary b in 1..9\n  find a + b")
    changed = solve_variant(edited, 3)
    assert changed.variant["values"]["1"] == base.variant["values"]["1"]
    assert changed.variant["values"]["2"]["a"] == base.variant["values"]["2"]["a"]
    # and inserting a problem above does not move the numbers either (streams follow titles)
    moved = solve_variant(other + MLP, 3)
    assert moved.variant["values"]["2"] == base.variant["values"]["1"]


def test_the_streams_are_pinned():
    """The draws of a seed must not change between releases or Python versions."""
    s = Stream(7, "MLP\x1e0", 0, "t")
    assert [s.integer(26) for _ in range(5)] == [s2 for s2 in _pinned()]


def _pinned() -> list[int]:
    import hashlib
    key = hashlib.sha256("\x1f".join(["derive-stream", "7", "MLP\x1e0", "0", "t"]).encode()).digest()
    out, counter = [], 0
    while len(out) < 5:
        counter += 1
        x = int.from_bytes(hashlib.sha256(key + counter.to_bytes(8, "big")).digest(), "big")
        if x < (1 << 256) - (1 << 256) % 26:
            out.append(x % 26)
    return out


def test_same_bytes_whatever_the_hash_seed(tmp_path):
    spec = tmp_path / "mlp.spec"
    spec.write_text(MLP)
    from hash_seeds import fresh_and_here        # a fresh interpreter and this process: two seeds
    (code, out), (_, here) = fresh_and_here("solve", spec, "--seed", "11", "-f", "json")
    assert code == 0
    assert out == here and b'"variant"' in out


def test_fractions_with_a_denominator():
    spec = '''problem "p" {
  vary A = random_matrix(2, 3, -1, 1, denominator = 4) default [[0, 1/4, 1/2], [1, -1, 0]]
  find A
}'''
    for seed in (1, 2, 3):
        sol = solve_variant(spec, seed)
        m = sol.results[0].answer.expr
        assert m.shape == (2, 3)
        assert all(-1 <= e <= 1 and (4 * e).is_integer for e in m)
    assert len({str(solve_variant(spec, s).results[0].answer.expr) for s in range(1, 6)}) == 5


def test_require_rejects_degenerate_draws():
    spec = '''problem "p" {
  vary A = random_matrix(2, 2, -1, 1) default [[1, 0], [0, 1]]
  require det(A) != 0
  find det(A), A
}'''
    batch = generate(spec, 12)
    for v in batch.variants:
        a = np.array(json.loads(v.solution.variant["values"]["1"]["A"]), dtype=float)
        assert abs(np.linalg.det(a)) > 0.5
    assert batch.rejections.total > 0                # a third of the 2x2 {-1,0,1} matrices are singular
    assert all("det(A) != 0" in r for r in batch.rejections.counts)


def test_a_require_that_starves_is_an_error_at_it():
    spec = 'problem "p" {\n  vary t in 1..1000000 default 5\n  require t == 5\n  find t\n}\n'
    assert derive.solve(spec).results[0].answer.expr == 5
    with pytest.raises(SpecError) as exc:
        solve_variant(spec, 1)
    assert exc.value.pos.line == 3 and f"none of {MAX_TRIES} draws" in exc.value.message
    assert "`require t == 5`" in exc.value.message


@pytest.mark.parametrize("body, line, words", [
    ("vary t in 20..10\n  find t", 2, "is empty"),
    ("vary t in 1..5 default 9\n  find t", 2, "not one of the values"),
    ("vary x = random_vector(3, 0, 1)\n  find x", 2, "needs a `default`"),
    ("vary x = random_vector(3, 1, 0) default [1, 1, 1]\n  find x", 2, "is empty"),
    ("vary x = zeros(3)\n  find x", 2, "random_vector"),
    ("vary t in 1..5\n  require t > 3\n  find t", 3, "default values"),
    ("let x = random_vector(3, 0, 1)\n  find x", 2, "write it in a `vary`"),
    ("vary t in 1..5\n  require t\n  find t", 3, "true or false"),
    ("text \"{{u}}\"\n  vary t in 1..5\n  find t", 2, "unknown name"),
])
def test_bad_vary_is_an_error_at_its_position(body, line, words):
    with pytest.raises(DeriveError) as exc:
        derive.solve('problem "p" {\n  ' + body + "\n}\n")
    assert exc.value.pos.line == line and words in exc.value.message, exc.value.message


def test_duplicates_are_merged_and_too_few_is_an_error():
    spec = 'problem "p" {\n  vary s in [-2, 2, 3]\n  find s^2\n}\n'
    batch = generate(spec, 2)
    squares = sorted(v.solution.results[0].answer.expr for v in batch.variants)
    assert squares == [4, 9] and batch.duplicates
    with pytest.raises(DeriveError, match="only 2 with different answers"):
        generate(spec, 3)


def test_derive_variants_writes_documents_and_a_manifest(tmp_path):
    spec = tmp_path / "mlp.spec"
    spec.write_text(MLP)
    out = tmp_path / "out"
    code, text = run(["variants", str(spec), "-n", "3", "-o", str(out), "--format", "md,json", "--view",
                      "solutions,key"])
    assert code == 0, text
    assert "3 variants" in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["count"] == 3 and len(manifest["variants"]) == 3
    for v in manifest["variants"]:
        assert len(v["files"]) == 4 and all((out / f).is_file() for f in v["files"])
        doc = json.loads((out / f"variant-{v['index']:03d}.solutions.json").read_text())
        assert doc["variant"]["answers"] == v["answers"] and doc["variant"]["seed"] == v["seed"]
        code, one = run(["solve", str(spec), "--seed", str(v["seed"]), "-f", "json"])
        assert json.loads(one) == doc                        # `solve --seed` gives the very variant
    assert sorted(p.name for p in out.iterdir()) == sorted(["manifest.json"] + [f for v in manifest["variants"]
                                                                                  for f in v["files"]])


@pytest.mark.parametrize("args, words", [
    (["-n", "1001"], "-n must be a whole number from 1 to 1000"),
    (["-n", "0"], "-n must be"),
    (["-n", "2", "--seed", "1.5"], "--seed must be a whole number"),
    (["-n", "2", "--format", "pdf"], "unknown format `pdf`"),
])
def test_bad_variants_requests_write_nothing(args, words, tmp_path):
    spec = tmp_path / "mlp.spec"
    spec.write_text(MLP)
    out = tmp_path / "out"
    code, text = run(["variants", str(spec), "-o", str(out), *args])
    assert code == 2 and words in text and not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["mlp.spec"]


def test_a_starving_spec_writes_nothing(tmp_path):
    spec = tmp_path / "s.spec"
    spec.write_text('problem "p" {\n  vary t in 1..1000000 default 5\n  require t == 5\n  find t\n}\n')
    code, text = run(["variants", str(spec), "-n", "2", "-o", str(tmp_path / "out")])
    assert code == 2 and "s.spec:3:3: error:" in text and "none of 100 draws" in text
    assert [p.name for p in tmp_path.iterdir()] == ["s.spec"]


def test_solve_seed_refuses_a_non_integer():
    code, text = run(["solve", str(ROOT / "examples" / "seed" / "part2-mlp.spec"), "--seed", "abc"])
    assert code == 2 and "--seed must be a whole number" in text


def test_the_seed_exam_goes_out_in_checked_variants():
    batch = generate(ROOT / "examples" / "seed-exam-variants.spec", 3)
    assert len(batch.variants) == 3
    for v in batch.variants:
        assert v.solution.ok
        mlp = v.solution.variant["values"]["II.1"]
        x, t = _vector(mlp["x"]), int(mlp["t"])
        o, _ = _mlp_by_hand(x, t, Fraction(mlp["lr"]))
        assert Fraction(str(v.solution.result("II.1(b)").answer.expr)) == o
        k = int(v.solution.variant["values"]["I.1"]["k"])
        y_hat = [0.2, 0.1, 0.7, 0.0]
        assert abs(float(v.solution.result("I.1").answer.expr) + np.log(y_hat[k - 1])) < 1e-12


def test_grading_a_variant_carries_errors_forward_with_its_own_numbers():
    from derive.grading import grade
    sol = solve_variant(MLP, 4)
    x, t = _vector(_values(sol)["x"]), int(_values(sol)["t"])
    o, v = _mlp_by_hand(x, t, Fraction(_values(sol)["lr"]))
    assert grade(sol.result("1(a)"), str(o)).status == "correct"
    assert grade(sol.result("1(a)"), str(o + 1)).status == "incorrect"
    # the pinned definition rebuilds this variant, not the defaults
    from derive.model.builder import build_problem
    from derive.derivers.registry import FAMILIES
    pdef, number, ref, _ = sol.result("1(a)").origin
    rebuilt = build_problem(pdef, number, FAMILIES, ref).varies
    assert {k: str(v) for k, v in rebuilt.items()} == {"x": str(_mat(x)), "t": str(t),
                                                       "lr": str(Fraction(_values(sol)["lr"]))}


def _mat(x):
    import sympy as sp
    return sp.ImmutableMatrix([[sp.Rational(e.numerator, e.denominator)] for e in x])
