"""Classification metrics against a hand-written NumPy count on random data (hypothesis),
the seed's values, the zero-division convention, multi-class averages, ROC/AUC, bad input."""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import derive


def lst(v) -> str:
    return "[" + ", ".join(str(x) for x in v) + "]"


def goal(g: str, lets: dict) -> object:
    body = "\n".join(f" let {k} = {v}" for k, v in lets.items())
    (r,) = derive.solve(f'problem "m" {{\n{body}\n find {g}\n}}').results
    return r


def np_binary(scores, labels, theta):
    s, y = np.array(scores, dtype=float), np.array(labels)
    pred = (s >= theta - 1e-12).astype(int)
    tp = int(np.sum((pred == 1) & (y == 1)))
    fp = int(np.sum((pred == 1) & (y == 0)))
    fn = int(np.sum((pred == 0) & (y == 1)))
    tn = int(np.sum((pred == 0) & (y == 0)))
    div = lambda a, b: a / b if b else 0.0
    return {"precision": div(tp, tp + fp), "recall": div(tp, tp + fn), "f1": div(2 * tp, 2 * tp + fp + fn),
            "accuracy": (tp + tn) / len(y), "confusion": [[tn, fp], [fn, tp]]}


grid = st.integers(0, 20).map(lambda k: Fraction(k, 20))
binary = st.integers(2, 12).flatmap(lambda n: st.tuples(st.lists(grid, min_size=n, max_size=n),
                                                        st.lists(st.integers(0, 1), min_size=n, max_size=n), grid))


def dec(f: Fraction) -> str:
    return f"{float(f):.2f}"


@settings(max_examples=20, deadline=None)
@given(binary)
def test_binary_metrics_match_numpy(data):
    scores, labels, theta = data
    want = np_binary([float(s) for s in scores], labels, float(theta))
    lets = {"s": lst(dec(x) for x in scores), "y": lst(labels)}
    for name in ("precision", "recall", "f1", "accuracy"):
        r = goal(f"{name}(s, y, threshold = {dec(theta)})", lets)
        assert r.error is None, r.error
        assert r.answer.value == pytest.approx(want[name]), name
    r = goal(f"confusion(s, y, threshold = {dec(theta)})", lets)
    assert r.answer.value == want["confusion"]


def np_multiclass(pred, true, classes):
    pred, true = np.array(pred), np.array(true)
    tp = np.array([np.sum((pred == c) & (true == c)) for c in classes])
    fp = np.array([np.sum((pred == c) & (true != c)) for c in classes])
    fn = np.array([np.sum((pred != c) & (true == c)) for c in classes])
    sup = tp + fn
    div = lambda a, b: np.where(b > 0, a / np.maximum(b, 1), 0.0)
    per = {"precision": div(tp, tp + fp), "recall": div(tp, tp + fn), "f1": div(2 * tp, 2 * tp + fp + fn)}
    micro = {"precision": div(tp.sum(), tp.sum() + fp.sum()), "recall": div(tp.sum(), tp.sum() + fn.sum()),
             "f1": div(2 * tp.sum(), 2 * tp.sum() + fp.sum() + fn.sum())}
    return {(m, "macro"): float(per[m].mean()) for m in per} | \
           {(m, "weighted"): float((per[m] * sup).sum() / sup.sum()) for m in per} | \
           {(m, "micro"): float(micro[m]) for m in per}


multi = st.integers(2, 10).flatmap(lambda n: st.tuples(st.lists(st.integers(0, 2), min_size=n, max_size=n),
                                                       st.lists(st.integers(0, 2), min_size=n, max_size=n)))


@settings(max_examples=12, deadline=None)
@given(multi, st.sampled_from(["precision", "recall", "f1"]), st.sampled_from(["macro", "micro", "weighted"]))
def test_multiclass_averages_match_numpy(data, metric, average):
    pred, true = data
    want = np_multiclass(pred, true, [0, 1, 2])[(metric, average)]
    r = goal(f'{metric}(p, y, classes = [0, 1, 2], average = "{average}")', {"p": lst(pred), "y": lst(true)})
    assert r.error is None, r.error
    assert r.answer.value == pytest.approx(want)


