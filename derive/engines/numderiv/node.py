"""The derivative nodes that forward mode evaluates.

In: nothing.  Out: `DerivativeNode`, an unevaluated ∂f/∂x with args (f, x) and a `_kind`
("grad": ∂f/∂X of a scalar, the shape of X; "jac": ∂y/∂x of a column, rows × entries of
x).  The checkable derivatives of derive.engines.matpoly.derivative (GradientOf,
JacobianOf) are subclasses, so this engine evaluates them without importing that module.
"""
from __future__ import annotations

from sympy.matrices.expressions.matexpr import MatrixExpr


class DerivativeNode(MatrixExpr):
    """∂f/∂x, unevaluated: args (f, x); subclasses set `_kind` to "grad" or "jac"."""

    _kind = ""      # (not `kind`: sympy's Basic.kind is the MatrixKind of the node)
