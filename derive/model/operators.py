"""The operators of the expression language on derive's values: `+ - * / ^ @` with NumPy's
broadcasting (`binop`), 1-based indexing (`index`), and the guards that refuse huge powers
and results before sympy builds them.

In: evaluated operands and the AST node (for positions).  Out: sympy objects, or a
SpecError / LimitError at the node."""
from __future__ import annotations

import math
from typing import Any, Callable

import sympy as sp

from .. import ast
from ..errors import LimitError, SpecError
from .functions import explicit, is_tensor
from ..limits import current
from .values import (
    Seq,
    check_entries,
    count,
    scalarize,
    show_shape,
)
from .elementwise import HadamardDiv


def binop(op: str, a: Any, b: Any, node: ast.Expr) -> Any:
    """One arithmetic operator with NumPy's rules (see the module docstring): `@` by
    `_matmul`, the elementwise operators (a 1×1 tensor beside a larger one acting as a
    scalar) by their rule in `_ELEMENTWISE`."""
    if op == "@":
        return _matmul(a, b, node)
    ta, tb = is_tensor(a), is_tensor(b)
    if ta and tb and tuple(a.shape) == (1, 1) != tuple(b.shape):
        a, ta = scalarize(a), False
    if ta and tb and tuple(b.shape) == (1, 1) != tuple(a.shape):
        b, tb = scalarize(b), False
    rule = _ELEMENTWISE.get(op)
    if rule is None:
        raise SpecError(f"unknown operator {op}", node.pos)
    return rule(op, a, b, ta, tb, node)


def _matmul(a: Any, b: Any, node: ast.Expr) -> Any:
    """`a @ b`: the matrix product, vector @ vector the inner product, vector @ matrix xᵀW."""
    ta, tb = is_tensor(a), is_tensor(b)
    # A 1×1 node is stored as a scalar; as an operand of `@` it is the 1×1 (or length-1)
    # tensor it came from, so a width-1 layer still multiplies (NumPy would accept it).
    if ta and not tb and isinstance(b, sp.Expr) and a.shape[1] == 1:
        b, tb = sp.ImmutableMatrix([[b]]), True
    elif tb and not ta and isinstance(a, sp.Expr) and b.shape[0] == 1:
        a, ta = sp.ImmutableMatrix([[a]]), True
    if not (ta and tb):
        raise SpecError(f"`@` multiplies tensors; here the {'left' if not ta else 'right'} side is a scalar "
                        "(use `*` for a scalar product)", node.pos)
    (r1, c1), (r2, c2) = a.shape, b.shape
    if c1 == 1 and c2 == 1 and r1 != 1 and _eq(r1, r2):   # vector @ vector: inner product
        return scalarize(a.T * b)
    if c1 == 1 and r1 != 1 and _eq(r1, r2) and c2 != 1:    # vector @ matrix: xᵀW, a vector
        return (a.T * b).T if not explicit(a) else sp.ImmutableMatrix((a.T * b).T)
    if c1 == 1 and c2 == 1 and r1 != 1 and r2 != 1 and not _eq(c1, r2):   # two vectors of two lengths
        raise SpecError(f"shape mismatch in `@`: {show_shape(a)} @ {show_shape(b)}; an inner product needs "
                        f"two vectors of one length, not {r1} and {r2}", node.pos)
    if c1 == 1 and r1 != 1 and c2 != 1 and not _eq(c1, r2):   # vector @ matrix: xᵀW needs len(x) rows
        raise SpecError(f"shape mismatch in `@`: {show_shape(a)} @ {show_shape(b)}; a vector @ a matrix "
                        f"needs as many rows as the vector's length, {r1}, not {r2}", node.pos)
    if not _eq(c1, r2):
        raise SpecError(f"shape mismatch in `@`: {show_shape(a)} @ {show_shape(b)}; "
                        f"the inner sizes {c1} and {r2} differ", node.pos)
    both = explicit(a) and explicit(b)
    if both:
        check_entries(r1, c2, node)
    cap = current().matmul
    if both and r1 * c1 * c2 > cap:
        raise LimitError(f"the product of a {r1}×{c1} and a {r2}×{c2} matrix takes {r1 * c1 * c2:,} exact "
                         f"multiplications; derive refuses more than {cap:,}", node.pos)
    out = a * b
    return guard_size(sp.ImmutableMatrix(out) if both else out, node)


