"""Long results broken over lines, never scaled: where an equation chain is cut into rows.

Every format lays a long chain out one link per row (`lhs = e1`, `= e2`, ...); a link still
too wide for the line is cut further:

* a sum (`Add`, `MatAdd`) at its top-level + and − signs, each row a group of its terms
  in the order the printers print them (the continuation rows lead with their sign);
* an explicit matrix too wide for the line in blocks of columns, the first block open on
  the right, the last open on the left (the bracket runs on across the rows);
* the derivative of a long sum, ∂/∂v (t₁ + ... + tₙ), inside its brackets: the operator
  and an open bracket on the first row, the bracket closed on the last.

Anything else (a product, a function of a long argument) stays whole on its row.  Widths
are 2-D Unicode columns (`item_width`), the proxy every format uses.

`pieces(x, budget)` -> the Pieces of one link; `chain_rows(items, fmt)` -> the Rows of a
chain, or None when it fits on one line.  The printers (md/latex via `piece_tex`,
html via `piece_mathml`, text via `piece_form`) print a Piece with their own printer.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import sympy as sp

from ..records import record

CHAIN_WIDTH = {"md": 60, "latex": 56, "html": 60, "text": 78}   # a chain longer than this: one link a row
LINE = {"md": 64, "latex": 50, "html": 64, "text": 66}   # columns a row of maths may take (LaTeX: a host
# document's narrower article page, inside a list of steps)
WIDE_LHS = 14      # a left side wider than this gets a row of its own


@record
class Piece:
    """One row's share of a link: `expr` whole, the continuation of a sum (`op` "+" when
    the group does not print its own leading "−"), or a block of a matrix's columns
    (`block` "first", "middle" or "last")."""

    expr: Any
    op: str = ""
    block: str = ""
    outer: Any = None       # the derivative whose bracketed sum this piece continues
    pre: tuple = ()         # factors of a product printed before a matrix block (first row)
    post: tuple = ()        # and after it (last row)


@record
class Row:
    """A row of a broken chain: the left side (first row only), whether the relation
    starts the row (a new link) and the piece of maths after it."""

    lhs: Any
    rel: bool
    piece: Piece


def _width(x: Any) -> int:
    return item_width(x)


_WIDTHS: dict[Any, int] = {}


def item_width(x: Any) -> int:
    """Columns `x` takes in 2-D Unicode: a proxy for its typeset width.  Kept for a sympy
    object (a chain is measured several times, in every format): sympy's == is structural
    and tells 1 from 1.0, so equal objects print alike and the bytes never depend on what
    was rendered before."""
    if not isinstance(x, sp.Basic):
        return _item_width(x)
    key = (type(x), x)
    if key not in _WIDTHS:
        if len(_WIDTHS) > 8192:
            _WIDTHS.clear()
        _WIDTHS[key] = _item_width(x)
    return _WIDTHS[key]


def _item_width(x: Any) -> int:
    from ..pretty import _form
    return _form(x).width()


def _min_width(x: Any) -> int:
    """A lower bound of `item_width(x)` that costs next to nothing: an explicit matrix of c
    columns takes at least 2c + 1 (entries, spaces, brackets), and an expression at least
    as much as the widest matrix in it (a matrix is printed whole, on the same lines)."""
    if isinstance(x, sp.MatrixBase):
        return 2 * int(x.shape[1]) + 1
    if isinstance(x, sp.Basic):
        return max((_min_width(a) for a in x.args), default=0)
    return 0


def is_long(items: tuple[Any, ...] | list[Any], fmt: str) -> bool:
    """Whether a chain is broken one link per line in `fmt` (widths are summed only until
    the limit is passed: laying out a 64×64 matrix in 2-D only to learn that it is wide
    took most of a big network's rendering)."""
    if len(items) <= 2:
        return False
    limit = CHAIN_WIDTH[fmt]
    total = 3 * (len(items) - 1)
    if total + sum(_min_width(x) for x in items) > limit:
        return True
    for x in items:
        total += item_width(x)
        if total > limit:
            return True
    return False


def _sum_terms(x: Any) -> list[Any] | None:
    if isinstance(x, (sp.Add, sp.MatAdd)) and len(x.args) > 1:
        return list(x.args)           # (derive's printers print sums in their written order)
    return None


def _group(x: Any, terms: list[Any]) -> Any:
    if len(terms) == 1:
        return terms[0]
    return sp.MatAdd(*terms) if isinstance(x, sp.MatAdd) else sp.Add(*terms, evaluate=False)


def _leads_minus(term: Any) -> bool:
    from ..printing import latex
    return latex(term).lstrip().startswith("-")


def _sum_pieces(x: Any, terms: list[Any], budget: int, deep: bool = True) -> list[Piece]:
    """A sum's terms in groups of at most `budget` columns; with `deep`, a term too wide on
    its own is cut further (a product with a wide matrix, say)."""
    groups: list[list[Any]] = [[]]
    used = 0
    for t in terms:
        w = _width(t) + 3
        if groups[-1] and used + w > budget:
            groups.append([])
            used = 2
        groups[-1].append(t)
        used += w
    out: list[Piece] = []
    for k, g in enumerate(groups):
        op = "" if k == 0 or _leads_minus(g[0]) else "+"
        sub = pieces(g[0], budget) if deep and len(g) == 1 and not _fits(g[0], budget) else [Piece(g[0])]
        if len(sub) > 1 and not (op and _leads_minus(g[0])):
            out.extend([replace(sub[0], op=op)] + sub[1:])
        else:
            out.append(Piece(_group(x, g), op=op))
    return out


def _product_pieces(x: Any, budget: int) -> list[Piece] | None:
    """A matrix product whose widest factor is an explicit matrix too wide for the line: that
    matrix in blocks of columns, the factors before it on the first row, after it on the last."""
    factors = list(x.args)
    mats = [k for k, f in enumerate(factors) if isinstance(f, sp.MatrixBase) and f.cols > 1]
    if not mats:
        return None
    k = max(mats, key=lambda j: _width(factors[j]))
    blocks = _matrix_pieces(factors[k], budget)
    if len(blocks) < 2:
        return None
    blocks[0] = replace(blocks[0], pre=tuple(factors[:k]))
    blocks[-1] = replace(blocks[-1], post=tuple(factors[k + 1:]))
    return blocks


def _matrix_pieces(m: sp.MatrixBase, budget: int) -> list[Piece]:
    widths = [max(_width(m[i, j]) for i in range(m.rows)) + 2 for j in range(m.cols)]
    blocks: list[list[int]] = [[]]
    used = 2
    for j, w in enumerate(widths):
        if blocks[-1] and used + w > budget:
            blocks.append([])
            used = 2
        blocks[-1].append(j)
        used += w
    if len(blocks) == 1:
        return [Piece(m)]
    out = []
    for k, cols in enumerate(blocks):
        kind = "first" if k == 0 else "last" if k == len(blocks) - 1 else "middle"
        out.append(Piece(sp.ImmutableMatrix(m[:, cols[0]:cols[-1] + 1]), block=kind))
    return out


def _bracketed(x: Any) -> tuple[Any, Any] | None:
    """(v, sum) of a derivative printed as ∂/∂v (sum) with a sum in its brackets: sympy's
    Derivative in one variable, or an object that says so (`bracketed_sum()`)."""
    if isinstance(x, sp.Derivative) and len(x.variable_count) == 1 and x.variable_count[0][1] == 1:
        out = (x.variables[0], x.expr)
    elif callable(getattr(x, "bracketed_sum", None)):
        out = x.bracketed_sum()
    else:
        return None
    return out if out is not None and _sum_terms(out[1]) is not None else None


def _fits(x: Any, budget: int) -> bool:
    """Whether `x` is at most `budget` columns wide (laid out only when the bound allows)."""
    return _min_width(x) <= budget and _width(x) <= budget


def pieces(x: Any, budget: int) -> list[Piece]:
    """`x` as the pieces of rows at most `budget` columns wide (where it can be cut)."""
    if _fits(x, budget):
        return [Piece(x)]
    terms = _sum_terms(x)
    if terms is not None:
        return _sum_pieces(x, terms, budget)
    if _bracketed(x) is not None:
        _, total = _bracketed(x)
        inner = _sum_pieces(total, list(total.args), budget - 8, deep=False)
        if len(inner) > 1:
            last = len(inner) - 1
            return [Piece(p.expr, p.op, "first" if k == 0 else "last" if k == last else "middle", x)
                    for k, p in enumerate(inner)]
    if isinstance(x, sp.MatrixBase) and x.cols > 1:
        return _matrix_pieces(x, budget)
    if isinstance(x, sp.MatMul):
        return _product_pieces(x, budget) or [Piece(x)]
    return [Piece(x)]


def _latex_fits(items: tuple[Any, ...] | list[Any], line: int) -> bool:
    """A cheap sure answer: a chain whose LaTeX source is no longer than the line fits
    (the source is never narrower than the 2-D layout: commands, braces, \\frac)."""
    from ..printing import latex
    return sum(len(latex(x)) for x in items) + 3 * (len(items) - 1) <= line


def chain_rows(items: tuple[Any, ...] | list[Any], fmt: str, width: int | None = None) -> list[Row] | None:
    """The rows of a chain too wide for one line of `fmt` (`width` columns, else LINE's;
    None when it fits): one link a row, a link too wide itself cut into pieces; a single
    item (no relation) is cut alone."""
    line = width or LINE[fmt]
    if not items:
        return None
    if len(items) <= 2 and _latex_fits(items, line):
        return None
    widths = [_width(x) for x in items] if len(items) <= 2 else None
    if widths is not None and sum(widths) + 3 * (len(items) - 1) <= line:
        return None
    if widths is None and not is_long(items, fmt) and all(_width(x) <= line for x in items) \
            and sum(_width(x) for x in items) + 3 * (len(items) - 1) <= line:
        return None
    if len(items) == 1:
        cut = pieces(items[0], line)
        return [Row(None, False, p) for p in cut] if len(cut) > 1 else None
    lhs_w = _width(items[0])
    budget = line - 4 if lhs_w > WIDE_LHS else line - lhs_w - 3
    rows = []
    if lhs_w > line and len(pieces(items[0], line)) > 1:     # a left side too wide: cut too
        rows = [Row(None, False, p) for p in pieces(items[0], line)]
    for e in items[1:]:
        for k, p in enumerate(pieces(e, max(budget, 24))):
            rows.append(Row(items[0] if not rows else None, k == 0, p))
    return rows


# ---- the pieces printed ---------------------------------------------------------------

def _operator_tex(d: Any) -> str:
    """`\\frac{\\partial}{\\partial v}` (or `\\frac{d}{d v}`, as the printer prints it) of a derivative."""
    from ..printing import latex
    var = latex(_bracketed(d)[0])
    return (r"\frac{d}{d %s}" if latex(d).startswith(r"\frac{d}") else r"\frac{\partial}{\partial %s}") % var


def _bracket(f: Any) -> bool:
    return isinstance(f, (sp.MatAdd, sp.Add, sp.MatMul))


def _factors_tex(fs: tuple) -> list[str]:
    from ..printing import latex
    return ["-" if f == -1 else r"\left(%s\right)" % latex(f) if _bracket(f) else latex(f) for f in fs]


def piece_tex(p: Piece) -> str:
    """A piece in LaTeX: a sum's continuation after its sign, a matrix block with the
    bracket open where the matrix runs on (a product's other factors before or after it), a
    derivative's bracketed sum across rows."""
    from ..printing import latex
    tex = latex(p.expr)
    if p.outer is not None:
        body = ("{} + " + tex) if p.op else tex
        if p.block == "first":
            return _operator_tex(p.outer) + r" \left(" + body + r"\right."
        return r"\left." + body + (r"\right)" if p.block == "last" else r"\right.")
    if p.block:
        left = r"\left[" if p.block == "first" else r"\left."
        right = r"\right]" if p.block == "last" else r"\right."
        tex = tex.replace(r"\begin{bmatrix}", left + r"\begin{matrix}", 1)
        tex = tex[::-1].replace(r"\end{bmatrix}"[::-1], (r"\end{matrix}" + right)[::-1], 1)[::-1]
        tex = " ".join(_factors_tex(p.pre) + [tex] + _factors_tex(p.post))
    return ("{} + " + tex) if p.op else tex


def piece_mathml(p: Piece) -> str:
    """A piece as the body of a MathML <math> (its brackets dropped where the matrix runs on)."""
    from ..mathml import mathml_body, mo
    body = mathml_body(p.expr)
    if p.outer is not None:
        body = (mo("+") + body) if p.op else body
        if p.block == "first":
            var = mathml_body(_bracketed(p.outer)[0])
            d = "d" if r"\frac{d}" in _operator_tex(p.outer) else "∂"
            return f"<mfrac><mo>{d}</mo><mrow><mo>{d}</mo>{var}</mrow></mfrac><mo>(</mo>{body}"
        return body + ("<mo>)</mo>" if p.block == "last" else "")
    if p.block in ("middle", "last"):
        body = re.sub(r"^<mrow><mo>\[</mo>", "<mrow>", body, count=1)
    if p.block in ("first", "middle"):
        body = re.sub(r"<mo>\]</mo></mrow>$", "</mrow>", body, count=1)
    if p.pre or p.post:
        def factor(f: Any) -> str:
            return mo("-") if f == -1 else mo("(") + mathml_body(f) + mo(")") if _bracket(f) else mathml_body(f)
        body = "".join([factor(f) for f in p.pre] + [body] + [factor(f) for f in p.post])
    return (mo("+") + body) if p.op else body


def piece_form(p: Piece) -> Any:
    """A piece as a 2-D Unicode form (a matrix block without the bracket column where the
    matrix runs on)."""
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    from ..pretty import _form
    form = _form(p.expr)
    if p.outer is not None:
        if p.op:
            form = prettyForm(*stringPict.next(prettyForm("+ "), form))
        if p.block == "first":
            full = _form(p.outer)
            opw = full.width() - prettyForm(*_form(_bracketed(p.outer)[1]).parens()).width()
            op = prettyForm("\n".join(line[:opw] for line in full.picture), full.baseline)
            return prettyForm(*stringPict.next(op, prettyForm("("), form))
        return prettyForm(*stringPict.next(form, prettyForm(")"))) if p.block == "last" else form
    if p.block:
        lines = form.picture
        if p.block in ("middle", "last"):
            lines = [line[1:] for line in lines]
        if p.block in ("first", "middle"):
            lines = [line[:-1] for line in lines]
        form = prettyForm("\n".join(lines), form.baseline)
        if p.pre or p.post:
            def factor(f: Any) -> Any:
                return prettyForm("-") if f == -1 else prettyForm(*_form(f).parens()) if _bracket(f) else _form(f)
            parts: list[Any] = []
            for f in (*[factor(f) for f in p.pre], form, *[factor(f) for f in p.post]):
                parts += [prettyForm("⋅"), f] if parts and parts[-1].s != "-" else [f]
            form = prettyForm(*stringPict.next(*parts))
    if p.op:
        form = prettyForm(*stringPict.next(prettyForm("+ "), form))
    return form


UNCUT = 66     # a piece no rule could cut and wider than this is fitted to the line in LaTeX


def fit_tex(tex: str, x: Any, room: str = r"\linewidth-5em") -> str:
    """`tex` as it is, or, for maths `x` wider than the line: on the lines it gives itself
    (`x.lines_latex(printer)`, e.g. an optimisation problem's objective and its constraints),
    else, when no rule could cut it, shrunk to the line (`\\derivefit`): the last resort (a
    vector of long entries), never for maths the rules above break."""
    if _width(x) <= UNCUT:
        return tex
    lines = getattr(x, "lines_latex", None)      # maths that knows its own line breaks (min … / subject to …)
    if lines is not None:
        from ..printing import DeriveLatexPrinter
        return r"\begin{aligned} %s \end{aligned}" % r" \\ ".join("&" + line for line in lines(DeriveLatexPrinter()))
    return r"\derivefit[\dimexpr%s\relax]{$\displaystyle %s$}" % (room, tex)


def rows_tex(rows: list[Row], rel: str, fit: bool = False) -> str:
    """Broken rows as the lines of an `align*`/`aligned` body: `lhs &= piece`, a new link
    `&= piece`, a sum's continuation `&\\quad {} + piece`; a wide left side on a row of
    its own.  `fit` (LaTeX) shrinks a piece no rule could cut to the line (`fit_tex`)."""
    from ..printing import latex
    lines: list[str] = []
    for r in rows:
        body = piece_tex(r.piece)
        if fit and not (r.piece.op or r.piece.block or r.piece.outer is not None):
            body = fit_tex(body, r.piece.expr)
        if r.lhs is not None and _width(r.lhs) > WIDE_LHS:
            lines += [f"& {latex(r.lhs)}", f"&{rel} {body}"]
        elif r.lhs is not None:
            lines.append(f"{latex(r.lhs)} &{rel} {body}")
        elif r.rel:
            lines.append(f"&{rel} {body}")
        else:
            lines.append((r"&\quad " if lines else "& ") + body)
    return " \\\\\n".join(lines)
