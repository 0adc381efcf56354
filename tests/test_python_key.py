"""`--format python`: the runnable answer key (derive/render/pyscript.py, pykey.py).

Each script is RUN (a fresh interpreter): it must pass for derive's closed forms, and FAIL
(exit 1) when a closed form is made wrong before rendering, which shows that the finite
differences it compares with come from the problem's definitions, not from the answer.
"""
from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

import derive
from derive.render.pyscript import comment, literal

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "specs" / "matcalc-key.spec"
LINE = re.compile(r"^(\S+)\s+(ok|FAIL|key|skip)\b(.*)$")


@pytest.fixture(scope="module")
def solution() -> derive.Solution:
    return derive.solve(SPEC)


def run_script(text: str, tmp_path: Path, name: str = "key.py") -> tuple[int, dict[str, tuple[str, str]]]:
    """Run a script in its own interpreter: (exit code, id -> (status, rest of its line))."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = {}
    for line in proc.stdout.splitlines():
        m = LINE.match(line)
        if m:
            lines[m.group(1)] = (m.group(2), m.group(3))
    return proc.returncode, lines


def with_answer(solution: derive.Solution, rid: str, **changes) -> derive.Solution:
    """`solution` with the answer of result `rid` changed (a wrong closed form)."""
    def fix(r):
        return dataclasses.replace(r, answer=dataclasses.replace(r.answer, **changes)) if r.id == rid else r
    problems = tuple(dataclasses.replace(p, results=tuple(fix(r) for r in p.results)) for p in solution.problems)
    return dataclasses.replace(solution, problems=problems)


def test_every_closed_form_of_the_spec_passes(solution, tmp_path):
    ids = [r.id for r in solution.results]
    assert len(ids) == 16 and all(r.error is None for r in solution.results)
    code, lines = run_script(derive.render(solution, "python"), tmp_path)
    assert code == 0
    assert {i: s for i, (s, _) in lines.items() if i in ids} == {i: "ok" for i in ids}
    errors = [float(re.search(r"max error (\S+)", rest).group(1)) for s, rest in lines.values() if s == "ok"]
    assert max(errors) < 1e-4


def test_the_script_uses_the_definitions_and_answer_numpy(solution):
    out = derive.render(solution, "python")
    ls = next(r for r in solution.results if r.id == "1(c)")
    assert dict(ls.answer.extra)["numpy"] in out            # the closed form is answer.numpy
    # the function differentiated is ls as defined, in NumPy: ‖Xw − y‖²
    assert "return (np.linalg.norm(((-1*(y)) + (X @ w))) ** 2)" in out
    assert "lamda = _draw(_rng, (), True)" in out             # `lambda` as SymPy spells it; positive
    compile(out, "key.py", "exec")


@pytest.mark.parametrize("rid, changes, wrong", [
    # ∇‖Xw − y‖² without the −2Xᵀy term
    ("1(c)", {"extra": (("kind", "matrix_expression"), ("numpy", "(2*((X).T @ (X @ w)))"))}, "numpy"),
    # ∂tr(XᵀBX)/∂X = BX + BᵀX written as 2BX (true only for a symmetric B)
    ("2(b)", {"extra": (("kind", "matrix_expression"), ("numpy", "(2*(B @ X))"))}, "numpy"),
    # the logistic Hessian without the σ(1 − σ) weights
    ("3(b)", {"extra": (("kind", "matrix_expression"), ("numpy", "((X).T @ X)"))}, "numpy"),
])
def test_a_wrong_closed_form_fails(solution, tmp_path, rid, changes, wrong):
    code, lines = run_script(derive.render(with_answer(solution, rid, **changes), "python"), tmp_path)
    assert code == 1
    assert lines[rid][0] == "FAIL"
    assert float(re.search(r"max error (\S+)", lines[rid][1]).group(1)) > 1e-3
    others = {i: s for i, (s, _) in lines.items() if i != rid and i[0].isdigit()}
    assert set(others.values()) == {"ok"}


def test_a_wrong_scalar_derivative_and_a_wrong_number_fail(solution, tmp_path):
    u, a = sp.Symbol("u", real=True), sp.Symbol("a", real=True)
    right = next(r for r in solution.results if r.id == "4(a)").answer.expr
    assert sp.simplify(right - sp.diff(u ** 3 * sp.exp(a * u) + sp.tanh(u), u)) == 0
    bad = with_answer(solution, "4(a)", expr=right + u ** 2 / 1000)            # off by a small term
    bad = with_answer(bad, "4(c)", expr=sp.Integer(next(r for r in solution.results if r.id == "4(c)").answer.value + 1))
    code, lines = run_script(derive.render(bad, "python"), tmp_path)
    assert code == 1
    assert lines["4(a)"][0] == "FAIL" and lines["4(c)"][0] == "FAIL"
    assert lines["4(b)"][0] == "ok" and lines["4(d)"][0] == "ok"


def test_a_log_is_checked_at_positive_inputs(tmp_path):
    sol = derive.solve('problem "p" {\n  dim d\n  vector x : (d)\n  (a) find grad(sum(log(x)), x)\n}\n')
    code, lines = run_script(derive.render(sol, "python"), tmp_path)
    assert code == 0 and lines["1(a)"][0] == "ok"


def test_goals_without_a_closed_form_are_listed_with_the_reason(tmp_path):
    sol = derive.solve('problem "Descent" {\n  f(w) = w^2 + 2*w + 1\n  (a) find optimal_lr(f, start = 5)\n'
                       '  (b) answer "by hand"\n  (c) find f(3)\n  (d) find gd(f, start = 5, lr = 0.1, steps = 2)\n}\n')
    out = derive.render(sol, "python")
    assert "#   not recomputed: `optimal_lr` is not a closed form this script recomputes; its key value is printed" in out
    assert "#   not checked: an authored answer" in out
    code, lines = run_script(out, tmp_path)
    assert code == 0
    assert [lines[i][0] for i in ("1(a)", "1(b)", "1(c)", "1(d)")] == ["key", "skip", "ok", "ok"]


def test_the_paper_view_checks_nothing(solution, tmp_path):
    out = derive.render(solution, "python", view="paper")
    assert "_check_" not in out and "_closed" not in out
    code, lines = run_script(out, tmp_path)
    assert code == 0 and not lines


HOSTILE = "x\"\"\" ''' \\\" \u2028 \x85 import os; os.system('touch {marker}') #"


def test_hostile_spec_text_stays_in_comments(tmp_path):
    marker = tmp_path / "pwned"
    p = HOSTILE.format(marker=marker).replace('"', "'")
    spec = (f'title "{p}"\n'
            f'problem "{p}\\n{p}" {{\n'
            f'  text """{p}\n{p}\r\n\x0c{p}"""\n'
            f'  symbol t\n'
            f'  (a) find grad(t^2 + 1, t)\n'
            f'  (b) answer "{p}"\n'
            f'}}\n')
    out = derive.render(derive.solve(spec), "python")
    tree = ast.parse(out)
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert not [s for s in strings if "os.system" in s]
    hits = [line for line in out.splitlines() if "os.system" in line]
    assert len(hits) >= 5 and all(line.startswith("# ") for line in hits)     # title, problem, 3 text lines
    assert "\\u2028" in out and "\\u000c" in out and "\u2028" not in out
    code, lines = run_script(out, tmp_path)
    assert code == 0 and lines["1(a)"][0] == "ok"
    assert not marker.exists()


def test_comment_and_literal_escape_what_could_end_them():
    for text in ("a\nb", "a\rb", "a\u2028b", "a\x00b", "a\x85b", "a\x0cb"):
        body = comment(text)
        assert body.isprintable() and "\n" not in body and "\r" not in body
        assert len(("# " + body + "\n").splitlines()) == 1
    for text in ("'", '"', "\\", "\n", "é\u2028", "'''"):
        assert ast.literal_eval(literal(text)) == text and literal(text).isascii()


def test_cli_format_python_and_the_py_extension(tmp_path):
    spec = tmp_path / "t.spec"
    spec.write_text('problem "p" {\n  dim d\n  vector w : (d)\n  vector c : (d)\n'
                    '  (a) find grad(norm(w - c)^2, w)\n}\n')
    target = tmp_path / "key.py"
    from hash_seeds import fresh_and_here
    from test_cli import run
    code, _, err = run("solve", spec, "-o", target)
    assert code == 0, err
    by_ext = target.read_text(encoding="utf-8")
    assert by_ext.startswith("#!/usr/bin/env python3\n")
    # a fresh interpreter and this process, two hash seeds (tests/hash_seeds.py)
    results = fresh_and_here("solve", spec, "--format", "python")
    assert [code for code, _ in results] == [0, 0]
    assert results[0][1] == results[1][1] == by_ext.encode("utf-8")
    runs = [subprocess.run([sys.executable, str(target)], capture_output=True, timeout=300).stdout for _ in range(2)]
    assert runs[0] == runs[1] and b"1(a)       ok" in runs[0]


def test_a_drawn_variant_is_not_checked_with_the_defaults(tmp_path):
    from derive.variants import solve_variant
    spec = 'problem "v" {\n  vary k in 2..9\n  E = k^2 + 1\n  (a) find E\n}\n'
    assert run_script(derive.render(derive.solve(spec), "python"), tmp_path)[1]["1(a)"][0] == "ok"   # the defaults
    out = derive.render(solve_variant(spec, 5), "python")
    assert "#   not recomputed: a drawn variant (its drawn values are not rebuilt by this script)" in out
    code, lines = run_script(out, tmp_path)
    assert code == 0 and lines["1(a)"][0] == "key"


ROUTES = '''problem "Solving" {
  let A = [[2, 1, 0], [1, 3, 1], [0, 1, 4]]
  let b = [1, 2, 3]
  dim n, d
  matrix X : (n, d)
  vector y : (n)
  vector w : (d)
  symbol lambda : positive
  R = norm(X @ w - y)^2 + lambda * norm(w)^2
  (a) find solve(A, b)
  (b) find eigenvalues(A)
  (c) find argmin(R, w)
}
problem "Optimizers" {
  f(w) = w^4 - 3*w^2 + w
  g(u, v) = (u - 1)^2 + 3*(v + 2)^2 + u*v
  vector x : (2)
  let Q = [[3, 1], [1, 2]]
  h(x) = 1/2 * (x @ (Q @ x)) + exp(x @ x / 10)
  (a) find gd(f, start = 2, lr = 0.01, steps = 3, momentum = 0.9, nesterov = true)
  (b) find gd(g, start = [1, 1], lr = 0.1, steps = 3, momentum = 0.5, dampening = 0.1, weight_decay = 0.01)
  (c) find newton(h, start = [1, -1], steps = 2)
  (d) find adam(g, start = [1, 1], steps = 2, betas = [0.8, 0.99], weight_decay = 0.1)
  (e) find rmsprop(g, start = [1, 1], lr = 0.05, steps = 3)
  (f) find adagrad(h, start = [1, -1], lr = 0.1, lr_decay = 0.01, steps = 3)
}
problem "One step" {
  input x = [1, 2]
  param w = [1/2, -1]
  let y = 3
  L = (w @ x - y)^2
  (a) find sgd_step(w, L, lr = 0.1, momentum = 0.9, nesterov = true, weight_decay = 0.01)
}
'''


@pytest.fixture(scope="module")
def routes() -> derive.Solution:
    return derive.solve(ROUTES)


def test_solve_eigenvalues_argmin_and_optimizers_are_recomputed(routes, tmp_path):
    out = derive.render(routes, "python")
    assert "#   checks that A @ answer equals b" in out
    assert "#   checks that the gradient of the definition (central differences) vanishes at the answer" in out
    assert "_sgd(_f, np.array([1, 1]), steps=int(3), lr=(1/10), momentum=(1/2)" in out
    code, lines = run_script(out, tmp_path)
    assert code == 0
    assert {i: s for i, (s, _) in lines.items() if i[0].isdigit()} == {r.id: "ok" for r in routes.results}


@pytest.mark.parametrize("rid, wrong", [
    ("1(a)", lambda a: a + sp.Matrix([0, 0, sp.Rational(1, 100)])),          # not a solution of Ax = b
    ("1(b)", lambda a: [a[0], a[1], a[2] + sp.Rational(1, 100)]),            # one eigenvalue off
    ("1(c)", None),                                                           # ridge without the λI
    ("2(a)", lambda a: [a[0], a[1] * sp.Rational(1001, 1000), a[2]]),       # one iterate off
    ("2(c)", lambda a: [a[0], a[1] + sp.Matrix([sp.Rational(1, 100), 0])]),  # Newton's last step off
    ("2(f)", lambda a: [a[0], a[1], -a[2]]),
    ("3(a)", lambda a: a * sp.Rational(101, 100)),
])
def test_each_route_can_fail(routes, tmp_path, rid, wrong):
    r = next(r for r in routes.results if r.id == rid)
    if wrong is None:                  # (XᵀX)⁻¹Xᵀy: the least-squares solution, not the ridge one
        changes = {"extra": (("kind", "matrix_expression"), ("numpy", "(np.linalg.inv(((X).T @ X)) @ (X).T @ y)"))}
    else:
        changes = {"expr": wrong(r.answer.expr)}
    code, lines = run_script(derive.render(with_answer(routes, rid, **changes), "python"), tmp_path)
    assert code == 1 and lines[rid][0] == "FAIL"
    assert {s for i, (s, _) in lines.items() if i != rid and i[0].isdigit()} == {"ok"}


MLP = '''problem "MLP" {
  input x = [1, -2, 3]
  param W1 = [[1, -1, 2], [0, 1, 1], [2, 1, -1], [-1, 2, 1]]
  param b1 = [1, 0, -1, 2]
  param W2 = [[1, 2, -1, 1]]
  let t = 3
  h = relu(W1 @ x + b1)
  o = W2 @ h
  L = (t - o)^2
  (a) find o
  (b) find grad(L, W1[3, 2])
  (c) find grad(L, W1[2, 3])
}
'''


def test_backprop_through_relu_in_one_weight_is_checked_and_can_fail(tmp_path):
    sol = derive.solve(MLP)
    out = derive.render(sol, "python")
    assert "np.maximum(" in out and "_grad(_f, W1)[2, 1]" in out           # W1[3, 2], 1-based in the spec
    code, lines = run_script(out, tmp_path)
    assert code == 0 and [lines[i][0] for i in ("1(a)", "1(b)", "1(c)")] == ["ok"] * 3
    # ∂L/∂W1[3, 2] = -2(t - o)·W2[3]·[z3 > 0]·x2, independently: z = W1 x + b1 = [10, 1, -3, -3]
    z = [1 + 2 + 6 + 1, 0 - 2 + 3, 2 - 2 - 3 - 1, -1 - 4 + 3 + 2]
    o = sum(w * max(v, 0) for w, v in zip([1, 2, -1, 1], z))
    assert [r.answer.value for r in sol.results] == [o, 0, -2 * (3 - o) * 2 * (1 if z[1] > 0 else 0) * 3]
    bad = with_answer(sol, "1(c)", expr=sp.Integer(sol.results[2].answer.value + 1))
    code, lines = run_script(derive.render(bad, "python"), tmp_path)
    assert code == 1 and lines["1(c)"][0] == "FAIL" and lines["1(b)"][0] == "ok"


def test_numpy_text_of_the_nonsmooth_functions_and_losses():
    import numpy as np

    from derive.model import functions as F
    from derive.numpy_text import numpy_text
    v = sp.MatrixSymbol("v", 3, 1)
    W = sp.MatrixSymbol("W", 2, 3)
    a = sp.Symbol("a", real=True)
    vals = {"v": np.array([0.5, -1.0, 2.0]), "W": np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]), "a": -0.7}
    cases = [
        (F.relu(a), max(-0.7, 0)), (F.leaky_relu(a), -0.007), (sp.Max(a, 1, -3), 1.0), (sp.Min(a, 1), -0.7),
        (F.MaxOf(v), 2.0), (F.MinOf(v), -1.0), (W[1, 2], -1.0), (v[2, 0], 2.0),
        (F.MSE(v, sp.OneMatrix(3, 1)), np.mean((vals["v"] - 1) ** 2)),
        (F.CrossEntropy(sp.Matrix([0, 1, 0]), sp.Matrix([sp.Rational(1, 4), sp.Rational(1, 2), sp.Rational(1, 4)])),
         -np.log(0.5)),
    ]
    for e, want in cases:
        code = numpy_text(e)
        assert code is not None, e
        got = eval(code, {"np": np}, dict(vals))       # noqa: S307 - derive's own printed code
        assert np.isclose(got, want), (e, code, got, want)
