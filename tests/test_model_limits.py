"""The model's size limits are fields of the run's `Limits` (issue 9, item 5), not module
settings: two runs with different limits in one process each get their own."""
from __future__ import annotations

import threading

import pytest

import derive
from derive.errors import LimitError

RULE = 'problem "p" {{\n  let M = matrix({n}, {n}, (i, j) -> i + j)\n  find sum(M)\n}}\n'
POWER = 'problem "p" {\n  let a = 3\n  find a^300\n}\n'


def _total(n: int) -> int:
    return sum(i + j for i in range(1, n + 1) for j in range(1, n + 1))     # the hand computation


def test_a_rule_built_matrix_within_the_limit_solves_and_beyond_it_is_refused():
    sol = derive.solve(RULE.format(n=12))
    assert sol.results[0].answer.text == str(_total(12))
    with pytest.raises(LimitError, match="refuses more than 100"):
        derive.solve(RULE.format(n=12), limits=derive.Limits(rule_entries=100))


def test_exponents_and_number_sizes_follow_the_limits():
    assert derive.solve(POWER).results[0].answer.text == str(3 ** 300)
    r = derive.solve(POWER, limits=derive.Limits(exponent=100)).results[0]
    assert r.error is not None and "|exponent| ≤ 100" in r.error.message
    r = derive.solve(POWER, limits=derive.Limits(number_bits=64)).results[0]
    assert r.error is not None and "64 bits" in r.error.message


def test_each_thread_has_its_runs_limits():
    out: dict[str, object] = {}

    def run(name: str, limits: derive.Limits) -> None:
        try:
            out[name] = derive.solve(RULE.format(n=12), limits=limits).results[0].answer.text
        except LimitError as exc:
            out[name] = exc

    threads = [threading.Thread(target=run, args=("tight", derive.Limits(rule_entries=100))),
               threading.Thread(target=run, args=("default", derive.Limits()))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert isinstance(out["tight"], LimitError) and out["default"] == str(_total(12))


@pytest.mark.parametrize("field", ["entries", "rule_entries", "matmul", "number_bits", "exponent"])
def test_a_size_must_be_a_positive_whole_number(field):
    with pytest.raises(ValueError, match=field):
        derive.Limits(**{field: 0})


def test_numbers_larger_than_every_format_prints_are_refused():
    with pytest.raises(ValueError, match="number_bits"):
        derive.Limits(number_bits=20_000)
