"""Numeric backpropagation: ∂L/∂v on a problem's computation graph, every step checked.

In: a problem whose loss `L` is computed from explicit numbers, and a target `v`: a name
(scalar, bias vector, weight matrix, input, intermediate node) or an entry (`W1[1, 1]`).
Out: `numeric_grad(problem, call) -> Derived | None` (None when the graph is symbolic:
the matrix-calculus family handles those) and `sgd_step` built on it.

How (micrograd's recipe, on vertices a student would name):
* The graph: every named node, and inside a node every activation (relu, sigmoid, tanh,
  leaky_relu, softmax) splits off its argument as a pre-activation vertex (`h =
  relu(W1 @ x + b1)` gives z = W₁x + b₁ and h = relu(z)).  A vertex is a leaf, an affine
  map (a signed sum of matrix products and plain terms), an activation, or a generic
  expression (anything else: losses, user formulas), each with one local-derivative rule.
* Masks: which entries of each vertex depend on v (an entry W1[1,1] reaches only z₁, h₁,
  then everything after the next affine map), so only the paths from v to L are walked and
  an entry's gradient never builds the whole Jacobian.
* Backward in reverse topological order: δ_u = Σ over u's children c of the local rule
  applied to δ_c (`+=` on fan-out), exact (sympy rationals, or exact expressions when
  sigmoid/tanh/exp enter).
* Steps: the forward pass, the path, the chain rule, every local derivative symbolically
  and with numbers (ReLU gates explained), then the product (a single chain) or the
  backward sweep (fan-out, vectors), softmax + cross-entropy's ŷ − y shown and checked.

Modules: `graph` (the vertices), `sweep` (masks and the backward pass), `explain` with
`local`, `tensor`, `shortcut` (the steps), `notation` (the symbols shown), `goal`
(`numeric_grad`), `sgd` (`sgd_step`).
"""
from __future__ import annotations

from .goal import numeric_grad
from .notation import Comp, DMat, DSym, dmat
from .sgd import sgd_step

__all__ = ["Comp", "DMat", "DSym", "dmat", "numeric_grad", "sgd_step"]
