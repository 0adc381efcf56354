"""`--format python`: a solution as one self-contained runnable answer key (NumPy only).

In:  a Solution (and a view).  Out: Python source.  For each goal that `pykey.plan` can
check, a function draws the inputs (a seeded generator: the same numbers on every run),
computes the closed form from the answer's NumPy source and compares it with central
finite differences of the problem's own definition (or, for a value, with the definition
evaluated); `main()` prints one line per goal (`ID ok|FAIL max error E`, `ID key VALUE`,
`ID skip REASON`) and returns 1 when any check fails.

Nothing from the spec is code in the script: its names are printed by `numpy_text` from
sympy objects (identifiers only), every other piece of spec text (titles, goals, ids,
answer texts) is a comment escaped to one printable line (`comment`) or an ASCII string
literal (`literal`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..version import __version__
from .pykey import Check, Unchecked, plan

if TYPE_CHECKING:
    from ..steps import Solution

HEADER = '''\
#!/usr/bin/env python3
"""A runnable answer key written by derive {version} (`derive solve SPEC --format python`).

For each goal with a closed form it draws random inputs of the declared shapes (a seeded
generator, so every run draws the same numbers), computes the closed form and compares it
with central finite differences of the problem's own definition: gradients and Jacobians
entry by entry, Hessians by second differences; a value (an expression, a number) is
compared with the definition evaluated at the same inputs.  Inputs outside a function's
domain (a log of a negative number) are drawn again, positive.

It prints one line per goal: `ID ok|FAIL max error E` (E is the largest difference
relative to the largest entry, at least 1), `ID key VALUE` for a numeric answer it does not
recompute, `ID skip REASON` for a goal it cannot check; the exit code is 1 if any check
fails, else 0.  Needs only NumPy.
"""
import sys

import numpy as np
'''

HELPERS = '''

def _draw(rng, shape, positive, square=False):
    """Random entries: standard normal, or in [0.5, 2) when `positive`; a square matrix
    is the identity plus a small random matrix (well conditioned, det > 0)."""
    x = rng.uniform(0.5, 2.0, shape) if positive else rng.standard_normal(shape)
    if square:
        x = np.eye(shape[0]) + x * (0.3 / np.sqrt(shape[0]))
    return np.asarray(x, dtype=float)


def _grad(f, x, h=1e-5):
    """Central differences of f at x: an array of shape f(x).shape + x.shape."""
    x = np.array(x, dtype=float)
    f0 = np.asarray(f(x), dtype=float)
    shape = () if f0.size == 1 else f0.shape       # a 1x1 result is a scalar
    out = np.empty(shape + x.shape)
    for i in np.ndindex(x.shape):
        step = h * max(1.0, abs(float(x[i])))
        e = np.zeros_like(x)
        e[i] = step
        diff = np.asarray(f(x + e), dtype=float) - np.asarray(f(x - e), dtype=float)
        out[(Ellipsis,) + i] = diff.reshape(shape) / (2 * step)
    return out


def _hess(f, x, h=1e-4):
    """Second central differences of a scalar f at x: the (size, size) Hessian."""
    x = np.array(x, dtype=float)
    n = x.size

    def at(i, a, j, b):
        v = x.reshape(-1).copy()
        v[i] += a * h
        v[j] += b * h
        return np.asarray(f(v.reshape(x.shape)), dtype=float).item()
    out = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            out[i, j] = out[j, i] = (at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1)
                                     + at(i, -1, j, -1)) / (4 * h * h)
    return out


def _sgd(f, x, steps, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    """The iterates of torch.optim.SGD on f from x (gradients by central differences)."""
    x, buf, out = np.array(x, dtype=float), None, []
    for _ in range(steps):
        g = _grad(f, x) + weight_decay * x
        if momentum:
            buf = g if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        x = x - lr * g
        out.append(x)
    return np.array(out)


def _adam(f, x, steps, lr=0.001, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """The iterates of torch.optim.Adam (bias-corrected moments)."""
    x, b1, b2, out = np.array(x, dtype=float), betas[0], betas[1], []
    m, v = np.zeros_like(x), np.zeros_like(x)
    for t in range(1, steps + 1):
        g = _grad(f, x) + weight_decay * x
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        x = x - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        out.append(x)
    return np.array(out)


def _rmsprop(f, x, steps, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0):
    """The iterates of torch.optim.RMSprop (no momentum, not centred)."""
    x, v, out = np.array(x, dtype=float), None, []
    for _ in range(steps):
        g = _grad(f, x) + weight_decay * x
        v = (1 - alpha) * g * g if v is None else alpha * v + (1 - alpha) * g * g
        x = x - lr * g / (np.sqrt(v) + eps)
        out.append(x)
    return np.array(out)


def _adagrad(f, x, steps, lr=0.01, lr_decay=0.0, eps=1e-10, weight_decay=0.0):
    """The iterates of torch.optim.Adagrad (initial accumulator 0)."""
    x, acc, out = np.array(x, dtype=float), None, []
    for t in range(1, steps + 1):
        g = _grad(f, x) + weight_decay * x
        acc = g * g if acc is None else acc + g * g
        x = x - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(acc) + eps)
        out.append(x)
    return np.array(out)


def _newton(f, x, steps):
    """The iterates of Newton's method x - H^-1 grad f (derivatives by finite differences)."""
    x, out = np.array(x, dtype=float), []
    for _ in range(steps):
        step = np.linalg.solve(_hess(f, x), _grad(f, x).reshape(-1))
        x = x - step.reshape(x.shape)
        out.append(x)
    return np.array(out)


