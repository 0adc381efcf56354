"""`best_split(features, labels, criterion = "entropy")`: the root split of a decision tree.

In: the features (rows are samples; numbers, or strings for categorical features), one
label per sample, the criterion (`"entropy"`, base 2, or `"gini"`) and optionally
`names = ["outlook", ...]`, the features' names.  Out: the best split as a condition
(`x_2 <= 5/2` for a numeric feature, the feature's name for a categorical one), with
`extra` the feature (1-based), the threshold and the gain.

Candidate splits: a numeric feature is split at the midpoint between each two
consecutive distinct values (x ≤ t left, x > t right), as scikit-learn's
DecisionTreeClassifier; a categorical (string) feature is split into one child per value
(ID3's multiway split).  For every candidate: the class counts of each child, their
impurities, the weighted impurity and the gain (information gain, or Gini decrease),
in one table per feature (decimals to 4 places; the comparison is exact).  The best
split's gain is then derived exactly and checked.  A tie in gain goes to the first
candidate (features in order, thresholds increasing), said so.  A feature with one
value offers no split; if no feature offers one, that is the answer.
"""
from __future__ import annotations

from typing import Any

import sympy as sp

from ... import ast
from ...errors import SpecError
from ...model.expressions import Words
from ...model.problem import Problem
from ...sentence import Code, Rel, join, say
from ...steps import Step, Table, make_step
from ..registry import Derived, make_answer
from .data import choice, classes_of, kw, labels_of, rows_of
from .information import entropy_of, gini_of, shown_logs, simplest
from ...records import record


@record
class Split:
    """One candidate: feature j (0-based), threshold (None: multiway), children as class counts."""

    feature: int
    threshold: Any
    values: tuple[Any, ...]
    children: tuple[tuple[int, ...], ...]
    gain: Any


def impurity(counts: list[int] | tuple[int, ...], criterion: str) -> Any:
    """Entropy (base 2) or Gini impurity of class counts, exact."""
    n = sum(counts)
    probs = [sp.Rational(c, n) for c in counts]
    return entropy_of(probs, sp.Integer(2)).value if criterion == "entropy" else gini_of(probs).value


def _counts(rows: list[int], labels: list[Any], classes: list[Any]) -> tuple[int, ...]:
    return tuple(sum(1 for i in rows if labels[i] == c) for c in classes)


def candidates(features: list[list[Any]], labels: list[Any], classes: list[Any], criterion: str) -> list[Split]:
    """Every candidate split with its gain, in table order."""
    n = len(labels)
    parent = impurity(_counts(list(range(n)), labels, classes), criterion)
    out = []
    for j in range(len(features[0])):
        col = [r[j] for r in features]
        if any(isinstance(v, str) for v in col):
            values = sorted(set(col), key=str)
            groups = [[i for i in range(n) if col[i] == v] for v in values]
            out.append(_split(j, None, tuple(values), groups, labels, classes, criterion, parent))
            continue
        distinct = sorted(set(col))
        for lo, hi in zip(distinct, distinct[1:]):
            t = (lo + hi) / 2
            groups = [[i for i in range(n) if col[i] <= t], [i for i in range(n) if col[i] > t]]
            out.append(_split(j, t, (), groups, labels, classes, criterion, parent))
    return out


def _split(j, t, values, groups, labels, classes, criterion, parent) -> Split:
    n = len(labels)
    children = tuple(_counts(g, labels, classes) for g in groups)
    weighted = sp.Add(*[sp.Rational(sum(c), n) * impurity(c, criterion) for c in children])
    return Split(j, t, values, children, simplest(parent - weighted))


def _arguments(problem: Problem, call: ast.Call) -> dict[str, Any]:
    features = rows_of(problem, call.args[0], "the features", words=True)
    labels = labels_of(problem, call.args[1], len(features))
    for j in range(len(features[0])):
        kinds = {isinstance(r[j], str) for r in features}
        if len(kinds) > 1:
            raise SpecError(f"feature {j + 1} mixes strings and numbers", call.args[0].pos)
    names_v, names_node = kw(problem, call, "names")
    names = [f"x_{j + 1}" for j in range(len(features[0]))]
    if names_node is not None:
        if not isinstance(names_v, Words) or len(names_v) != len(names) or not all(isinstance(v, str) for v in names_v):
            raise SpecError(f"`names` lists the {len(names)} features' names as strings", names_node.pos)
        names = [str(v) for v in names_v]
    return {"features": features, "labels": labels, "classes": classes_of(labels, call.args[1]),
            "criterion": choice(problem, call, "criterion", ("entropy", "gini")), "names": names}


def _d4(x: Any) -> Any:
    return x if x.is_Rational and x.q in (1, 2, 4, 5, 8, 10) else sp.Float(sp.N(x, 20), 4)


