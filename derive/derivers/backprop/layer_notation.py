"""The notation of backprop through convolutions, pools, Flatten and Dropout, as sympy objects.

In: tensors as shown in steps: a matrix for one or two dimensions, a Tuple of matrices for
three (a Tuple of Tuples for four), or symbols bound to them in a step's `where`.
Out: display operators that also compute, so a chain `∂L/∂W = X ⋆ ∂L/∂Y = (numbers) =
(result)` is checked by evaluating them (`doit` on explicit arguments):
`Corr` (X ⋆ G: the padded input correlated with the upstream gradient, a conv weight's
gradient), `FullConv` (G ∗ W: the full convolution, the transposed convolution, an input's
gradient), `MaxRoute`, `AvgSpread` (pool gradients), `Reshape`, `Hadamard` (⊙),
`ActPrime` (relu′(Z) entrywise), `ChannelSum` (a bias gradient), `EntryOf` (one entry),
`LayerOf` (a layer applied, for the forward pass).  `nd_display` / `nd_array` convert
between arrays and the shown values.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

from ...model import functions as F
from ...notation import mathml_el as _el
from ..layers import grads
from ..layers.arrays import from_array, to_array
from ..layers.grads import zeros

if TYPE_CHECKING:  # pragma: no cover - numpy is imported where values are computed (it costs 0.1 s)
    import numpy as np


class TensorList(sp.Tuple):
    """A tensor of three or four dimensions as shown: (M₁, M₂, …), its matrices (or lists of
    them) in order; a list of one is (M₁), without Python's trailing comma."""

    def _latex(self, printer) -> str:
        return r"\left(%s\right)" % ", ".join(printer._print(a) for a in self.args)

    def _sympystr(self, printer) -> str:
        return "(%s)" % ", ".join(printer._print(a) for a in self.args)

    def _pretty(self, printer) -> prettyForm:
        forms = [printer._print(a) for a in self.args]
        out = forms[0]
        for f in forms[1:]:
            out = prettyForm(*prettyForm(*out.right(", ")).right(f))
        return prettyForm(*out.parens())

    def _mathml_presentation(self, printer) -> Any:
        row = [_el(printer, "mo", text="(")]
        for k, a in enumerate(self.args):
            row += ([_el(printer, "mo", text=",")] if k else []) + [printer._print(a)]
        return _el(printer, "mrow", *row, _el(printer, "mo", text=")"))


def nd_display(a: np.ndarray) -> Any:
    """An array as shown: a number, a column (1-D), a matrix (2-D), TensorLists of matrices."""
    if a.ndim <= 2:
        return from_array(a)
    return TensorList(*[nd_display(x) for x in a])


def nd_array(v: Any) -> np.ndarray | None:
    """The array of an explicit shown value (None when it still holds symbols)."""
    import numpy as np
    if isinstance(v, sp.Tuple):
        items = [nd_array(x) for x in v]
        return None if any(i is None for i in items) else np.stack(items)
    if isinstance(v, sp.MatrixBase):
        if v.free_symbols:
            return None
        out = zeros(v.shape)
        for i in range(v.shape[0]):
            for j in range(v.shape[1]):
                out[i, j] = v[i, j]
        return out
    if isinstance(v, sp.Basic) and v.is_number:
        return np.array(v, dtype=object)
    return None


def _deep(x: Any, **hints) -> Any:
    return x.doit(**hints) if isinstance(x, sp.Basic) else x


def _ints(t: Any) -> tuple:
    return tuple(int(v) for v in t)


class Op(sp.Expr):
    """A display operator over tensors: the first `shown` args are printed, the rest are its
    settings (Tuples of ints); `doit` computes it when its tensors are explicit."""

    shown = 2
    infix: str | None = None        # the operator sign (⋆, ∗, ⊙), else printed as name(args)
    head_latex = r"\operatorname{op}"
    word = "op"

    def doit(self, **hints):
        args = [_deep(a, **hints) for a in self.args]
        arrays = [nd_array(a) for a in args[:self.shown]]
        if any(a is None for a in arrays):
            return self.func(*args)
        return nd_display(self.compute(arrays, args[self.shown:]))

    def compute(self, arrays: list, settings: list) -> np.ndarray:
        raise NotImplementedError

    def _side(self, printer, x, fmt):
        s = printer._print(x)
        if self.infix and (isinstance(x, (sp.Add, sp.MatAdd)) or isinstance(x, Op) and x.infix):
            return fmt(s)
        return s

    def _latex(self, printer) -> str:
        parts = [self._side(printer, a, lambda s: r"\left(%s\right)" % s) for a in self.args[:self.shown]]
        if self.infix:
            return (" %s " % self.head_latex).join(parts)
        return r"%s\left(%s\right)" % (self.head_latex, ", ".join(parts))

    def _sympystr(self, printer) -> str:
        parts = [self._side(printer, a, lambda s: "(%s)" % s) for a in self.args[:self.shown]]
        if self.infix:
            return (" %s " % self.infix).join(parts)
        return "%s(%s)" % (self.word, ", ".join(parts))

    def _pretty(self, printer) -> prettyForm:
        forms = [printer._print(a) for a in self.args[:self.shown]]
        forms = [prettyForm(*f.parens()) if self.infix and (isinstance(a, (sp.Add, sp.MatAdd))
                                                            or isinstance(a, Op) and a.infix) else f
                 for f, a in zip(forms, self.args)]
        if self.infix:
            out = forms[0]
            for f in forms[1:]:
                out = prettyForm(*prettyForm(*out.right(f" {self.infix} ")).right(f))
            return out
        inner = forms[0]
        for f in forms[1:]:
            inner = prettyForm(*prettyForm(*inner.right(", ")).right(f))
        return prettyForm(*prettyForm(*inner.parens()).left(self.word))

    def _mathml_presentation(self, printer) -> Any:
        items = [printer._print(a) for a in self.args[:self.shown]]
        if self.infix:
            row = [items[0]]
            for it in items[1:]:
                row += [_el(printer, "mo", text=self.infix), it]
            return _el(printer, "mrow", *row)
        row = [_el(printer, "mi", text=self.word), _el(printer, "mo", text="(")]
        for k, it in enumerate(items):
            row += ([_el(printer, "mo", text=",")] if k else []) + [it]
        return _el(printer, "mrow", *row, _el(printer, "mo", text=")"))