def _error(closed, ref):
    """The largest entry of |closed - ref| over max(1, the largest |ref|); nan if not finite."""
    closed, ref = np.asarray(closed, dtype=float), np.asarray(ref, dtype=float)
    if closed.size != ref.size:
        raise ValueError(f"the closed form has shape {closed.shape}, the definition {ref.shape}")
    closed = closed.reshape(ref.shape)
    if not (np.all(np.isfinite(closed)) and np.all(np.isfinite(ref))):
        return float("nan")
    scale = max(1.0, float(np.max(np.abs(ref), initial=0.0)))
    return float(np.max(np.abs(closed - ref), initial=0.0)) / scale


def _run(ident, check, tol):
    """One check, printed; whether it passed."""
    with np.errstate(all="ignore"):
        try:
            err = _error(*check(False))
            if not np.isfinite(err):          # outside the domain: positive inputs
                err = _error(*check(True))
        except Exception as exc:              # a singular matrix, a shape that does not fit
            print(f"{ident:<10} FAIL  {type(exc).__name__}: {exc}")
            return False
    ok = bool(err <= tol)
    note = "" if np.isfinite(err) else " (no finite value at the drawn inputs)"
    print(f"{ident:<10} {'ok  ' if ok else 'FAIL'}  max error {err:.2e}{note}")
    return ok
'''

MAIN = '''


def main():
    failed = 0
    for ident, check, tol, note in _GOALS:
        if check is not None:
            failed += not _run(ident, check, tol)
        else:
            print(f"{ident:<10} {note}")
    checked = sum(check is not None for _, check, _, _ in _GOALS)
    print(f"{checked - failed} of {checked} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
'''


def comment(text: str) -> str:
    """`text` as the body of one comment line: every character that is not printable
    (newlines, carriage returns, NUL, U+2028, ...) written as its \\uXXXX escape, so that
    nothing in it can end the comment."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in str(text))


def literal(text: str) -> str:
    """`text` as an ASCII Python string literal (its value unchanged)."""
    return ascii(str(text))


def _check_function(c: Check, name: str) -> list[str]:
    """`def NAME(_pos)`: the setup, `_f` when the check has a function, then
    `return _closed, _ref`."""
    lines = [f"def {name}(_pos):"]
    if any("_rng" in s for s in c.setup):
        lines.append(f"    _rng = np.random.default_rng({c.seed})")
    lines += [f"    {s}" for s in c.setup]
    if c.params is not None:
        lines += [""] * (len(lines) > 1) + [f"    def _f({c.params}):", *(f"        {u}" for u in c.unpack),
                  f"        return {c.function}", ""]
    lines += [f"    {b}" for b in c.before]
    lines += [f"    _closed = {c.closed}", f"    _ref = {c.reference}", "    return _closed, _ref"]
    return lines


_WHAT = {"grad": "the closed form against central differences of the definition",
         "hessian": "the closed form against second central differences of the definition",
         "value": "the answer against the definition evaluated at the same inputs",
         "residual": "that A @ answer equals b",
         "eigen": "the answer against NumPy's eigenvalues of the matrix, sorted",
         "stationary": "that the gradient of the definition (central differences) vanishes at the answer",
         "iterates": "the iterates against torch.optim's rule, run with central-difference gradients",
         "newton": "the iterates against x - H^-1 grad f run with finite-difference derivatives"}


def _goal_lines(item: Check | Unchecked, k: int) -> tuple[list[str], str]:
    """The comment and function of one goal, and its entry in _GOALS."""
    head = f"# {comment(item.id)}  {comment(item.goal)}".rstrip()
    if isinstance(item, Check):
        name = f"_check_{k}"
        exact = not item.setup and item.params is None
        what = "the answer against the definition's value (exact, from derive)" if exact else _WHAT[item.kind]
        return ([head, f"#   checks {what}", *_check_function(item, name)],
                f"({literal(item.id)}, {name}, {item.tolerance!r}, None)")
    if item.key is not None:
        lines = [head, f"#   not recomputed: {comment(item.reason)}; its key value is printed"]
        return lines, f"({literal(item.id)}, None, None, {literal('key   ' + item.key)})"
    lines = [head, f"#   not checked: {comment(item.reason)}"]
    return lines, f"({literal(item.id)}, None, None, {literal('skip  ' + item.reason)})"


def _file_name(source: str) -> str:
    """The spec's file name without its folder: the script is the same wherever the exam
    is checked out (and names no local path)."""
    return source.replace("\\", "/").rsplit("/", 1)[-1] if source else "<spec>"


def python_key(solution: Solution, view: str = "solutions") -> str:
    """The script (see the module docstring); the paper view has no answers, so its script
    checks nothing."""
    out = [HEADER.format(version=__version__).rstrip("\n")]
    if solution.title:
        out.insert(1, f"# {comment(solution.title)}")
    out.append(f"# from {comment(_file_name(solution.source))}")
    out.append(HELPERS.rstrip("\n"))
    entries: list[str] = []
    if view != "paper":
        k = 0
        for p, items in plan(solution):
            out += ["", "", f"# ---- {p.number or ''}. {comment(p.title)}".replace("----  ", "---- ")]
            out += [f"# {comment(line)}".rstrip() for line in p.text.split("\n") if p.text.strip()]
            for item in items:
                k += 1
                lines, entry = _goal_lines(item, k)
                out += ["", *lines]
                entries.append(entry)
    else:
        out += ["", "", "# the paper view has no answers: nothing to check"]
    out += ["", "", "_GOALS = [", *(f"    {e}," for e in entries), "]"]
    return "\n".join(out) + MAIN
