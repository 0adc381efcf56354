"""Fuzzing: whatever the input, derive answers with a Solution or a DeriveError.

Two generators.  (1) The seed specs mutated token-wise by bench/fuzz.py (delete,
duplicate, swap, insert a character, replace a number, truncate, rename, wrap in a goal):
case i of that seeded stream is the same spec here and in `python3 bench/fuzz.py`, which
runs 10⁴ of them; the normal suite runs the first FUZZ_SAMPLE (200) in a pool of two
processes.  (2) Hypothesis: random expressions over a fixed problem.

Allowed outcomes: a `Solution` (which then renders) or a `DeriveError` with a sane
position.  An `InternalError` (an unexpected exception turned into a message), a result
of kind "internal" or "check_failed" (a step the engine computed and found false), any
other exception or a traceback all fail the test.

Every example runs with a goal time budget, so a slow corner becomes a "limit" result.
FUZZ_EXAMPLES=500 runs more Hypothesis examples.
"""
import multiprocessing
import os
import re
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive
from bench import fuzz as F
from derive.derivers.goals import GOALS, GoalSpec
from derive.parse_errors import scan

N = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
SAMPLE = int(os.environ.get("FUZZ_SAMPLE", "200"))
FUZZ = settings(deadline=None, derandomize=N is None, max_examples=N or 60, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SEEDS = F.seeds()
ALPHABET = F.ALPHABET
GOAL_SECONDS = 10


def check_outcome(text: str, fmt: str | None = None) -> None:
    """AssertionError unless solving `text` (and rendering it as JSON and `fmt`) is allowed."""
    kind, _, detail = F.outcome(text, fmt)
    assert kind not in F.FAILURES, f"{kind}: {detail}\n---- spec:\n{text}"


def _one(i: int) -> tuple[int, str, str]:
    kind, _, detail = F.outcome(*F.case(i))
    return i, kind, detail


def _worker_init() -> None:
    """(The time budget is passed to each solve: bench/fuzz.py's Limits(time=10).)"""


def test_the_fuzz_stream_is_seeded():
    """Case i is the same spec in every run (bench/fuzz.py --case i reproduces a failure)."""
    assert [F.case(i) for i in range(20)] == [F.case(i) for i in range(20)]
    assert len({F.case(i)[0] for i in range(20)}) > 15
    assert F.case(3, seed=1) != F.case(3, seed=0)


def test_a_seeded_sample_of_the_fuzz_run_has_no_internal_error():
    """The first SAMPLE cases of bench/fuzz.py's stream: no internal error, no failed check,
    no traceback, no error placed outside the text, valid JSON."""
    if SAMPLE >= 40 and sys.platform != "win32":
        with multiprocessing.get_context("fork").Pool(2, _worker_init, maxtasksperchild=100) as pool:
            done = list(pool.imap_unordered(_one, range(SAMPLE), chunksize=4))
    else:
        done = [_one(i) for i in range(SAMPLE)]
    failures = [f"case {i}: {kind}: {detail[:500]}" for i, kind, detail in sorted(done) if kind in F.FAILURES]
    assert not failures, "\n".join(failures)
    kinds = {kind for _, kind, _ in done}
    assert "solved" in kinds and "SpecSyntaxError" in kinds and "SpecError" in kinds   # the sample is varied


def test_mutated_specs_parse_or_give_a_syntax_error_in_words():
    """Parsing alone (cheap, so more cases, from another seed): errors come in words, never lark's own."""
    for i in range(600):
        text, _ = F.case(i, seed=1)
        try:
            derive.parse(text, "fuzz.spec")
        except derive.DeriveError as err:
            assert not isinstance(err, derive.InternalError), (i, str(err))
            assert "Token(" not in err.message and "Unexpected" not in err.message, (i, err.message)
            assert not LARK_WORDS.search(err.message), (i, err.message)
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
        assert F.outcome('problem "p" { let a = 1\n find fuzzbroken(a) }')[0] == "internal"
    finally:
        del GOALS["fuzzbroken"]
    check_outcome('problem "p" { let a = 1\n find a }')
