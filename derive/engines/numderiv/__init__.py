"""Forward-mode evaluation: exact values and derivatives of matrix expressions at a numeric
point (the step checker's fast route, independent of the derivers' closed forms).

Modules: `forward` (the evaluator: `evaluate_at`, `derivative`), `rules` (the rules for
non-polynomial nodes), `node` (`DerivativeNode`, the derivatives it evaluates).
"""
from .forward import derivative, evaluate_at
from .node import DerivativeNode

__all__ = ["DerivativeNode", "derivative", "evaluate_at"]
