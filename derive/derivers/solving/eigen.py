"""`eigenvalues(A)` and `eigenvectors(A)` of a given square matrix.

In: the goal call; A with numeric entries.  Out: a `Derived`:
* eigenvalues: the characteristic polynomial and its roots (solving.spectrum), each
  eigenvalue as often as its multiplicity, ascending (exact up to 4×4 when sympy finds
  radicals, else 30-digit decimals); the answer is the list;
* eigenvectors: for each distinct eigenvalue λ a basis of the null space of A − λI (exact
  eigenvalues only), each vector checked by A v = λ v; the answer is a list of
  [λ, multiplicity, [v, ...]] as sympy's `eigenvects` orders them (ascending λ).
"""
from __future__ import annotations

import sympy as sp

from ... import ast
from ...errors import Unsupported
from ...model.problem import Problem
from ...sentence import Math, Rel, say
from ...steps import Step, make_step
from ..optimize.objective import guarded
from ..registry import Derived, make_answer
from .matrices import given_matrix
from .spectrum import LAMBDA, eigen_sentence, spectrum
from ..definite import integral


def _numeric(problem: Problem, call: ast.Call, goal: str):
    g = given_matrix(problem, call.args[0], goal)
    if g.value.free_symbols:
        raise Unsupported(f"`{goal}` needs numeric entries; `{call.args[0].pos.snippet()}` depends on "
                          f"{', '.join(sorted(map(str, g.value.free_symbols)))}", call.args[0].pos)
    return g


@guarded
def eigenvalues(problem: Problem, call: ast.Call) -> Derived:
    """eigenvalues(A): the roots of det(A − λI), with multiplicity, ascending."""
    g = _numeric(problem, call, "eigenvalues")
    spec = spectrum(g.value, g.name, symmetric=g.value.is_symmetric())
    prose = say(eigen_sentence(spec.values), ".")
    return Derived(make_answer(list(spec.values), prose=prose), tuple(g.steps) + spec.steps)


def _basis(A: sp.MatrixBase, name, lam, k: int) -> tuple[list, Step]:
    """A basis of the null space of A − λI, and the checked step showing A v = λ v for each."""
    n = A.rows
    M = sp.Matrix(A - lam * sp.eye(n)).applyfunc(lambda e: e if e.is_Rational else sp.radsimp(e))
    vs = [integral(v.applyfunc(sp.radsimp)) if all(e.is_Rational for e in v) else sp.ImmutableMatrix(v.applyfunc(
        sp.radsimp)) for v in M.nullspace(simplify=True)]
    subs = [make_step("eigenvector", say(Math(sp.Symbol(f"v_{k},{j + 1}")), ":"),
                      sp.MatMul(A, v, evaluate=False), sp.MatMul(lam, v, evaluate=False)) for j, v in enumerate(vs)]
    step = make_step("null_space", say("For ", Rel(sp.Symbol(f"lambda_{k}"), "=", lam, kind="definition"),
                                       ", the null space of ", Math(sp.MatAdd(name,
                                                                              sp.MatMul(-1, LAMBDA, sp.Identity(n)))),
                                       " is spanned by the vectors below; each satisfies ",
                                       Rel(sp.MatMul(name, sp.MatrixSymbol("v", n, 1)), "=",
                                           sp.MatMul(LAMBDA, sp.MatrixSymbol("v", n, 1)), kind="definition"), ":"),
                     substeps=subs, check=False)
    return vs, step


@guarded
def eigenvectors(problem: Problem, call: ast.Call) -> Derived:
    """eigenvectors(A): a basis of each eigenspace, each vector checked."""
    g = _numeric(problem, call, "eigenvectors")
    spec = spectrum(g.value, g.name, symmetric=g.value.is_symmetric())
    if not spec.exact:
        raise Unsupported("`eigenvectors` needs eigenvalues derive finds exactly (in radicals); these are decimals",
                          call.args[0].pos)
    steps = list(g.steps) + list(spec.steps)
    out = []
    for k, lam in enumerate(dict.fromkeys(spec.values), start=1):
        vs, step = _basis(g.value, g.name, lam, k)
        steps.append(step)
        out.append([lam, sp.Integer(spec.values.count(lam)), vs])
    return Derived(make_answer(out), tuple(steps))
