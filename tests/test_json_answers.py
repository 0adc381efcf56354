"""`answer.kind` and `answer.text` in the JSON: every answer has a documented kind, and
its text is safe to hand to any consumer (issue 14, item 2).

Safe means: SymPy's `parse_expr` of a text runs nothing but SymPy (watched with an audit
hook: no process, no file written, no socket, no import outside SymPy, no second `exec`);
a string's or prose's text is a quoted literal that reads back as the string itself, so
spec-written code such as `__import__('os').system(...)` stays inert data.  The harness
is shown to catch that very payload when it is not quoted.
"""
from __future__ import annotations

import ast
import json
import math
import re
import sys
from pathlib import Path

import pytest
from sympy.parsing.sympy_parser import parse_expr

import derive
from derive.derivers import registry
from solved import solved

ROOT = Path(__file__).resolve().parents[1]
CORPUS = sorted((ROOT / "examples" / "seed").glob("*.spec")) + sorted((ROOT / "tests" / "specs").glob("*.spec"))
MARKER = "derive-answer-text-was-executed"
PAYLOAD = f"__import__('os').system('echo {MARKER}')"
TRICKY = "a \\ b ' ''' {x} \\n $y$"          # spec strings are raw: the backslashes stay
HOSTILE = f'''problem "hostile" {{
  let s = "{PAYLOAD}"
  let t = "{TRICKY}"
  let e = ""
  (a) find s
  (b) find t
  (c) find e
  (d) answer """{PAYLOAD}"""
  (e) find 2 * 3, [1, 2] @ [3, 4], 1 < 2
  g(w) = 3 - w^2
  (f) find [[1, 2], [3, 4]] * 2, lr_range(g)
}}
'''
EXPECTED_STRINGS = [PAYLOAD, TRICKY, ""]
STATEMENTS = '''problem "statements" {
  vector x : (2)
  let A = [[3, 1], [1, 2]]
  f(x) = 1/2 * (x @ (A @ x))
  g(u, v) = u^2 - 3*v^2 + u
  c(u, v) = u^4 + v^2 - u*v
  d(u, v) = u^4 - v^2
  q(u, v) = u^2 - v^2
  h(w) = w^4 - 3*w^2 + w
  k(w) = -w^2
  (a) find gd(f, start = [1, 1], lr = 2, steps = 200)
  (b) find argmin(g)
  (c) find lr_range(c)
  (d) find optimal_lr(d, start = [0, 1])
  (e) find optimal_lr(c, start = [0, 0])
  (f) find optimal_lr(q)
  (g) find optimal_lr(k, start = 1)
  (h) find lr_range(h)
  (i) find gd(k, start = 1, lr = 0.5, steps = 100)
}
'''

_WATCH = {"on": False, "events": []}


def _hook(event, args):
    if _WATCH["on"]:
        _WATCH["events"].append((event, args))


sys.addaudithook(_hook)   # (stays for the process; records only inside `watched`)
SYMPY_DIR = str(Path(sys.modules["sympy"].__file__).resolve().parent.parent)


def harmful(events) -> list[str]:
    """The audited events that SymPy parsing maths would not cause."""
    bad, compiled = [], 0
    for event, args in events:
        if event == "compile":       # parse_expr compiles its namespace and the text, nothing else
            src = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
            compiled += src != "from sympy import *"
        elif event == "exec":        # running what was compiled, or a SymPy module being imported
            pass
        elif event == "open":
            path, mode = str(args[0]), str(args[1] or "r")
            if any(c in mode for c in "wax+") or not path.startswith(SYMPY_DIR):
                bad.append(f"open {path} {mode}")
        elif event == "import":
            if not str(args[0]).split(".")[0] in ("sympy", "mpmath"):
                bad.append(f"import {args[0]}")
        elif event not in ("compile", "marshal.loads", "sys._getframe", "object.__getattr__", "os.listdir",
                           "os.scandir", "builtins.id"):   # (id(): SymPy making its first undefined function, Norm)
            bad.append(event)
    if compiled > 1:
        bad.append(f"{compiled} texts compiled (parse_expr's own is one): code ran code")
    return bad


