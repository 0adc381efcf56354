"""Optimisation goals: `gd`, `lr_range`, `optimal_lr` (one variable or several) and the
PyTorch optimisers `adam`, `rmsprop`, `adagrad`, with `newton`, in any dimension.

In: a goal call whose first argument names a function of one scalar variable defined in
the problem (`f(w) = EXPR`), with keyword arguments `start`, `lr`, `steps`.
Out: a `Derived` answer with checked steps.  The modules, one concern each:

* `objective`: the function (f, f', f'') and the keyword arguments, read and checked;
* `display`: sympy display objects (a value put in, lo < x < hi, 0.1 for 1/10, f'');
* `common`: steps shared by the goals (derivatives, values at a point) and the check of
  an answer's sentence;
* `run`: the gradient-descent iterates themselves, exact then to 30 digits;
* `iterates`: `gd`, every iterate with the numbers put in (w_1 = 5 - (1/10)(2*5 + 2) = 19/5);
* `rates` (with `faster` and `local`): `lr_range`, 0 < η < 2/f'' for a quadratic from
  |1 − η f''| < 1, the rates faster than a reference one, local conditions otherwise;
* `newton`: `optimal_lr`, η* = 1/f''(w0), the minimiser of the second-order Taylor model;
* several variables: `multi` (the function of a vector or of several scalars, its gradient
  and Hessian, the start), `hyper` (PyTorch's hyperparameter names and defaults), `rules`
  (the update rules, run exactly or to 30 digits), `formulas` (the rules as sympy formulas
  and their numbers put in), `vgd` (the goals' steps), `newton_nd` (Newton's step), `vrates`
  (lr_range / optimal_lr in n-D); the x⁽ᵗ⁾, m̂⁽ᵗ⁾, ∇f(x⁽ᵗ⁾) display symbols are derive.notation_iterates.

Every relation shown is checked by `make_step` on the problem's numbers, or labelled a
definition, an assumption or a fact.  The derivers are importable from here
(`derive.derivers.optimize.gd`, `.lr_range`, `.optimal_lr`).
"""
from .common import derivative_steps, value_step
from .iterates import closed_form_step, gd, iterate_step, update_rule_step
from .newton import optimal_lr
from .objective import Objective, objective
from .rates import lr_range
from .run import Run, numeric, run_gd
from .step import sgd_step_torch
from .vgd import adagrad, adam, gd_multi, newton, rmsprop
from .vrates import lr_range_multi, optimal_lr_multi

__all__ = ["Objective", "Run", "adagrad", "adam", "closed_form_step", "derivative_steps", "gd", "gd_multi",
           "iterate_step", "lr_range", "lr_range_multi", "newton", "numeric", "objective", "optimal_lr",
           "optimal_lr_multi", "rmsprop", "run_gd", "sgd_step_torch", "update_rule_step", "value_step"]
