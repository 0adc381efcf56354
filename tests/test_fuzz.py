"""Hypothesis: whatever the input, derive answers with a Solution or a DeriveError.

Inputs are the seed specs mutated token-wise (delete, duplicate, swap, insert a random
character, replace a number, truncate) and random expressions over a fixed problem.
Allowed outcomes: a `Solution` (which then renders) or a `DeriveError` with a sane
position.  An `InternalError` (an unexpected exception turned into a message), a result
of kind "internal" or "check_failed" (a step the engine computed and found false), any
other exception or a traceback all fail the test.

Example counts are modest (the machine is small); FUZZ_EXAMPLES=500 runs more.
Every example runs with a goal time budget, so a slow corner becomes a "limit" result.
"""
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from derive.derivers.goals import GOALS, GoalSpec
from derive import limits
from derive.parse_errors import scan

N = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(deadline=None, derandomize=N is None, max_examples=N or 60, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _seed_dir() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        cand = parent / "shared" / "specs" / "seed"
        if cand.is_dir():
            return cand
    return None


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
SEEDS = INLINE + ([p.read_text(encoding="utf-8") for p in sorted(_seed_dir().glob("*.spec"))]
                  if _seed_dir() else [])

ALPHABET = list("(){}[],:=+-*/@^<>!.#\"'$;\\_ \n\tx1a0") + ["->", ".T", '"""', "η", "×", "\u00a0", "find", "let",
                                                             "problem", "(a)", "if", "then", "else", "[[", "]]"]
NUMBERS = ["0", "1", "-1", "2", "0.5", "1e9", "99999", "1/0", "10^6", "1e-9", "3"]


@pytest.fixture(autouse=True)
def _budget():
    saved = limits.GOAL_SECONDS
    limits.GOAL_SECONDS = 10
    yield
    limits.GOAL_SECONDS = saved


def mutate(data, text: str) -> str:
    toks = scan(text)[0]
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        op = data.draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "number", "truncate"]), label="op")
        if op == "truncate":
            cut = data.draw(st.integers(0, len(text)), label="cut")
            text = text[:cut]
        elif op == "insert":
            at = data.draw(st.integers(0, len(text)), label="at")
            text = text[:at] + data.draw(st.sampled_from(ALPHABET), label="char") + text[at:]
        elif toks:
            i = data.draw(st.integers(0, len(toks) - 1), label="token")
            t = toks[i]
            if op == "delete":
                text = text[:t.start] + text[t.end:]
            elif op == "duplicate":
                text = text[:t.end] + " " + t.text + text[t.end:]
            elif op == "number":
                nums = [k for k in toks if k.kind == "number"]
                if nums:
                    t = nums[i % len(nums)]
                    text = text[:t.start] + data.draw(st.sampled_from(NUMBERS), label="num") + text[t.end:]
            elif op == "swap" and i + 1 < len(toks):
                u = toks[i + 1]
                text = text[:t.start] + u.text + text[t.end:u.start] + t.text + text[u.end:]
        toks = scan(text)[0]
    return text


def check_outcome(text: str, fmt: str | None = None) -> None:
    try:
        solution = derive.solve(text, "fuzz.spec")
    except derive.DeriveError as err:
        assert not isinstance(err, derive.InternalError), str(err)
        assert err.message and "Traceback" not in err.message
        if err.pos is not None:
            assert 1 <= err.line <= text.count("\n") + 2, (err.line, str(err))
            assert err.column >= 1
        str(err)   # formats with its caret
        return
    for r in solution.results:
        if r.error is not None:
            assert r.error.kind not in ("internal", "check_failed"), (r.goal, r.error)
            assert r.error.message
    def no_constants(name):
        raise AssertionError(f"the JSON holds {name}, which is not JSON")
    json.loads(solution.render("json"), parse_constant=no_constants)
    if fmt:
        solution.render(fmt)


@FUZZ
@given(st.data())
def test_mutated_seed_specs(data):
    seed = data.draw(st.sampled_from(SEEDS), label="seed")
    text = mutate(data, seed)
    check_outcome(text, data.draw(st.sampled_from(derive.FORMATS), label="format"))