def watched_parse(text: str) -> list[str]:
    """parse_expr(text) under the audit hook: the harmful events (an exception is harmless)."""
    _WATCH["events"] = []
    _WATCH["on"] = True
    try:
        parse_expr(text)
    except Exception:   # noqa: BLE001 - a text that does not parse did nothing
        pass
    finally:
        _WATCH["on"] = False
    return harmful(_WATCH["events"])


@pytest.fixture(scope="module")
def answers() -> list[tuple[str, dict]]:
    out = []
    for spec in CORPUS:
        doc = solved(spec).to_json()
        out += [(spec.name, r["answer"]) for p in doc["problems"] for r in p["results"] if "answer" in r]
    doc = derive.solve(HOSTILE, "hostile.spec").to_json()
    out += [("hostile.spec", r["answer"]) for r in doc["problems"][0]["results"]]
    doc = derive.solve(STATEMENTS, "statements.spec").to_json()
    out += [("statements.spec", r["answer"]) for r in doc["problems"][0]["results"]]
    return out


def test_no_text_is_none_and_every_answer_but_prose_has_latex(answers):
    """A statement ("diverges", "no minimiser") is derive's words, quoted, with its LaTeX;
    only an authored `answer` (prose) has no LaTeX.  No answer's text is the string None."""
    for name, a in answers:
        assert a["text"] not in ("None", '"None"', "", '""') or a["kind"] == "string", (name, a)
        assert a["latex"] or a["kind"] in ("prose", "string"), (name, a)
    stated = [a for n, a in answers if n == "statements.spec"]
    assert [a["kind"] for a in stated] == ["statement"] * len(stated)
    assert [json.loads(a["text"]) for a in stated] == [
        "diverges", "no minimiser", "not a quadratic: the range depends on the start", "no optimal learning rate",
        "no optimal learning rate", "no optimal learning rate", "no optimal learning rate",
        "not a quadratic: the range depends on the start", "diverges"]


def test_the_harness_catches_an_unquoted_payload(capfd):
    assert watched_parse(PAYLOAD) != []       # os.system ran: the check can fail
    assert MARKER in capfd.readouterr().out
    assert watched_parse(json.dumps(PAYLOAD)) == []
    assert watched_parse("Matrix([[1], [2]])") == []
    assert watched_parse('exec("1 + 1")') != []          # code that compiles code is caught too


def test_every_answer_has_a_known_kind_and_the_corpus_shows_them(answers):
    kinds = {a["kind"] for _, a in answers}
    assert kinds == set(registry.ANSWER_KINDS)      # each kind occurs, and no other


def test_parse_expr_of_every_text_is_harmless(answers, capfd):
    for name, a in answers:
        assert watched_parse(a["text"]) == [], (name, a["kind"], a["text"][:80])
    assert MARKER not in capfd.readouterr().out


def test_strings_and_prose_are_quoted_literals(answers):
    quoted = [(n, a) for n, a in answers if a["kind"] in registry.QUOTED_KINDS]
    assert {a["kind"] for _, a in quoted} == {"string", "prose", "statement"}
    for name, a in quoted:
        raw = json.loads(a["text"])                          # a JSON string literal ...
        assert ast.literal_eval(a["text"]) == raw            # ... Python reads the same string ...
        assert parse_expr(a["text"]) == raw                  # ... and so does parse_expr
        if a["kind"] == "prose":     # authored prose: the same Markdown; pseudocode: its lines as Markdown
            assert isinstance(a["prose"], str) and a["prose"] and a["value"] is None
            assert a["prose"] == raw or "\n1. " in raw      # (pseudocode: its numbered lines in `text`)
        elif a["kind"] == "statement":   # derive's own words, no value
            assert raw and raw != "None" and a["value"] is None
        else:
            assert a["value"] == raw
    hostile = [a for n, a in answers if n == "hostile.spec"]
    assert [a["value"] for a in hostile[:3]] == EXPECTED_STRINGS
    assert [a["kind"] for a in hostile] == ["string", "string", "string", "prose", "number", "number", "boolean",
                                            "matrix", "set"]
    assert hostile[3]["prose"] == PAYLOAD