def _feature_table(a: dict, j: int, splits: list[Split]) -> Table:
    crit = "H" if a["criterion"] == "entropy" else "G"
    rows = []
    for s in splits:
        n = sum(sum(c) for c in s.children)
        kids = s.children
        where = ([f"≤ {s.threshold}", f"> {s.threshold}"] if s.threshold is not None else [str(v) for v in s.values])
        parts = "; ".join(f"{w}: {tuple(c)}" for w, c in zip(where, kids))
        imps = ", ".join(str(_d4(impurity(c, a["criterion"]))) for c in kids)
        weighted = sp.Add(*[sp.Rational(sum(c), n) * impurity(c, a["criterion"]) for c in kids])
        rows.append((s.threshold if s.threshold is not None else "each value", parts, imps, _d4(weighted),
                     _d4(s.gain)))
    cls = ", ".join(str(c) for c in a["classes"])
    header = ("threshold t", f"children: class counts ({cls})", f"{crit} of each child", f"weighted {crit}", "gain")
    return Table(header, tuple(rows), say(f"Splits on {a['names'][j]}."))


def _parent_step(a: dict) -> tuple[Step, Any]:
    counts = _counts(list(range(len(a["labels"]))), a["labels"], a["classes"])
    n = sum(counts)
    probs = [sp.Rational(c, n) for c in counts]
    terms = entropy_of(probs, sp.Integer(2)) if a["criterion"] == "entropy" else gini_of(probs)
    I0 = sp.Symbol("I_parent")
    what = "entropy (base 2)" if a["criterion"] == "entropy" else "Gini impurity"
    cls = ", ".join(f"{c}: {k}" for c, k in zip(a["classes"], counts))
    return make_step("tree_parent", say(f"The parent node holds all {n} samples ({cls}); its {what}:"),
                     I0, terms.shown, shown_logs(terms.value, 2), where={I0: terms.value}), terms.value


def _describe(a: dict, s: Split) -> Any:
    name = a["names"][s.feature]
    if s.threshold is None:
        return say("the split on ", Code(name), " (one child per value)")
    return say("the split ", Rel(sp.Symbol(name), "≤", s.threshold, kind="definition"))


def _best_step(a: dict, best: Split, parent: Any, ties: list[Split]) -> Step:
    n = len(a["labels"])
    isyms = [sp.Symbol(f"I_{k}") for k in range(1, len(best.children) + 1)]
    where = {sp.Symbol("I_parent"): parent, **{s: impurity(c, a["criterion"]) for s, c in zip(isyms, best.children)}}
    gain = sp.Symbol("Delta")
    where[gain] = best.gain
    with sp.evaluate(False):
        weighted = sp.Add(*[sp.Mul(sp.Rational(sum(c), n), s) for s, c in zip(isyms, best.children)])
        shown = sp.Add(sp.Symbol("I_parent"), sp.Mul(-1, weighted))
    what = _describe(a, best)
    tie = say(" It ties with ", join([_describe(a, t) for t in ties], ", ", " and "),
              ": the first candidate in the tables is taken.") if ties else say()
    values = join([Rel(s_, "=", shown_logs(where[s_], 2)) for s_ in isyms], ", ", " and ")
    return make_step("tree_best", say("The largest gain is that of ", what, ".", tie,
                                      " Its gain, exactly, with the children's impurities ", values, ":"),
                     gain, shown, shown_logs(best.gain, 2), where=where)


def best_split(problem: Problem, call: ast.Call) -> Derived:
    """The candidate splits of every feature, their gains, and the best."""
    a = _arguments(problem, call)
    if len(a["classes"]) < 2:
        raise SpecError("every sample has the same label: the node is pure and needs no split", call.args[1].pos)
    step, parent = _parent_step(a)
    steps = [step]
    splits = candidates(a["features"], a["labels"], a["classes"], a["criterion"])
    if not splits:
        raise SpecError("no feature takes two different values: there is no split", call.args[0].pos)
    for j in range(len(a["features"][0])):
        mine = [s for s in splits if s.feature == j]
        if mine:
            steps.append(make_step("tree_candidates", say(f"Candidate splits on {a['names'][j]}:"),
                                   table=_feature_table(a, j, mine), check=False))
    gains = [sp.N(s.gain, 30) for s in splits]      # (gains equal to 25 digits are taken as a tie)
    best_all = [s for s, g in zip(splits, gains) if abs(g - max(gains)) < sp.Float("1e-25", 30)]
    best = best_all[0]
    steps.append(_best_step(a, best, parent, best_all[1:]))
    x = sp.Symbol(a["names"][best.feature])
    answer = sp.Le(x, best.threshold) if best.threshold is not None else x
    extra = {"feature": best.feature + 1, "threshold": None if best.threshold is None else float(best.threshold),
             "gain": float(best.gain)}
    return Derived(make_answer(answer, extra=extra), tuple(steps))