@settings(deadline=None, derandomize=N is None, max_examples=(N or 60) * 5, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_mutated_specs_parse_or_give_a_syntax_error_in_words(data):
    """Parsing alone (cheap, so more examples): errors come in words, never lark's own."""
    text = mutate(data, data.draw(st.sampled_from(SEEDS), label="seed"))
    try:
        derive.parse(text, "fuzz.spec")
    except derive.DeriveError as err:
        assert not isinstance(err, derive.InternalError)
        assert "Token(" not in err.message and "Unexpected" not in err.message, err.message
        assert not LARK_WORDS.search(err.message), err.message
        assert err.pos is None or err.line >= 1


LARK_WORDS = re.compile(r"__ANON|\$END|\b(?:RBRACE|LBRACE|RPAR|LPAR|RSQB|LSQB|COMMA|EQUAL|COLON|NUMBER|"
                        r"STRING|LONG_STRING|LABEL|ADDOP|MULOP|POWOP|COMP|HEADER_KEY)\b")


def test_most_syntax_errors_get_a_specific_message():
    """Over a fixed set of mutated seeds, at most 10% of the syntax errors fall back to
    lark's "unexpected X; expected A, B, C" (the examples and rules explain the rest)."""
    import random
    rnd = random.Random(20240601)
    fallback = total = 0
    for _ in range(400):
        text = rnd.choice(SEEDS)
        toks = scan(text)[0]
        if not toks:
            continue
        t = toks[rnd.randrange(len(toks))]
        op = rnd.choice(["delete", "duplicate", "insert"])
        if op == "delete":
            text = text[:t.start] + text[t.end:]
        elif op == "duplicate":
            text = text[:t.end] + " " + t.text + text[t.end:]
        else:
            text = text[:t.start] + rnd.choice(ALPHABET) + text[t.start:]
        try:
            derive.parse(text, "f.spec")
        except derive.SpecSyntaxError as err:
            total += 1
            fallback += err.message.startswith("unexpected") and "; expected" in err.message
        except derive.DeriveError:
            pass
    assert total > 100
    assert fallback / total <= 0.10, (fallback, total)


# ---- random expressions over a fixed problem ---------------------------------------------

CONTEXT = '''problem "ctx" {
  symbol x, y : positive
  let a = 3
  let v = [1, -2]
  let w = [0.5, 0, 2]
  let A = [[1, 2], [3, 4]]
  let B = [[1, 0, -1], [2, 1, 0]]
  f(t) = t^2 - 1
  r = %s
  find r
}
'''
ATOMS = st.sampled_from(["0", "1", "2", "-1", "0.5", "x", "y", "a", "v", "w", "A", "B", "true", "[1, 2]",
                         "[[1], [2]]", "eye(2)", "ones(2, 3)", "zeros(3)", '"s"', "1e30", "7^300", "(x + 1)"])
UNARY = ["-{}", "({})", "{}.T", "not {}", "exp({})", "log({})", "sqrt({})", "abs({})", "relu({})",
         "sigmoid({})", "tanh({})", "softmax({})", "sum({})", "norm({})", "max({})", "f({})", "{}[1]",
         "{}[2, 1]", "mean({})", "{}[0]"]
BINARY = ["{} + {}", "{} - {}", "{} * {}", "{} / {}", "{} @ {}", "{} ^ {}", "{} < {}", "{} == {}",
          "{} and {}", "max({}, {})", "cross_entropy({}, {})", "mse({}, {})", "concat({}, {})",
          "full(2, 2, {})", "if {} then 1 else 2", "[{}, {}]", "zeros({})", "matrix(2, 2, (i, j) -> {} * i)"]


def expressions():
    return st.recursive(
        ATOMS,
        lambda inner: st.one_of(
            st.tuples(st.sampled_from(UNARY), inner).map(lambda t: t[0].format(t[1])),
            st.tuples(st.sampled_from(BINARY), inner, inner).map(
                lambda t: t[0].format(t[1], t[2]) if t[0].count("{}") == 2 else t[0].format(t[1]))),
        max_leaves=6)


@FUZZ
@given(expressions())
def test_random_expressions(expr):
    check_outcome(CONTEXT % expr, "text")


def test_the_fuzz_outcome_check_can_fail():
    """check_outcome rejects an internal error (so the properties above can fail)."""
    from derive.derivers import registry
    registry.load_all()

    def broken(problem, call):
        raise TypeError("boom")
    GOALS["fuzzbroken"] = GoalSpec((broken,), (0, 9), (), "")
    try:
        with pytest.raises(AssertionError):
            check_outcome('problem "p" { let a = 1\n find fuzzbroken(a) }')
    finally:
        del GOALS["fuzzbroken"]
    check_outcome('problem "p" { let a = 1\n find a }')