def _plus_minus(op: str, a: Any, b: Any, ta: bool, tb: bool, node: ast.Expr) -> Any:
    """`a + b`, `a - b`: tensors of one shape entry by entry, a scalar broadcast over a tensor."""
    if ta and tb:
        if not (_eq(a.shape[0], b.shape[0]) and _eq(a.shape[1], b.shape[1])):
            raise SpecError(f"shape mismatch in `{op}`: {show_shape(a)} and {show_shape(b)}", node.pos)
        out = a + b if op == "+" else a - b
        return sp.ImmutableMatrix(out) if explicit(a) and explicit(b) else out
    if ta or tb:
        t, s = (a, b) if ta else (b, a)
        ones = sp.ImmutableMatrix(sp.ones(*t.shape)) if explicit(t) else sp.OneMatrix(*t.shape)
        s_t = s * ones
        if op == "+":
            return t + s_t if explicit(t) else sp.MatAdd(t, s_t)
        return (a - s_t) if ta else (s_t - b)
    return a + b if op == "+" else a - b


def _times(op: str, a: Any, b: Any, ta: bool, tb: bool, node: ast.Expr) -> Any:
    """`a * b`: elementwise for two tensors of one shape, else a scalar product."""
    if ta and tb:
        if tuple(a.shape) != tuple(b.shape):
            raise SpecError(f"shape mismatch in elementwise `*`: {show_shape(a)} and {show_shape(b)}"
                            " (use `@` for the matrix product)", node.pos)
        if explicit(a) and explicit(b):
            return guard_size(sp.ImmutableMatrix(a.multiply_elementwise(b)), node)
        return sp.HadamardProduct(a, b)
    out = a * b
    return guard_size(sp.ImmutableMatrix(out) if (explicit(a) or explicit(b)) and (ta or tb) else out, node)


def _divide(op: str, a: Any, b: Any, ta: bool, tb: bool, node: ast.Expr) -> Any:
    """`a / b`: elementwise by a tensor (no zero entry in an explicit one), or by a nonzero scalar."""
    if not tb:
        if b == 0:
            raise SpecError("division by zero", node.pos)
        out = a / b
        return sp.ImmutableMatrix(out) if ta and explicit(a) else out
    if explicit(b) and (not ta or explicit(a)):
        if any(e == 0 for e in b):
            raise SpecError("division by zero (an entry of the divisor is 0)", node.pos)
        if ta:
            if tuple(a.shape) != tuple(b.shape):
                raise SpecError(f"shape mismatch in elementwise `/`: {show_shape(a)} and {show_shape(b)}", node.pos)
            return sp.ImmutableMatrix(a.shape[0], a.shape[1], [x / y for x, y in zip(a, b)])
        return sp.ImmutableMatrix(b.shape[0], b.shape[1], [a / y for y in b])
    if ta and not (_eq(a.shape[0], b.shape[0]) and _eq(a.shape[1], b.shape[1])):
        raise SpecError(f"shape mismatch in elementwise `/`: {show_shape(a)} and {show_shape(b)}", node.pos)
    if explicit(b) and any(e == 0 for e in b):
        raise SpecError("division by zero (an entry of the divisor is 0)", node.pos)
    return HadamardDiv(a, b)


def _power(op: str, a: Any, b: Any, ta: bool, tb: bool, node: ast.Expr) -> Any:
    """`a ^ b`: a scalar exponent, elementwise on a tensor, within the size limits."""
    if tb:
        raise SpecError("an exponent must be a scalar", node.pos)
    guard_power(a, b, node)
    if ta:
        if explicit(a):
            return guard_size(sp.ImmutableMatrix(a.applyfunc(lambda t: t ** b)), node)
        return sp.HadamardPower(a, b)
    return guard_size(a ** b, node)


_ELEMENTWISE: dict[str, Callable[[str, Any, Any, bool, bool, ast.Expr], Any]] = {
    "+": _plus_minus, "-": _plus_minus, "*": _times, "/": _divide, "^": _power}


def _eq(x, y) -> bool:
    return x == y or sp.simplify(sp.sympify(x, strict=True) - sp.sympify(y, strict=True)) == 0


