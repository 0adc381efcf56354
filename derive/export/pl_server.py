"""PrairieLearn server for one derive problem (written by `derive export --to prairielearn`).

generate(data): derives the variant `data["variant_seed"]` of problem.spec (every step
checked), puts the question's HTML in data["params"] and the keys in
data["correct_answers"].  grade(data): grades each submitted answer with
derive.grading.grade (derive's own answer grammar, never eval) and writes
data["partial_scores"], data["feedback"] and data["score"].  Needs derive installed in
PrairieLearn's Python (a course's requirements or a workspace image).
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = HERE / "problem.spec"
ANSWERS = json.loads((HERE / "answers.json").read_text(encoding="utf-8"))
MAX_SEED = 2 ** 63 - 1


def _solution(seed):
    from derive.variants import solve_variant
    return solve_variant(SPEC, int(seed) % (MAX_SEED + 1))


def _matrix_json(rows):
    """A list of rows as PrairieLearn's JSON encoding of a NumPy array."""
    try:
        import numpy as np
        import prairielearn as pl
        return pl.to_json(np.array(rows, dtype=float))
    except ImportError:
        return {"_type": "ndarray", "_value": rows, "_dtype": "float64"}


def _key(result, kind, name, data):
    from derive.export.common import number
    from derive.grading import accept
    acc = accept(result)
    if kind == "number":
        data["correct_answers"][name] = number(acc.value)
    elif kind == "matrix":
        v = acc.value
        data["correct_answers"][name] = _matrix_json([[number(v[i, j]) for j in range(v.cols)] for i in range(v.rows)])
    elif kind == "choice":
        from derive.export.common import option_html, options
        opts = options(result, acc)
        data["params"][name] = {o.label: o.correct for o in opts}
        data["params"][name + "_text"] = {o.label: option_html(o) for o in opts}
    else:
        data["correct_answers"][name] = result.answer.text


def generate(data):
    """The variant of data["variant_seed"]: its text and keys."""
    from derive.export.common import html
    seed = int(data["variant_seed"]) % (MAX_SEED + 1)
    sol = _solution(seed)
    problem = sol.problems[0]
    data["params"]["seed"] = seed
    data["params"]["text"] = html(problem.text) if problem.text else ""
    for part in problem.parts:
        if part.label:
            data["params"]["part_" + part.label.strip("()").lower()] = html(part.text)
    for name, a in ANSWERS.items():
        _key(sol.result(a["id"]), a["input"], name, data)


def _as_text(submitted):
    """A submitted answer as derive's answer text: numbers, strings, matrices (PrairieLearn
    JSON arrays), a choice's key or keys."""
    if submitted is None:
        return ""
    if isinstance(submitted, dict) and "_value" in submitted:
        submitted = submitted["_value"]
    if isinstance(submitted, list):
        if all(isinstance(x, str) for x in submitted):
            return ", ".join(submitted)
        return json.dumps(submitted)
    return str(submitted)


def grade(data):
    """Every answer graded by derive.grading.grade: partial scores, feedback, the score."""
    from derive.grading import grade as derive_grade
    sol = _solution(data["params"]["seed"])
    total = weight = 0.0
    for name, a in ANSWERS.items():
        g = derive_grade(sol.result(a["id"]), _as_text(data["submitted_answers"].get(name)))
        data["partial_scores"][name] = {"score": g.score, "weight": a["marks"], "feedback": g.feedback}
        data["feedback"][name] = g.feedback
        total += g.score * a["marks"]
        weight += a["marks"]
    data["score"] = total / weight if weight else 0.0
