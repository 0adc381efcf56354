"""A ✓ means a check ran on exactly what is shown (issue 9 §2), over the whole corpus.

For every spec in examples/, tests/specs/ and the seed exam, in the JSON: every relation
with `checked: true` says how it was checked (`check`), no relation of kind `claim` is
left unchecked, and a step with a ✓ has all its claims checked and prints each stated
relation visibly outside the ✓: a definition written with ≔, an assumption or a fact with
its tag.
Then deliberately false relations, in chains and sentences, are refused by make_step."""
from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from derive.errors import CheckFailed
from derive.render import to_json
from derive.sentence import TAGS, Rel, say
from derive.steps import make_step
from solved import solved

ROOT = Path(__file__).resolve().parent.parent
SEED = Path("/work/shared/specs/seed")
SPECS = sorted([*ROOT.glob("examples/*.spec"), *ROOT.glob("tests/specs/*.spec"),
                *(SEED.glob("*.spec") if SEED.is_dir() else [])])


def _steps(steps, where):
    for k, s in enumerate(steps, 1):
        yield f"{where}.{k}", s
        yield from _steps(s.get("substeps", []), f"{where}.{k}")


def problems(doc):
    """(step id, step JSON) for every step of every result."""
    for p in doc["problems"]:
        for r in p["results"]:
            yield from _steps(r.get("steps", []), r["id"])


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_tick_covers_checked_claims_only(path):
    doc = to_json(solved(path))
    bad = []
    for sid, step in problems(doc):
        for rel in step.get("relations", []):
            what = f"{sid} {rel.get('latex', rel['part'])}"
            if rel["checked"] and not rel["check"]:
                bad.append(f"{what}: checked, but how is not said")
            if rel["kind"] == "claim" and rel["checked"] is not True:
                bad.append(f"{what}: a claim left unchecked")
            if rel["kind"] != "claim" and rel["checked"]:
                bad.append(f"{what}: a {rel['kind']} marked checked")
        stated = [r for r in step.get("relations", []) if r["part"] == "text" and r["kind"] != "claim"]
        if step["checked"] and stated:
            tags = sum(step["text"].count(f"({t})") for t in TAGS.values()) + step["text"].count(r"\mathrel{:=}")
            if tags < len(stated):
                bad.append(f"{sid}: a ✓ beside {len(stated)} stated relations, only {tags} tagged")
    assert not bad, "\n".join(bad[:20])


w = sp.Symbol("w", real=True)
lam = sp.Symbol("lambda", positive=True)


@pytest.mark.parametrize("rel", [
    Rel(sp.Rational(1, 5) + 48 * w ** 2, "<", 0),      # a false inequality, from the assumptions
    Rel(-lam, "≥", 0),
    Rel(w ** 2 - 1 > 0, "⇔", w > 2),                   # a wrong equivalence
    Rel(sp.pi, "≈", sp.Float(3.15)),                    # a wrong approximation
    Rel(sp.Integer(1) - 5 + 4, "≠", 0),
])
def test_false_relations_in_sentences_are_refused(rel):
    with pytest.raises(CheckFailed):
        make_step("claim", say("So ", rel, "."))


@pytest.mark.parametrize("chain, relation", [
    ((2 * lam * w ** 2 + 1, sp.Integer(0)), "<"),      # an order chain, decided from the assumptions
    ((w ** 2 + 1, sp.Integer(0)), "≤"),
    ((w ** 2 - 4 > 0, sp.Abs(w) > 3), "⇔"),
    ((sp.sqrt(3), sp.Float(1.7)), "≈"),
])
def test_false_chains_are_refused(chain, relation):
    with pytest.raises(CheckFailed):
        make_step("chain", say("Then"), *chain, relation=relation)


def test_an_order_chain_on_symbols_is_checked_from_their_assumptions():
    step = make_step("nonnegative", say("A square is never negative, so"), 2 * lam * w ** 2, sp.Integer(0),
                     relation="≥")
    assert step.checked is True and step.check == "assumptions"


def test_the_log_identity_is_a_checked_claim_and_a_wrong_one_is_refused():
    """∂Σlog u/∂u = u^∘−1 is a claim checked at random matrices; 2·(it) is refused."""
    from derive.derivers.matcalc.nonpoly import identities
    from derive.model import functions as F
    x = sp.MatrixSymbol("x", 3, 1)
    (rel,) = [r for r in identities(F.Sum(F.elementwise(sp.log, x)), x) if r.lhs.has(sp.log)]
    assert rel.kind == "claim"
    assert make_step("identity", say("by ", rel, ":")).checked is True
    with pytest.raises(CheckFailed):
        make_step("identity", say("by ", Rel(rel.lhs, "=", 2 * rel.rhs), ":"))


def test_a_scalar_convexity_verdict_rests_on_a_shown_checked_sign(tmp_path):
    """`let lambda = 0.1`, f = λw² + 4w⁴: the verdict's f″ = 1/5 + 48w² > 0 is a checked step."""
    import derive
    spec = tmp_path / "c.spec"
    spec.write_text('problem "c" {\n  symbol w : real\n  let lambda = 0.1\n  f = lambda*w^2 + 4*w^4\n'
                    '  (a) find convex(f, w)\n}\n', encoding="utf-8")
    (r,) = derive.solve(str(spec)).results
    sign = r.steps[-1]
    assert r.answer.value is True and sign.rule == "sign" and sign.relation == ">"
    assert sign.checked is True and sign.check == "assumptions"
