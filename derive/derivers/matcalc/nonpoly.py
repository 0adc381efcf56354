"""Closed-form gradients of scalar functions that are not polynomials in the matrices."""
from __future__ import annotations

from typing import Any


def nonpoly_grad(problem: Any, call: Any, f_sym: Any, display: Any, leaf: Any, x: Any) -> Any:
    """None: no rule applies yet."""
    return None
