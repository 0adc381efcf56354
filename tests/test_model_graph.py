"""The model's computation graph (derive.model.graph) and the frozen Problem (issue 9, item 5).

The graph's answers are checked against an independent route: random specs are generated
from a random edge list, and the transitive closure of that list (Floyd–Warshall on a
boolean matrix with NumPy) must equal `ancestors`/`descendants`."""
from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import numpy as np
import pytest

from derive import ast
from derive.grading.ecf import dependencies
from derive.model.graph import Graph, names_in
from derive.pipeline import build, derive
from derive.syntax import parse

ROOT = Path(__file__).resolve().parent.parent

SPEC = '''problem "graph" {
  dim d = 2
  vector x : (d)
  let c = 3
  param W = [[1, 2], [3, 4]]
  f(w) = w^2 + c
  z = W @ x
  h = relu(z)
  L = f(sum(h))
  M = matrix(2, 2, (i, j) -> i + j * c)
  find L
}'''


def _problem(text: str = SPEC):
    (p,) = build(parse(text, "<test>"))
    return p


def test_parents_are_the_names_each_definition_reads_in_reading_order():
    g = _problem().graph
    assert g.parents("x") == ("d",)             # a declared size
    assert g.parents("f") == ("c",)             # a function's body, not its parameter
    assert g.parents("z") == ("W", "x")
    assert g.parents("h") == ("z",)
    assert g.parents("L") == ("f", "h")         # a called function counts
    assert g.parents("M") == ("c",)             # a lambda's body, not its parameters
    assert g.parents("d") == () and g.parents("no such name") == ()
    assert g.order() == ("d", "x", "c", "W", "f", "z", "h", "L", "M")


def test_ancestors_descendants_and_closure():
    g = _problem().graph
    assert g.ancestors("L") == ("d", "x", "c", "W", "f", "z", "h")
    assert g.descendants("c") == ("f", "L", "M")
    assert g.descendants("x") == ("z", "h", "L")
    assert g.children("z") == ("h",)
    # followed through computed nodes only: f is reached, its parent c is not
    assert g.closure(["L"], follow=lambda n: n.kind == "node") == ("x", "W", "f", "z", "h", "L")


def test_a_node_carries_its_binding():
    p = _problem()
    node = p.graph["z"]
    b = p.names["z"]
    assert (node.kind, node.value, node.symbol, node.pos) == ("node", b.value, b.symbol, b.pos)


def _random_spec(rng: random.Random, n: int) -> tuple[str, np.ndarray]:
    """A spec with lets a0..a{n-1}, each reading a random set of earlier ones, and the
    adjacency matrix of that edge list (edge[i, j]: a_j reads a_i)."""
    edge = np.zeros((n, n), dtype=bool)
    lines = []
    for j in range(n):
        reads = [i for i in range(j) if rng.random() < 0.3]
        edge[reads, j] = True
        body = " + ".join(f"a{i}" for i in rng.sample(reads, len(reads))) or str(j + 1)
        lines.append(f"  let a{j} = {body}")
    return 'problem "random" {\n' + "\n".join(lines) + "\n  find a0\n}", edge


@pytest.mark.parametrize("seed", range(6))
def test_ancestors_and_descendants_agree_with_a_transitive_closure(seed):
    rng = random.Random(seed)
    n = 12
    text, edge = _random_spec(rng, n)
    reach = edge.copy()
    for k in range(n):                        # Floyd–Warshall, boolean
        reach |= reach[:, [k]] & reach[[k], :]
    g = _problem(text).graph
    for j in range(n):
        assert set(g.ancestors(f"a{j}")) == {f"a{i}" for i in range(n) if reach[i, j]}
        assert set(g.descendants(f"a{j}")) == {f"a{i}" for i in range(n) if reach[j, i]}
        assert set(g.parents(f"a{j}")) == {f"a{i}" for i in range(n) if edge[i, j]}
    order = g.order()
    assert all(order.index(p) < order.index(c) for c in order for p in g.parents(c))


def test_names_in_reads_in_order_and_leaves_out_bound_names():
    (stmt,) = [s for s in parse('problem "p" {\n  let y = g(b, a, (t) -> t + a + q)\n  find y\n}',
                                "<t>").problems[0].statements if isinstance(s, ast.Define)]
    assert names_in(stmt.value) == ("g", "b", "a", "q")
    assert names_in(stmt.value, calls=False) == ("b", "a", "q")
    assert names_in(stmt.value, calls=False, lambdas=False) == ("b", "a")


def test_grading_dependencies_follow_the_graph_of_the_statements():
    pdef = parse(SPEC, "<test>").problems[0]
    goal = ast.Name(pdef.pos, "L")
    assert dependencies(pdef, goal) == {"L", *Graph.of(pdef.statements).ancestors("L")}
    assert "M" not in dependencies(pdef, goal)


# ---- a built problem is frozen --------------------------------------------------------

def test_a_deriver_cannot_change_a_problem():
    p = _problem()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.definition = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.names["z"].value = 0
    with pytest.raises(TypeError):
        p.names["z"] = p.names["h"]
    with pytest.raises(TypeError):
        p.varies["c"] = 1
    with pytest.raises(AttributeError):
        p.goals.append(p.goals[0])
    with pytest.raises(TypeError):
        p.graph.nodes["q"] = p.graph["z"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.graph["z"].parents = ()


def _fingerprint(problem) -> tuple:
    names = tuple((b.name, b.kind, repr(b.value), repr(b.symbol), repr(b.definition), b.expr, b.dims)
                  for b in problem.names.values())
    graph = tuple((n.name, n.kind, n.parents) for n in problem.graph.nodes.values())
    return (names, graph, problem.goals, problem.parts, problem.text, problem.givens, problem.choices,
            tuple(problem.varies.items()), problem.requires, problem.definition)


@pytest.mark.parametrize("spec", ["examples/seed/part2-mlp.spec", "examples/seed/part2-attention.spec",
                                  "examples/matcalc.spec", "examples/seed-exam-variants.spec",
                                  "tests/specs/sequence-layers.spec"])
def test_solving_leaves_the_built_problems_unchanged(spec):
    problems = build(parse((ROOT / spec).read_text(), spec))
    before = [_fingerprint(p) for p in problems]
    for p in problems:
        derive(p)
    assert [_fingerprint(p) for p in problems] == before


def test_a_layer_knows_its_name_once_built():
    """(derivers used to name the layers they counted; the builder does, before anyone reads them)"""
    (p,) = build(parse('problem "p" {\n  layer fc = Linear(3, 2)\n  find params(fc)\n}', "<t>"))
    assert p.names["fc"].value.name == "fc"