def guard_power(base: Any, exp: Any, node: ast.Expr) -> None:
    """Refuse powers whose result would be astronomically large before sympy builds it."""
    if not isinstance(exp, sp.Basic) or not exp.is_number:
        return
    try:
        e = abs(float(exp))
    except (TypeError, ValueError):
        return
    trivial = isinstance(base, sp.Basic) and base.is_number and abs(base) in (0, 1)
    lim = current()
    exp_cap, bits_cap = lim.exponent, lim.number_bits
    if e > exp_cap and not trivial:
        raise LimitError(f"the exponent {_short(exp)} is too large (derive allows |exponent| ≤ {exp_cap:,})",
                         node.pos)
    if trivial or not isinstance(base, (sp.Basic, sp.MatrixBase)):
        return
    if exp.is_Integer:
        if getattr(base, "is_Rational", False):   # exact size of p^e and q^e
            bits = e * max(math.log2(abs(int(base.p))) if base.p else 0, math.log2(int(base.q)))
        else:
            bits = e * _max_bits(base)
        if bits > bits_cap:
            what = _short(base) if getattr(base, "is_Rational", False) else "the base"
            raise LimitError(f"{what}^{_short(exp)} would hold numbers of about {int(bits):,} bits; derive refuses "
                             f"numbers over {bits_cap:,} bits", node.pos)
    inner = _max_exponent(base)
    if inner * e > exp_cap:
        inner = sp.Integer(int(inner)) if inner == int(inner) else sp.Float(inner, 6)
        raise LimitError(f"raising a power with exponent {_short(inner)} to the power {_short(exp)} gives an exponent "
                         f"over {exp_cap:,}, which derive refuses", node.pos)


def _max_bits(x: Any) -> int:
    """Bits of the largest numerator or denominator among the rational numbers in `x`."""
    if isinstance(x, sp.MatrixBase):
        return max((_max_bits(e) for e in x), default=0)
    if not isinstance(x, sp.Basic):
        return 0
    if x.is_Rational:
        return max(int(x.p).bit_length(), int(x.q).bit_length())
    return max((max(int(r.p).bit_length(), int(r.q).bit_length()) for r in x.atoms(sp.Rational)), default=0)


def _max_exponent(x: Any) -> float:
    """The largest |numeric exponent| of a power inside `x` (1 when there is none)."""
    if isinstance(x, sp.MatrixBase):
        return max((_max_exponent(e) for e in x), default=1)
    if not isinstance(x, sp.Basic) or x.is_number:
        return 1
    out = 1.0
    for p in x.atoms(sp.Pow):
        if p.exp.is_Number and not p.base.is_number:
            out = max(out, abs(float(p.exp)))
    return out


def guard_size(x: Any, node: ast.Expr) -> Any:
    """`x`, unless it holds numbers or exponents beyond the run's limits (a product of products...)."""
    lim = current()
    exp_cap, bits_cap = lim.exponent, lim.number_bits
    bits = _max_bits(x)
    if bits > bits_cap:
        raise LimitError(f"this result holds a number of {bits:,} bits; derive refuses numbers over "
                         f"{bits_cap:,} bits", node.pos)
    top = _max_exponent(x)
    if top > exp_cap:
        raise LimitError(f"this result has a power with exponent {_short(sp.Integer(int(top)))}; derive refuses "
                         f"exponents over {exp_cap:,}", node.pos)
    return x


def _short(x) -> str:
    if isinstance(x, (int, sp.Integer)) and abs(int(x)) >= 10 ** 4000:   # str() would refuse it
        return count(int(x))
    s = str(x)
    return s if len(s) <= 20 else s[:8] + "…" + s[-4:] + f" ({len(s)} digits)"


def index(target: Any, idx: list[int], node: ast.Index) -> Any:
    """1-based indexing of a Seq, a vector or a matrix."""
    if isinstance(target, Seq):
        if len(idx) != 1:
            raise SpecError("a list of tensors takes one index", node.pos)
        i = idx[0]
        if not 1 <= i <= len(target):
            raise SpecError(f"index {i} is out of range: the list has {len(target)} items (indexing is 1-based)",
                            node.pos)
        return target[i - 1]
    if not is_tensor(target):
        raise SpecError("only vectors, matrices and lists can be indexed", node.pos)
    r, c = target.shape
    if len(idx) == 1:
        if c != 1 and r != 1:
            raise SpecError(f"a {r}×{c} matrix takes two indices, as in W[1, 2]", node.pos)
        i = idx[0]
        n = r if c == 1 else c
        if isinstance(n, sp.Integer) or isinstance(n, int):
            if not 1 <= i <= int(n):
                raise SpecError(f"index {i} is out of range 1..{n} (indexing is 1-based)", node.pos)
        return target[i - 1, 0] if c == 1 else target[0, i - 1]
    if len(idx) == 2:
        i, j = idx
        for k, n in ((i, r), (j, c)):
            if (isinstance(n, sp.Integer) or isinstance(n, int)) and not 1 <= k <= int(n):
                raise SpecError(f"index {k} is out of range 1..{n} (indexing is 1-based)", node.pos)
            if k < 1:
                raise SpecError(f"index {k} is out of range (indexing is 1-based)", node.pos)
        return target[i - 1, j - 1]
    raise SpecError("at most two indices", node.pos)
