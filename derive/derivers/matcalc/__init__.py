"""Matrix calculus with the steps a good student writes: the goals `grad` (closed form),
`hessian`, `expand` and `simplify` for scalar functions of symbolic vectors and matrices
(`convex` in convexity.py decides from the Hessian derived here).

In:  a problem and a goal call (`grad(L, w)`, `hessian(L, w)`, `expand(dist)`,
     `simplify(E)`), where L is a node, a user function or an expression over MatrixSymbols.
Out: `Derived(answer, steps)`; the answer text is a sympy matrix expression that
     `parse_expr` reads back with MatrixSymbols (`-2*X.T*(y - X*w)`).

Conventions: gradients are in denominator layout (∂L/∂w has the shape of w; ∂L/∂W of a
matrix W has the shape of W); the Jacobian ∂y/∂x has one row per entry of y; the Hessian
is ∂²L/∂w∂wᵀ.  Every equality shown is checked by `make_step`: derivatives appear as
`GradientOf`/`JacobianOf`, which the checker differentiates entry by entry at random
integer matrices, and every identity a sentence names is a `Rel` claim checked the same
way (sympy's own matrix derivatives are not used).

Modules, one concern each: `common` (variable, target, where maps), `tidy` (display
forms), `identities` (the identity for one term), `grad` (the `grad` goal), `given` (an
unspecified loss with given upstream gradients), `nonpoly` (elementwise functions, traces,
inverses, log det, norms), `hessian`, `rewrite` (`expand`, `simplify`).
"""
from .common import D, LAYOUT, _f_symbol, _vector, leaf_form, node_where, target, variable
from .grad import _nice_answer, poly_grad_steps, symbolic_grad
from .hessian import hessian, hessian_steps
from .rewrite import expand, simplify
from .tidy import tidy

__all__ = ["D", "LAYOUT", "_f_symbol", "_nice_answer", "_vector", "expand", "hessian", "hessian_steps", "leaf_form",
           "node_where", "poly_grad_steps", "simplify", "symbolic_grad", "target", "tidy", "variable"]
