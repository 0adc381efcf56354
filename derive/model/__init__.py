"""The problem model: names, shapes, values and the computation graph of one problem.

`build(spec)` turns each `ast.ProblemDef` into a `Problem` (see problem.py); the
expression evaluator (expressions.py) turns AST expressions into sympy objects with the
operators of operators.py on the value types of values.py, and functions.py holds the sympy classes behind derive's builtins (relu, softmax, norm, ...).
"""
from .problem import Binding, Problem, build, build_problem

__all__ = ["Binding", "Problem", "build", "build_problem"]
