"""Specs that parse but mean nothing: a SpecError (exit 2) at the right line and column.

Each case runs through the library (`derive.solve` raises the error with its position)
and through the CLI's `main` (exit code 2, `FILE:LINE:COL: error: MESSAGE` and a caret on
standard error, nothing on standard output).  Goals are different: a goal that cannot
be derived is an error *result* (exit 1) and the other goals still solve.
"""
import json

import pytest

import derive
from derive.derivers.goals import GOALS, GoalSpec
from derive import cli
from derive.derivers import registry
from derive.derivers.registry import Derived, make_answer


P = 'problem "p" {{\n{}\n}}\n'          # statements start at line 2


def spec(*lines: str) -> str:
    return P.format("\n".join(lines))


CASES = [
    # unknown names, with "did you mean"
    (spec("  let learning_rate = 0.1", "  let b = learning_rat * 2"),
     "unknown name `learning_rat`; did you mean `learning_rate`?", 3, 11),
    (spec("  let x = 1", "  let b = sigmod(x)"), "unknown function `sigmod`; did you mean `sigmoid`?", 3, 11),
    (spec("  let b = relu"), "`relu` is a builtin function; call it", 2, 11),
    (spec("  let v = [1, 2]", "  let b = v(1)"), "`v` is a given value, not a function", 3, 11),
    # arity and keyword arguments of builtins and user functions
    (spec("  let b = sqrt(4, 2)"), "`sqrt` takes 1 positional argument, got 2", 2, 11),
    (spec("  let b = zeros(2, 3, 4)"), "`zeros` takes 1 to 2 positional arguments, got 3", 2, 11),
    (spec("  let b = max()"), "`max` takes at least 1 positional argument, got 0", 2, 11),
    (spec("  let b = softmax([1, 2], dim = 1)"), "`softmax` has no keyword argument `dim` (it takes: none)", 2, 27),
    (spec("  let b = leaky_relu([1, -1], negativ_slope = 0.1)"),
     "no keyword argument `negativ_slope` (it takes: negative_slope); did you mean `negative_slope`?", 2, 31),
    (spec("  f(x) = x^2", "  let b = f(1, 2)"), "`f` takes 1 argument, got 2", 3, 11),
    (spec("  f(x) = x^2", "  let b = f(y = 1)"), "`f` takes no keyword arguments", 3, 13),
    # shapes, naming both
    (spec("  let A = [[1, 2], [3, 4]]", "  let v = [1, 2, 3]", "  let b = A @ v"),
     "shape mismatch in `@`: a 2×2 matrix @ a vector of length 3; the inner sizes 2 and 3 differ", 4, 11),
    (spec("  let b = [1, 2, 3] @ [1, 2]"), "shape mismatch in `@`: a vector of length 3 @ a vector of length 2; "
     "an inner product needs two vectors of one length, not 3 and 2", 2, 11),
    (spec("  let b = [1, 2, 3] @ [[1, 2], [3, 4]]"), "shape mismatch in `@`: a vector of length 3 @ a 2×2 matrix; "
     "a vector @ a matrix needs as many rows as the vector's length, 3, not 2", 2, 11),
    (spec("  let b = [1, 2] + [1, 2, 3]"), "shape mismatch in `+`: a vector of length 2 and a vector of length 3",
     2, 11),
    (spec("  let A = [[1, 2], [3, 4]]", "  let b = A * [1, 2, 3]"),
     "shape mismatch in elementwise `*`: a 2×2 matrix and a vector of length 3", 3, 11),
    (spec("  let b = mse([1, 2], [1, 2, 3])"),
     "`mse` needs two tensors of one shape, got a vector of length 2 and a vector of length 3", 2, 11),
    (spec("  let b = [[1, 2], [3]]"), "the rows of a matrix literal have different lengths (2, 1)", 2, 11),
    (spec("  let b = [1, [1, 2]]"), "a vector's entries must be scalars; this is a vector of length 2", 2, 15),
    (spec("  let b = softmax(3)"), "`softmax` needs a vector or matrix, not a scalar", 2, 19),
    # division by zero
    (spec("  let b = 1 / (2 - 2)"), "division by zero", 2, 11),
    (spec("  symbol x", "  let b = x / 0"), "division by zero", 3, 11),
    (spec("  let b = [1, 2] / [1, 0]"), "division by zero (an entry of the divisor is 0)", 2, 11),
    # duplicates
    (spec("  let a = 1", "  a = 2"), "`a` is already defined at line 2", 3, 3),
    (spec("  symbol a", "  dim a"), "`a` is already defined at line 2", 3, 7),
    (spec("  vector p, q : (2)", "  matrix W, q : (2, 2)"), "`q` is already defined at line 2", 3, 13),
    (spec("  f(x) = x", "  let f = 3"), "`f` is already defined at line 2", 3, 3),
    (spec("  (a) find 1", "  (a) find 2"), "the label (a) is used twice in this problem (first at line 2)", 3, 3),
    (spec("  choices { (a) 1 (a) 2 }"), "option (a) appears twice", 2, 19),
    # assumptions
    (spec("  symbol a : positive, bogus"), "unknown assumption `bogus`", 2, 24),
    (spec("  symbol a : Positive"), "unknown assumption `Positive`; did you mean `positive`?", 2, 14),
    # indexing, 1-based
    (spec("  let v = [1, 2, 3]", "  let b = v[4]"), "index 4 is out of range 1..3 (indexing is 1-based)", 3, 11),
    (spec("  let v = [1, 2, 3]", "  let b = v[0]"), "index 0 is out of range 1..3", 3, 11),
    (spec("  let A = [[1, 2], [3, 4]]", "  let b = A[1, 3]"), "index 3 is out of range 1..2", 3, 11),
    (spec("  let A = [[1, 2], [3, 4]]", "  let b = A[1]"), "a 2×2 matrix takes two indices", 3, 11),
    (spec("  let v = [1, 2]", "  let b = v[1.5]"), "an index must be a whole number (indexing is 1-based), not 3/2",
     3, 13),
    # sizes
    (spec("  vector x : (0)"), "a size must be a positive whole number or a `dim`, not 0", 2, 15),
    (spec("  vector x : (2.5)"), "a size must be a positive whole number or a `dim`, not 5/2", 2, 15),
    (spec("  matrix W : (2)"), "a matrix has two sizes", 2, 3),
    (spec("  dim d = 0"), "a size must be a positive whole number, not 0", 2, 11),
    (spec("  let b = zeros(0)"), "a size must be a positive whole number, not 0", 2, 17),
    (spec("  let b = ones(2, -3)"), "a size must be a positive whole number, not -3", 2, 19),
    (spec("  let b = eye(2.5)"), "a size must be a positive whole number, not 5/2", 2, 15),
    (spec("  symbol n", "  let b = zeros(n)"), "a concrete size is needed here", 3, 17),
    # values that are not what the operation needs
    (spec('  let b = "abc" + 1'), "a string cannot be used in arithmetic", 2, 11),
    (spec("  let b = true + 1"), "a truth value cannot be used in arithmetic", 2, 11),
    (spec("  let b = if [1, 2] then 1 else 2"), "the condition of `if` needs true, false or a comparison", 2, 14),
    (spec("  let b = 1 and 2"), "`and` needs true, false or a comparison", 2, 11),
    (spec("  let b = not 3"), "`not` needs true, false or a comparison", 2, 15),
    (spec("  let b = log(0)"), "log of 0 is undefined", 2, 15),
    (spec("  let b = sqrt(-4)"), "the square root of -4 is not a real number", 2, 16),
    (spec("  let b = full(2, 2, [1, 2])"), "the fill value of `full` must be a scalar", 2, 22),
    (spec("  let b = matrix(2, 2, 5)"), "the third argument of `matrix` is a rule `(i, j) -> EXPR`", 2, 24),
    (spec("  let b = (1, 2)"), "write a vector as `[a, b]`", 2, 11),
    (spec("  let b = []"), "an empty list has no shape", 2, 11),
    # givens
    (spec("  symbol L", "  given grad(L, y) = 1"), "unknown name `y`", 3, 17),
    # marks
    ('problem "p" points 10 {\n  (a) [3] find 1\n  (b) [3] find 2\n}\n',
     "the parts' marks add up to 6, but the problem has points 10", 1, 1),
]


