"""The conventions a problem's solution relies on, read off the spec: its Assumptions box.

In: a built `Problem`.  Out: a tuple of `Sentence`s, each a convention or a given that a
reader of the worked solution needs and the exam sheet may leave implicit:

* the layout of every weight matrix used as a layer's weights, `W @ a` with `W` a `param`
  (PyTorch's out × in: row i holds the weights into unit i); a given matrix (`let A`) or
  one inside a quadratic or bilinear form (`x @ (A @ x)`) is not a layer's weights;
* which weight an entry the goals ask about is, in words ((W₁)₁,₂ is the weight from
  input 2 into unit 1);
* biases given as all zero;
* the base of `log` (natural) when a definition uses it, or when an entropy goal
  (`cross_entropy`, `entropy`, `kl`, `information_gain`) has no `base`;
* the priors of `posterior(prior, likelihood, i)`, as given;
* the mode of a `Dropout` layer a goal goes through: evaluation (the identity).

`stated_names(problem)` -> the names whose values the box states (the data block of
derive.handout does not repeat them).

Every sentence is a definition or a statement of what the spec gives; none is a claim
that needs a check.
"""
from __future__ import annotations

from typing import Any, Iterator

import sympy as sp

from . import ast
from .errors import DeriveError
from .model.problem import Binding, Problem
from .sentence import Math, Rel, Sentence, join, say


