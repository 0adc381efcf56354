"""The problem model: names, shapes, values and the computation graph of one problem.

`build(spec)` turns each `ast.ProblemDef` into a frozen `Problem` (problem.py), statement
by statement (builder.py), with the graph of what each name reads (graph.py); the
expression evaluator (expressions.py) turns AST expressions into sympy objects with the
operators of operators.py on the value types of values.py, and functions.py holds the
sympy classes behind derive's builtins (relu, softmax, norm, ...).
"""
from .builder import build, build_problem
from .graph import Graph, Node
from .problem import Binding, Problem

__all__ = ["Binding", "Graph", "Node", "Problem", "build", "build_problem"]