def np_auc(scores, labels):
    s, y = np.array(scores, dtype=float), np.array(labels)
    pos, neg = s[y == 1], s[y == 0]
    diff = pos[:, None] - neg[None, :]
    return (np.sum(diff > 1e-12) + 0.5 * np.sum(np.abs(diff) <= 1e-12)) / (len(pos) * len(neg))


@settings(max_examples=15, deadline=None)
@given(binary)
def test_auc_matches_numpy_ranks(data):
    scores, labels, _ = data
    if len(set(labels)) < 2:
        return
    r = goal("auc(s, y)", {"s": lst(dec(x) for x in scores), "y": lst(labels)})
    assert r.error is None, r.error
    assert r.answer.value == pytest.approx(np_auc([float(x) for x in scores], labels))
    assert all(s.checked for s in r.steps if len(s.chain) > 1)


SEED = {"s": "[0.7, 0.65, 0.92, 0.75, 0.45, 0.8, 0.3, 0.8, 0.1, 0.1]", "y": "[1, 0, 1, 1, 0, 1, 1, 1, 0, 0]"}


@pytest.mark.parametrize("g, want", [("precision(s, y, threshold = 0.5)", 5 / 6), ("recall(s, y, threshold = 0.5)", 5 / 6),
                                     ("precision(s, y, threshold = 0.2)", 0.75), ("recall(s, y, threshold = 0.2)", 1.0)])
def test_seed_values(g, want):
    r = goal(g, SEED)
    assert r.answer.value == pytest.approx(want)
    assert r.steps[0].table is not None and len(r.steps[0].table.rows) == 10      # predicted labels
    assert r.steps[1].table is not None                                          # confusion counts


def test_threshold_is_inclusive_by_default_and_strict_on_request():
    lets = {"s": "[0.5, 0.4]", "y": "[1, 0]"}
    assert goal("recall(s, y, threshold = 0.5)", lets).answer.value == 1
    assert goal("recall(s, y, threshold = 0.5, strict = true)", lets).answer.value == 0


def test_no_predicted_positives_gives_zero_with_a_note():
    r = goal("precision(s, y, threshold = 0.9)", {"s": "[0.1, 0.2]", "y": "[1, 0]"})
    assert r.answer.value == 0 and "zero_division" in str(r.steps[-1].text)
    r = goal("precision(s, y, threshold = 0.9, zero_division = 1)", {"s": "[0.1, 0.2]", "y": "[1, 0]"})
    assert r.answer.value == 1


def test_roc_points():
    r = goal("roc(s, y)", {"s": "[0.9, 0.8, 0.7, 0.6]", "y": "[1, 0, 1, 0]"})
    assert r.answer.value == [[0, 0], [0, 0.5], [0.5, 0.5], [0.5, 1], [1, 1]]


def test_argmax_predictions_from_a_score_matrix():
    r = goal("accuracy(S, y)", {"S": "[[0.1, 0.9], [0.8, 0.2], [0.5, 0.5]]", "y": "[1, 1, 0]"})
    assert r.answer.value == pytest.approx(2 / 3)      # the tie goes to class 0, as np.argmax


@pytest.mark.parametrize("g, lets, words", [
    ("precision(s, y)", {"s": "[0.1, 0.2]", "y": "[1, 2]"}, "must be 0 or 1"),
    ("precision(s, y)", {"s": "[0.1, 0.2]", "y": "[1, 0, 1]"}, "2 scores but 3 labels"),
    ('precision(s, y, threshold = "high")', {"s": "[0.1, 0.2]", "y": "[1, 0]"}, "real number"),
    ("precision(s, y, threshold = [1, 2])", {"s": "[0.1, 0.2]", "y": "[1, 0]"}, "real number"),
    ("precision(p, y, classes = [0, 1, 2])", {"p": "[0, 1, 2]", "y": "[0, 2, 2]"}, "average"),
    ("precision(p, y, classes = [0, 1])", {"p": "[0, 1, 2]", "y": "[0, 1, 1]"}, "not one of the classes"),
    ('precision(s, y, average = "mean")', {"s": "[0.1, 0.2]", "y": "[1, 0]"}, "`average` is one of"),
    ("auc(s, y)", {"s": "[0.1, 0.2]", "y": "[1, 1]"}, "no negatives"),
])
def test_bad_input_is_a_spec_error_with_the_reason(g, lets, words):
    r = goal(g, lets)
    assert r.error is not None and words in r.error.message, r.error
    assert r.error.line is not None