@pytest.mark.parametrize("text, fragment, line, column", CASES, ids=[c[1][:40] for c in CASES])
def test_library_raises_spec_error_at_position(text, fragment, line, column):
    with pytest.raises(derive.SpecError) as info:
        derive.solve(text, "t.spec")
    err = info.value
    assert fragment in err.message
    assert (err.line, err.column) == (line, column), str(err)
    assert err.exit_code == 2
    assert not isinstance(err, derive.InternalError)


@pytest.mark.parametrize("text, fragment, line, column", CASES, ids=[c[1][:40] for c in CASES])
def test_cli_exits_2_with_file_line_col_and_caret(text, fragment, line, column, tmp_path, capsys):
    path = tmp_path / "t.spec"
    path.write_text(text)
    code = cli.main(["solve", str(path), "--max-memory", "0"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    first, source_line, caret = err.splitlines()[:3]
    assert first == f"{path}:{line}:{column}: error: " + first.split(": error: ", 1)[1]
    assert fragment in first
    assert source_line == "  " + text.splitlines()[line - 1]
    assert caret.index("^") == column + 1
    assert "Traceback" not in err


# ---- goals: error results, exit 1 ---------------------------------------------------------

def test_goal_on_an_undefined_name_is_an_error_result_with_did_you_mean(tmp_path, capsys):
    text = spec("  let alpha = 1", "  (a) find alpah", "  (b) find alpha")
    sol = derive.solve(text, "t.spec")
    bad, good = sol.results
    assert bad.error.message == "unknown name `alpah`; did you mean `alpha`?"
    assert (bad.error.line, bad.error.column) == (3, 12)
    assert bad.error.kind == "error"
    assert good.answer.text == "1"
    path = tmp_path / "t.spec"
    path.write_text(text)
    assert cli.main(["solve", str(path), "--format", "json", "--max-memory", "0"]) == 1
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["problems"][0]["results"][0]["error"] == {
        "message": "unknown name `alpah`; did you mean `alpha`?", "line": 3, "column": 12, "kind": "error"}
    assert err.splitlines()[0] == f"{path}:3:12: error: (a) unknown name `alpah`; did you mean `alpha`?"
    assert err.splitlines()[2].index("^") == 13


def test_goal_with_an_error_inside_an_expression_points_at_it():
    sol = derive.solve(spec("  let a = 1", "  find a + sqrt(a, 2)"), "t.spec")
    (r,) = sol.results
    assert r.error.message == "`sqrt` takes 1 positional argument, got 2"
    assert (r.error.line, r.error.column) == (3, 12)


@pytest.fixture
def toy_goal(monkeypatch):
    """A goal with a known signature, registered for the test only."""
    registry.load_all()

    def toy(problem, call):
        return Derived(make_answer(problem.value(call.args[0])))
    monkeypatch.setitem(GOALS, "toygoal",
                        GoalSpec((toy,), (1, 2), ("lr", "steps"), "a toy"))


def test_goal_arity_is_checked(toy_goal):
    sol = derive.solve(spec("  let a = 1", "  find toygoal()", "  find toygoal(a, a, a)", "  find toygoal(a)"))
    first, second, third = sol.results
    assert first.error.message == "`toygoal` takes 1 to 2 positional arguments, got 0"
    assert (first.error.line, first.error.column) == (3, 8)
    assert second.error.message == "`toygoal` takes 1 to 2 positional arguments, got 3"
    assert third.answer.text == "1"


def test_goal_unknown_keyword_with_did_you_mean(toy_goal):
    sol = derive.solve(spec("  let a = 1", "  find toygoal(a, stepz = 2)"))
    (r,) = sol.results
    assert r.error.message == "`toygoal` has no keyword argument `stepz` (it takes: lr, steps); did you mean `steps`?"
    assert (r.error.line, r.error.column) == (3, 19)


@pytest.mark.parametrize("value, fragment", [
    ("0", "`steps` must be a positive whole number (at least 1), not 0"),
    ("2.5", "`steps` must be a positive whole number, not 5/2"),
    ("10^9", "`steps = 1000000000` is more than derive will show step by step (at most 10,000)"),
])
def test_goal_iteration_counts_are_checked(toy_goal, value, fragment):
    sol = derive.solve(spec("  let a = 1", f"  find toygoal(a, steps = {value})"))
    (r,) = sol.results
    assert r.error.message == fragment
    assert (r.error.line, r.error.column) == (3, 27)
    assert r.error.kind == ("limit" if "more than" in fragment else "error")


def test_unimplemented_goal_is_unsupported_not_a_spec_error():
    sol = derive.solve(spec("  let a = 1", "  find frobnicate_goal_xyz(a)", "  find a"))
    first, second = sol.results
    assert "unknown function `frobnicate_goal_xyz`" in first.error.message
    assert second.answer.text == "1"
    assert sol.exit_code == 1


def test_internal_errors_in_a_deriver_become_error_results(monkeypatch):
    registry.load_all()

    def broken(problem, call):
        raise TypeError("boom")
    monkeypatch.setitem(GOALS, "brokengoal", GoalSpec((broken,), (0, 9), (), ""))
    sol = derive.solve(spec("  let a = 1", "  find brokengoal(a)", "  find a"))
    first, second = sol.results
    assert first.error.kind == "internal"
    assert "internal error in the `brokengoal` deriver (TypeError: boom)" in first.error.message
    assert second.answer.text == "1"


def test_time_limit_stops_a_goal_that_runs_away(monkeypatch):
    """The budget mechanism itself (not a timing assertion): a goal that never ends is
    stopped and reported; the next goal still solves."""
    registry.load_all()

    def forever(problem, call):
        while True:
            pass
    monkeypatch.setitem(GOALS, "forevergoal", GoalSpec((forever,), (0, 9), (), ""))
    sol = derive.solve(spec("  let a = 1", "  find forevergoal(a)", "  find a"), limits=derive.Limits(time=0.3))
    first, second = sol.results
    assert first.error.kind == "limit"
    assert "took longer than its 0.3 s budget" in first.error.message
    assert second.error.kind == "limit" and "not started" in second.error.message
