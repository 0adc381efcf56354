"""End-to-end smoke tests of the pipeline on the seed corpus."""
from pathlib import Path

import pytest

import derive

def _find_seed() -> Path:
    for parent in Path(__file__).resolve().parents:
        cand = parent / "shared" / "specs" / "seed"
        if cand.is_dir():
            return cand
    return Path("/nonexistent")


SEED = _find_seed()


def seed_specs():
    return sorted(SEED.glob("*.spec")) if SEED.is_dir() else []


@pytest.mark.parametrize("path", seed_specs(), ids=lambda p: p.name)
def test_every_seed_spec_parses_and_solves(path):
    solution = derive.solve(path)
    assert solution.problems
    for r in solution.results:
        assert (r.answer is None) != (r.error is None)


def test_cross_entropy_value():
    sol = derive.solve('problem "ce" { let y_hat = [0.2, 0.1, 0.7, 0.0]\n let y = [0, 0, 1, 0]\n'
                       ' find cross_entropy(y, y_hat) }')
    import math
    (r,) = sol.results
    assert r.answer.value == pytest.approx(-math.log(0.7))
    assert r.answer.text == "log(10/7)"