def _walk(node: Any) -> Iterator[ast.Expr]:
    """Every expression node under `node` (a statement's expression), itself included, in
    pre-order (a node, then its fields' nodes in order, a keyword by its value), except the
    entries of a list that are numbers (`0.5`, `-2`): every reader here looks for names,
    calls, products and indices, and a weight matrix written out is thousands of numbers
    (walking them took longer than the rest of the Assumptions box)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Expr):
            yield n
        if type(n) is ast.ListLit:
            stack += [item for item in reversed(n.items) if not _number_entry(item)]
            continue
        kids: list = []
        for v in (vars(n).values() if hasattr(n, "__dict__") else ()):
            if isinstance(v, ast.Expr):
                kids.append(v)
            elif isinstance(v, tuple):
                kids += [item.value if isinstance(item, ast.Keyword) else item for item in v
                         if isinstance(item, (ast.Expr, ast.Keyword))]
        stack += reversed(kids)


def _number_entry(item: ast.Expr) -> bool:
    return type(item) is ast.Num or (type(item) is ast.UnaryOp and type(item.operand) is ast.Num)


def _definitions(problem: Problem) -> list[ast.Expr]:
    out = [b.expr for b in problem.names.values() if b.expr is not None]
    out += [g.expr for g in problem.goals if g.expr is not None]
    return out


def _matrix(problem: Problem, node: ast.Expr) -> Binding | None:
    if isinstance(node, ast.Name) and node.id in problem.names:
        b = problem.names[node.id]
        if b.kind in ("param", "let", "input") and isinstance(b.value, sp.MatrixBase) and b.value.shape[1] > 1:
            return b
    return None


def _weights(problem: Problem) -> list[Binding]:
    """Trainable matrices that multiply something on the left (W @ a) other than inside a
    quadratic or bilinear form (x @ (W @ y)), in order of first use."""
    found: dict[str, Binding] = {}
    for expr in _definitions(problem):
        nodes = list(_walk(expr))
        inner = {id(n.right) for n in nodes if isinstance(n, ast.BinOp) and n.op == "@"}
        for node in nodes:
            if isinstance(node, ast.BinOp) and node.op == "@" and id(node) not in inner:
                b = _matrix(problem, node.left)
                if b is not None and b.kind == "param":
                    found.setdefault(b.name, b)
    return list(found.values())


def _layout(b: Binding) -> Sentence:
    rows, cols = b.value.shape
    inputs, units = f"{cols} input{'s' * (cols != 1)}", f"{rows} unit{'s' * (rows != 1)}"
    return say(Math(b.symbol), f" is {rows}×{cols}: it maps {inputs} to {units}, in PyTorch's layout "
               "(out × in): row i holds the weights into unit i, column j those from input j.")


def _entries(problem: Problem, weights: list[Binding]) -> Iterator[Sentence]:
    names = {b.name for b in weights}
    seen = set()
    for expr in _definitions(problem):
        for node in _walk(expr):
            if isinstance(node, ast.Index) and isinstance(node.target, ast.Name) and node.target.id in names \
                    and len(node.indices) == 2 and all(isinstance(i, ast.Num) for i in node.indices):
                i, j = (int(k.value) for k in node.indices)
                if (node.target.id, i, j) in seen:
                    continue
                seen.add((node.target.id, i, j))
                try:
                    entry = problem.display(node)
                except DeriveError:    # an entry out of range: the goal that names it reports it
                    continue
                yield say(Math(entry), f" is the weight from input {j} into unit {i} (row {i}, column {j}; "
                          "indices count from 1, as on the exam sheet).")


def _zero_bias(b: Binding) -> bool:
    return b.kind == "param" and b.name.startswith("b") and isinstance(b.value, sp.MatrixBase) \
        and all(e == 0 for e in b.value)


def _zero_biases(problem: Problem) -> Iterator[Sentence]:
    for b in problem.names.values():
        if _zero_bias(b):
            yield say(Rel(b.symbol, "=", sp.Integer(0), kind="definition"),
                      ": this bias is given as zero (it is still trainable).")


ENTROPIES = ("cross_entropy", "entropy", "kl", "information_gain")


def _natural_log(node: ast.Expr) -> bool:
    """A one-argument `log`, or an entropy goal without `base`: both in base e."""
    if not isinstance(node, ast.Call):
        return False
    return (node.name == "log" and len(node.args) == 1) or \
        (node.name in ENTROPIES and node.kwarg("base") is None)


def _logs(problem: Problem) -> Iterator[Sentence]:
    for expr in _definitions(problem):
        if any(_natural_log(n) for n in _walk(expr)):
            yield say("log is the natural logarithm (base e).")
            return


def _posterior_calls(problem: Problem) -> Iterator[ast.Call]:
    for g in problem.goals:
        if g.expr is not None:
            yield from (n for n in _walk(g.expr) if isinstance(n, ast.Call) and n.name == "posterior"
                        and len(n.args) == 3 and isinstance(n.args[0], ast.Name))


def _priors(problem: Problem) -> Iterator[Sentence]:
    """P(H₁) = 1/2 and P(H₂) = 1/2: the priors a posterior goal uses, as given."""
    from .notation import Prob
    seen = set()
    for call in _posterior_calls(problem):
        b = problem.names.get(call.args[0].id)
        if b is None or b.name in seen or not isinstance(b.value, sp.MatrixBase):
            continue
        seen.add(b.name)
        rels = [Rel(Prob(sp.Symbol(f"H{k}")), "=", v, kind="definition") for k, v in enumerate(b.value, 1)]
        equal = len(set(b.value)) == 1
        yield say(join(rels, ", ", " and "), ": the prior probabilities of the hypotheses, as given",
                  " (each is equally likely before the evidence)." if equal else ".")


def _dropouts(problem: Problem) -> Iterator[Sentence]:
    """A Dropout layer a goal goes through is in evaluation mode (the identity)."""
    used = {n.name for g in problem.goals if g.expr is not None for n in _walk(g.expr) if isinstance(n, ast.Call)}
    used |= {n.name for b in problem.names.values() if b.expr is not None
             for n in _walk(b.expr) if isinstance(n, ast.Call)}
    for b in problem.names.values():
        if b.kind == "layer" and b.name in used and isinstance(b.expr, ast.Call) and b.expr.name == "Dropout":
            yield say(Math(sp.Symbol(b.name)), " (Dropout) is in evaluation mode: it passes its input on "
                      "unchanged (in training it would zero entries at random and rescale the rest).")


def stated_names(problem: Problem) -> set[str]:
    """The names whose values the Assumptions box states: zero biases and priors."""
    out = {b.name for b in problem.names.values() if _zero_bias(b)}
    out |= {c.args[0].id for c in _posterior_calls(problem)}
    return out


def assumptions(problem: Problem) -> tuple[Sentence, ...]:
    """The problem's Assumptions box (see the module docstring); empty when it has none."""
    weights = _weights(problem)
    out = [_layout(b) for b in weights]
    out += list(_entries(problem, weights))
    out += list(_zero_biases(problem))
    out += list(_logs(problem))
    out += list(_priors(problem))
    out += list(_dropouts(problem))
    return tuple(out)
