"""Newton's method in decimals keeps the digits it shows (derive.derivers.optimize.rules).

f(w) = √(1 + w²) has f″(w) = 1/√(1+w²) − w²/(1+w²)^{3/2} = (1+w²)^{-3/2}: written the first
way, the two terms cancel to nothing in 15-digit arithmetic once |w| ≈ 10⁸, and derive used
to report "the Hessian is singular" there.  The oracle is the closed form of the Newton step,
d = f′/f″ = w (1 + w²), at 100 digits."""
from __future__ import annotations

import mpmath
import sympy as sp

import derive
from derive.derivers.optimize.display import DIGITS
from derive.derivers.optimize.multi import Multi
from derive.derivers.optimize.rules import _Decimal, _exact

SPEC = '''problem "n" {
  f(w) = sqrt(1 + w^2)
  (a) find newton(f, start = 2, steps = 8)
}
'''


def test_a_newton_run_whose_hessian_cancels_diverges_and_does_not_stop():
    (result,) = derive.solve(SPEC).results
    assert result.error is None, result.error
    assert "diverges" in result.answer.text


def _one_dimensional() -> Multi:
    w = sp.Symbol("w", real=True)
    body = sp.sqrt(1 + w ** 2)
    d1 = sp.diff(body, w)
    return Multi("f", (w,), body, sp.ImmutableMatrix([d1]), sp.ImmutableMatrix([[sp.diff(d1, w)]]), "w", False)


def test_the_decimal_newton_step_is_right_where_the_hessian_cancels_at_any_precision():
    ar = _Decimal(_one_dimensional())
    for start in ("1e8", "-3.5e12", "1e20"):
        with mpmath.workdps(DIGITS):
            w = mpmath.mpf(start)
            (d,) = ar.newton_dir([w], ar.grad([w]))
        with mpmath.workdps(100):
            want = mpmath.mpf(start) * (1 + mpmath.mpf(start) ** 2)
            assert abs(d - want) <= abs(want) * mpmath.mpf(10) ** (5 - DIGITS), start


def test_exact_reads_a_decimal_as_the_binary_number_it_is():
    for v in ("-3", "0.1", "-2.5e24", "0"):
        x = mpmath.mpf(v)
        with mpmath.workdps(60):
            assert mpmath.mpf(_exact(x).p) / _exact(x).q == x


ADAM = '''problem "a" {
  vector x : (2)
  let A = [[3, 1], [1, 2]]
  f(x) = 1/2 * (x @ (A @ x))
  (a) find adam(f, start = [1, 1], lr = 0.1, steps = 2)
}
'''


def _adam_at_60_digits() -> list:
    """PyTorch's Adam (defaults) on ½xᵀAx from (1, 1), lr 0.1, written out in mpmath at 60 digits."""
    with mpmath.workdps(60):
        A, x = mpmath.matrix([[3, 1], [1, 2]]), [mpmath.mpf(1), mpmath.mpf(1)]
        m, v, out = [0, 0], [0, 0], []
        b1, b2, lr, eps = mpmath.mpf("0.9"), mpmath.mpf("0.999"), mpmath.mpf("0.1"), mpmath.mpf("1e-8")
        for t in (1, 2):
            g = A * mpmath.matrix(x)
            m = [b1 * m[i] + (1 - b1) * g[i] for i in range(2)]
            v = [b2 * v[i] + (1 - b2) * g[i] ** 2 for i in range(2)]
            x = [x[i] - lr * (m[i] / (1 - b1 ** t)) / (mpmath.sqrt(v[i] / (1 - b2 ** t)) + eps) for i in range(2)]
            out.append(list(x))
        return out


def test_decimal_iterates_carry_the_digits_they_claim():
    """The n-D decimal iterates are worked at DIGITS (30) digits, not mpmath's default 15, so
    the 15 significant digits an answer keeps are the true ones, rounded: every entry is
    within half a unit of its 15th digit of a 60-digit run (at 15 digits the second Adam
    iterate came out 0.8004122281814 and 0.800412228351772, both off by about 10⁻¹⁵)."""
    (result,) = derive.solve(ADAM).results
    for col, want in zip(result.answer.expr, _adam_at_60_digits()):
        for a, b in zip(col, want):
            with mpmath.workdps(60):
                half_unit = mpmath.mpf(10) ** (mpmath.floor(mpmath.log10(abs(b))) - 14) / 2
                assert abs(mpmath.mpf(str(a)) - b) <= half_unit, (a, b)