def test_maths_texts_read_back_to_the_value(answers):
    """For numbers, vectors and matrices, parse_expr(text) evaluates to the JSON value."""
    checked = 0
    for name, a in answers:
        if a["kind"] not in ("number", "vector", "matrix") or a["value"] is None:
            continue
        got = parse_expr(a["text"])
        flat = [got] if a["kind"] == "number" else list(got)
        want = [a["value"]] if a["kind"] == "number" else [x for row in a["value"] for x in
                                                            (row if isinstance(row, list) else [row])]
        assert [float(x) for x in flat] == pytest.approx(want, rel=1e-12), (name, a["text"])
        checked += 1
    assert checked > 20


def test_whole_numbers_are_written_as_integers(answers):
    def floats(v):
        if isinstance(v, float):
            yield v
        elif isinstance(v, list):
            for x in v:
                yield from floats(x)
        elif isinstance(v, dict):
            for x in v.values():
                yield from floats(x)
    whole = [(n, a["text"]) for n, a in answers for x in floats(a) if math.isfinite(x) and x.is_integer()]
    assert whole == []
    lr = next(a for n, a in answers if a["kind"] == "interval")
    assert lr["value"] == [0, 1] and all(type(x) is int for x in lr["value"])


def _doc_table_rows(heading: str) -> str:
    text = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    start = text.index(heading)
    nxt = re.search(r"^#{2,4} ", text[start + len(heading):], re.M)
    return text[start:start + len(heading) + (nxt.start() if nxt else len(text))]


def test_docs_list_every_answer_kind_and_error_kind():
    kinds = _doc_table_rows("### `answer.kind`")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", kinds, re.M))
    assert documented == set(registry.ANSWER_KINDS)
    errors = _doc_table_rows("### `error`")
    for kind in [*registry.ERROR_KINDS.values(), "error"]:
        assert f'`"{kind}"`' in errors, kind
    assert "derive.grading" in (ROOT / "docs" / "json.md").read_text(encoding="utf-8")


def test_error_kinds_are_what_the_registry_reports():
    from derive.errors import CheckFailed, DeriveError, InternalError, LimitError, Unsupported
    from derive.model.problem import Goal
    problem = derive.build(derive.parse('problem "p" { let a = 1\n find a }'))[0]
    goal = problem.goals[0]
    assert isinstance(goal, Goal)
    for exc, kind in [(Unsupported("u"), "unsupported"), (CheckFailed("c"), "check_failed"),
                      (LimitError("l"), "limit"), (InternalError("i"), "internal"), (DeriveError("d"), "error")]:
        assert registry._error_result(goal, "a", exc).error.kind == kind


def test_a_keyword_name_is_spelled_so_parse_expr_reads_the_answer_back():
    """`lambda` is a Python keyword: parse_expr cannot read `2*lambda`; SymPy spells it lamda."""
    from sympy.parsing.sympy_parser import parse_expr
    import sympy as sp
    sol = derive.solve('problem "ridge" {\n  vector w : (2)\n  symbol lambda : positive\n'
                       '  L(w) = lambda * (w @ w)\n  find grad(L(w), w)\n  find lambda * 2\n}\n')
    texts = [r.answer.text for r in sol.results]
    lam, w1, w2 = sp.symbols("lamda w_1 w_2")
    assert parse_expr(texts[0]) == sp.Matrix([[2 * lam * w1], [2 * lam * w2]])
    assert parse_expr(texts[1]) == 2 * lam
