"""choice: the matching option with its simplification, a checked counterexample for every
other option (values respecting the symbols' assumptions), `none`, several matches."""
import sympy as sp

import derive
from derive.derivers.choice import counterexample

SEED = """problem "bags" {
  symbol w1, b1, w2, b2 : positive
  let prior = [1/2, 1/2]
  let likelihood = [w1/(w1 + b1), w2/(w2 + b2)]
  choices {
    (a) w1/(w1 + b1)
    (b) w1*(w1 + b1)/(w1*(w1 + b1) + w2*(w2 + b2))
    (c) w1*(b1 + b2)/(w1*(b1 + b2) + w2*(b1 + b2))
    (d) w1*(w2 + b2)/(w1*(w2 + b2) + w2*(w1 + b1))
    (e) none
  }
  find choice(posterior(prior, likelihood, 1))
}"""


def test_seed_picks_d_with_counterexamples():
    (r,) = derive.solve(SEED).results
    assert r.answer.choice == "d"
    assert derive.solve(SEED).to_json()["problems"][0]["results"][0]["answer"]["choice"] == "d"
    wrong = [s for s in r.steps if s.rule == "option_differs"]
    assert len(wrong) == 3
    for s in wrong:
        assert s.checked is True and all(sub.checked is True for sub in s.substeps)
    (match,) = [s for s in r.steps if s.rule == "option_matches"]
    assert match.checked is True


def test_none_is_chosen_when_nothing_matches():
    (r,) = derive.solve('problem "n" { symbol a : positive\n choices { (a) a  (b) 2*a  (c) none }\n'
                        ' find choice(a + 1) }').results
    assert r.answer.choice == "c"


def test_several_matches():
    (r,) = derive.solve('problem "n" { symbol a\n choices { (a) (a + 1)^2  (b) a^2 + 2*a + 1  (c) a^2 }\n'
                        ' find choice((a + 1)^2) }').results
    assert r.answer.choice == "a,b"


def test_numeric_options():
    (r,) = derive.solve('problem "n" { choices { (a) 0.3  (b) 1/4  (c) 0.2 }\n find choice(0.25) }').results
    assert r.answer.choice == "b"


def test_counterexample_respects_assumptions():
    x = sp.Symbol("x", positive=True)
    y = sp.Symbol("y", negative=True)
    point, a, b = counterexample(sp.sqrt(x ** 2) + y, x - y)
    assert point[x] > 0 and point[y] < 0 and a != b


def test_no_choices_block_is_an_error():
    (r,) = derive.solve('problem "n" { find choice(1) }').results
    assert "choices" in r.error.message


def test_no_match_without_none_is_an_error():
    (r,) = derive.solve('problem "n" { choices { (a) 1  (b) 2 }\n find choice(3) }').results
    assert r.error is not None and "no option" in r.error.message