def conv_settings(s, pads, d, groups, extra) -> list:
    """The settings Tuples of a convolution operator: stride, padding (left, right per dim),
    dilation, groups, then `extra` (the kernel size or the input size)."""
    flat_pads = [v for lr in pads for v in lr]
    return [sp.Tuple(*s), sp.Tuple(*flat_pads), sp.Tuple(*d), sp.Integer(groups), sp.Tuple(*extra)]


def _conv_args(settings: list):
    s, pads, d, g, extra = settings
    p = _ints(pads)
    return _ints(s), tuple(zip(p[::2], p[1::2])), _ints(d), int(g), _ints(extra)


class Corr(Op):
    """X ⋆ G: the cross-correlation of the (zero-padded) input X with the upstream gradient G,
    which is ∂L/∂W of a convolution (batched: summed over the samples)."""

    infix, head_latex, word = "⋆", r"\star", "corr"

    def compute(self, arrays, settings):
        x, g = arrays
        s, pads, d, groups, k = _conv_args(settings)
        nd = len(s)
        if x.ndim == nd + 2:
            return sum((grads.weight_correlation(xi, gi, s, pads, d, groups, k) for xi, gi in zip(x, g)),
                       start=zeros((g.shape[1], x.shape[1] // groups) + k))
        return grads.weight_correlation(x, g, s, pads, d, groups, k)


class FullConv(Op):
    """G ∗ W: the full convolution of the upstream gradient G (stride-dilated) with the
    kernel W, i.e. G zero-padded correlated with rot180(W), cropped by the padding: ∂L/∂X of
    a convolution (the transposed convolution)."""

    infix, head_latex, word = "∗", r"\ast", "fullconv"

    def compute(self, arrays, settings):
        import numpy as np
        g, w = arrays
        s, pads, d, groups, size = _conv_args(settings)
        nd = len(s)
        if g.ndim == nd + 2:
            return np.stack([grads.input_full_convolution(gi, w, s, pads, d, groups, size) for gi in g])
        return grads.input_full_convolution(g, w, s, pads, d, groups, size)


class ChannelSum(Op):
    """Σ over every dimension but the channel of G: a convolution bias's gradient."""

    shown, head_latex, word = 1, r"\operatorname{sum}_{c}", "sum_c"

    def compute(self, arrays, settings):
        import numpy as np
        (g,) = arrays
        nd = int(settings[0])
        if g.ndim == nd + 2:
            g = np.moveaxis(g, 0, 1)
        return np.array([sp.Add(*g[c].reshape(-1)) for c in range(g.shape[0])], dtype=object)


class MaxRoute(Op):
    """route_max(X, G): each window's upstream gradient to its first maximum (0 elsewhere)."""

    head_latex, word = r"\operatorname{route}_{\max}", "route_max"

    def compute(self, arrays, settings):
        x, g = arrays
        k, s, p, d = (_ints(t) for t in settings)
        return grads.max_route(x, g, k, s, p, d)


class AvgSpread(Op):
    """spread_avg(G): each window's upstream gradient shared evenly by the entries it averages."""

    shown, head_latex, word = 1, r"\operatorname{spread}_{\mathrm{avg}}", "spread_avg"

    def compute(self, arrays, settings):
        (g,) = arrays
        shape, k, s, p, flags = (_ints(t) for t in settings)
        include, divisor = bool(flags[0]), (flags[1] or None)
        return grads.avg_spread(shape, g, k, s, p, count_include_pad=include, divisor=divisor)


class Reshape(Op):
    """reshape(G, shape): the same entries in the input's shape (Flatten's gradient)."""

    shown, head_latex, word = 1, r"\operatorname{reshape}", "reshape"

    def compute(self, arrays, settings):
        return arrays[0].reshape(_ints(settings[0]))


class Hadamard(Op):
    """A ⊙ B: the entrywise product of two tensors of one shape."""

    infix, head_latex, word = "⊙", r"\odot", "hadamard"

    def compute(self, arrays, settings):
        a, b = arrays
        return a.reshape(b.shape) * b


class ActPrime(Op):
    """f′(Z) entrywise, for an activation f (relu, leaky_relu, sigmoid, tanh)."""

    shown = 1

    @property
    def word(self):
        return f"{self.args[1].name}′"

    @property
    def head_latex(self):
        return r"\operatorname{%s}'" % self.args[1].name.replace("_", r"\_")

    def compute(self, arrays, settings):
        import numpy as np
        (z,) = arrays
        act, slope = settings[0].name, settings[1]
        fn = {"relu": lambda t: sp.Integer(1) if t > 0 else sp.Integer(0),
              "leaky_relu": lambda t: sp.Integer(1) if t > 0 else slope,
              "sigmoid": lambda t: F.sigmoid(t) * (1 - F.sigmoid(t)),
              "tanh": lambda t: 1 - sp.tanh(t) ** 2}[act]
        out = zeros(z.shape)
        for i in np.ndindex(z.shape):
            out[i] = fn(z[i])
        return out


class EntryOf(Op):
    """(T)_{i,j,…}: one entry, or the sub-tensor at an index prefix, of a tensor (0-based
    indices kept, 1-based shown)."""

    shown = 1

    def compute(self, arrays, settings):
        import numpy as np
        return np.asarray(arrays[0][_ints(settings[0])], dtype=object)

    def _idx(self) -> str:
        return ",".join(str(int(i) + 1) for i in self.args[1])

    def _latex(self, printer) -> str:
        return r"\left(%s\right)_{%s}" % (printer._print(self.args[0]), self._idx())

    def _sympystr(self, printer) -> str:
        return "(%s)[%s]" % (printer._print(self.args[0]), self._idx())

    def _pretty(self, printer) -> prettyForm:
        return prettyForm(*prettyForm(*printer._print(self.args[0]).parens()).right("[" + self._idx() + "]"))

    def _mathml_presentation(self, printer) -> Any:
        inner = _el(printer, "mrow", _el(printer, "mo", text="("), printer._print(self.args[0]),
                    _el(printer, "mo", text=")"))
        return _el(printer, "msub", inner, _el(printer, "mn", text=self._idx()))


class Plus(Op):
    """A + B for tensors shown as Tuples too (contributions of several paths)."""

    infix, head_latex, word = "+", "+", "plus"

    def compute(self, arrays, settings):
        a, b = arrays
        return a.reshape(b.shape) + b


class Scaled(Op):
    """a·T for a scalar a and a tensor T shown as a Tuple too."""

    shown = 2

    def doit(self, **hints):
        a, t = (_deep(x, **hints) for x in self.args)
        arr = nd_array(t)
        if arr is None or not (isinstance(a, sp.Basic) and a.is_number):
            return self.func(a, t)
        return nd_display(arr * a)

    def _latex(self, printer) -> str:
        return "%s %s" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def _sympystr(self, printer) -> str:
        return "%s*%s" % (printer._print(self.args[0]), printer._print(self.args[1]))

    def _pretty(self, printer) -> prettyForm:
        return prettyForm(*printer._print(self.args[0]).right("⋅", printer._print(self.args[1])))

    def _mathml_presentation(self, printer) -> Any:
        return _el(printer, "mrow", printer._print(self.args[0]), _el(printer, "mo", text="⁢"),
                   printer._print(self.args[1]))


class Minus(Op):
    """A − B for tensors shown as Tuples too (an update against the gradient)."""

    infix, head_latex, word = "−", "-", "minus"

    def compute(self, arrays, settings):
        a, b = arrays
        return a - b.reshape(a.shape)


class Act(Op):
    """f(Z) entrywise, for an activation f (the forward pass of a tensor of rank 3 or 4)."""

    shown = 1

    @property
    def word(self):
        return self.args[1].name

    @property
    def head_latex(self):
        return r"\operatorname{%s}" % self.args[1].name.replace("_", r"\_")

    def compute(self, arrays, settings):
        import numpy as np
        (z,) = arrays
        act, slope = settings[0].name, settings[1]
        fn = {"relu": F.relu, "leaky_relu": lambda t: F.leaky_relu(t, slope), "sigmoid": F.sigmoid,
              "tanh": sp.tanh}[act]
        out = zeros(z.shape)
        for i in np.ndindex(z.shape):
            out[i] = fn(z[i])
        return out


class LayerOf(Op):
    """name(X): a layer applied to X (the forward pass), computed by the layer itself."""

    shown = 1

    @property
    def word(self):
        return self.args[1].layer_name

    @property
    def head_latex(self):
        return r"\operatorname{%s}" % self.args[1].layer_name.replace("_", r"\_")

    def compute(self, arrays, settings):
        ref, dims, out_dims = settings
        x = from_array(arrays[0].reshape(_ints(dims)))
        out = ref.layer.values(x, _ints(dims), None)
        return to_array(out, 1).reshape(_ints(out_dims))
