"""Linear, Flatten, Embedding and Dropout: PyTorch's shape rules and trainable tensors.

In: the checked constructor arguments (see `args`).  Out: `Layer` subclasses: Linear
(y = x Wᵀ + b, values when weight and bias are given), Flatten (dimensions multiplied into
one), Embedding (indices -> vectors), Dropout (the identity at evaluation).
"""
from __future__ import annotations

import sympy as sp

from ... import unevaluated
from ...errors import SpecError, Unsupported
from ...model import functions as F
from ...model.expressions import Seq, is_tensor, show_shape
from ...model.problem import TensorShape
from ...sentence import Code, join, Math, Rel, say
from .arrays import from_array, to_array
from .args import REQUIRED, Param, boolean, optional_tensor, positive
from .base import Layer, ParamInfo, ShapeLine, Sym, eq, mismatch, passes_through
from .values import LayerApply, dims_of, show_dims
from ...steps import make_step


class Linear(Layer):
    """y = x Wᵀ + b: (*, in_features) -> (*, out_features); weight (out, in), bias (out)."""

    SIG = [Param("in_features", REQUIRED, positive), Param("out_features", REQUIRED, positive),
           Param("bias", True, lambda w, v, n: v if is_tensor(v) else boolean(w, v, n)),
           Param("weight", None, optional_tensor, kwonly=True)]
    ranks = ()

    def __init__(self, kind, args, pos):
        super().__init__(kind, args, pos)
        n_in, n_out = args["in_features"], args["out_features"]
        w, b = args["weight"], args["bias"]
        if w is not None and tuple(w.shape) != (n_out, n_in):
            raise SpecError(f"the weight of Linear({n_in}, {n_out}) must be {n_out}×{n_in} "
                            f"(out_features × in_features), not {w.shape[0]}×{w.shape[1]}", args.pos("weight", pos))
        if w is not None and b is True:
            raise SpecError("with a concrete weight, give the bias too (`bias = b`), or `bias = false`",
                            args.pos("weight", pos))
        if is_tensor(b) and tuple(b.shape) not in ((n_out, 1), (1, n_out)):
            raise SpecError(f"the bias of Linear({n_in}, {n_out}) must have {n_out} entries, not "
                            f"{show_shape(b)}", args.pos("bias", pos))

    @property
    def has_bias(self) -> bool:
        return self.args["bias"] is not False

    def params(self):
        n_in, n_out = self.args["in_features"], self.args["out_features"]
        i, o = Sym("n_in"), Sym("n_out")
        where = ((i, n_in), (o, n_out))
        out = [ParamInfo("weight", (n_out, n_in), sp.Mul(o, i, evaluate=False), where)]
        if self.has_bias:
            out.append(ParamInfo("bias", (n_out,), o, where))
        return out

    def input_dims(self, x, node):
        dims = dims_of(x, 1)
        if not dims:
            raise SpecError(f"`{self.name}` (Linear) needs at least a 1-D input", node.pos)
        if len(dims) == 1 and not isinstance(x, (LayerApply, TensorShape)) and self.args["in_features"] == 1 \
                and dims[0] != 1:     # an n×1 column fed to Linear(1, ·) is a batch of n
            return (dims[0], sp.Integer(1))
        return dims

    def out_dims(self, dims, node):
        n_in, n_out = self.args["in_features"], self.args["out_features"]
        if not eq(dims[-1], n_in):
            raise mismatch(self, "a last dimension (in_features) of", n_in, dims[-1], dims, node.args[0])
        out = dims[:-1] + (sp.Integer(n_out),)
        text = say("The last dimension, in_features = ", Math(sp.Integer(n_in)), ", becomes out_features = ",
                   Math(sp.Integer(n_out)))
        if len(dims) > 1:
            text = say(text, "; ", passes_through(dims[:-1]))
        return out, [ShapeLine(say(text, "."))]

    def values(self, x, dims, node):
        w, b = self.args["weight"], self.args["bias"]
        if w is None or not F.explicit(x):
            return None
        if not F.explicit(w) or (is_tensor(b) and not F.explicit(b)):
            return None
        bcol = (sp.ImmutableMatrix(b.reshape(b.shape[0] * b.shape[1], 1)) if is_tensor(b) else None)
        if len(dims) == 1:
            col = x if x.shape[1] == 1 else x.T
            out = w * col
            if bcol is not None:
                out = out + bcol
            return sp.ImmutableMatrix(out)
        out = x * w.T
        if bcol is not None:
            out = out + sp.ones(out.shape[0], 1) * bcol.T
        return sp.ImmutableMatrix(out)


class Flatten(Layer):
    """Flatten(start_dim=1, end_dim=-1): the dimensions start_dim..end_dim multiplied into one."""

    def _range(self, dims, node) -> tuple[int, int]:
        n = len(dims)
        st, en = self.args["start_dim"], self.args["end_dim"]
        lo, hi = (st + n if st < 0 else st), (en + n if en < 0 else en)
        for v, raw, nm in ((lo, st, "start_dim"), (hi, en, "end_dim")):
            if not 0 <= v < max(n, 1):
                raise SpecError(f"{nm} = {raw} is out of range for an input of shape {show_dims(dims)} "
                                f"({n} dimension{'s' if n != 1 else ''})", self.args.pos(nm, node.pos))
        if lo > hi:
            raise SpecError(f"start_dim ({st}) must not come after end_dim ({en})", self.args.pos("start_dim", node.pos))
        return lo, hi

    def out_dims(self, dims, node):
        lo, hi = self._range(dims, node)
        merged = sp.Mul(*dims[lo:hi + 1])
        out = tuple(dims[:lo]) + (merged,) + tuple(dims[hi + 1:])
        if hi > lo:
            prod = unevaluated.mul(*dims[lo:hi + 1])
            line = ShapeLine(say(f"Dimensions {lo} to {hi} (0-based, as in PyTorch) are multiplied into one."),
                             (prod, merged))
        else:
            line = ShapeLine(say("Only one dimension is flattened: the shape is unchanged."))
        return out, [line]

    def values(self, x, dims, node):
        out, _ = self.out_dims(dims, node)
        xa = to_array(x, len(dims))
        if xa is None or not all(sp.sympify(n, strict=True).is_Integer for n in out):
            return None
        return from_array(xa.reshape(tuple(int(n) for n in out)))


class Embedding(Layer):
    """Embedding(num_embeddings, embedding_dim): indices of shape (*) -> (*, embedding_dim)."""

    def params(self):
        n, d = self.args["num_embeddings"], self.args["embedding_dim"]
        N, D = Sym("n_emb"), Sym("d_emb")
        return [ParamInfo("weight", (n, d), sp.Mul(N, D, evaluate=False), ((N, n), (D, d)))]

    def out_dims(self, dims, node):
        d = self.args["embedding_dim"]
        return tuple(dims) + (sp.Integer(d),), [ShapeLine(say(
            f"Each index is replaced by its embedding vector of length {d}: a dimension of size {d} is appended."))]

    def table(self):
        """The given weight (num_embeddings × embedding_dim), or None."""
        w = self.args["weight"]
        n, d = self.args["num_embeddings"], self.args["embedding_dim"]
        if w is None:
            return None
        wa = to_array(w, 2)
        if wa is None or wa.shape != (n, d):
            raise SpecError(f"the weight of {self.who()} must be {n}×{d} (num_embeddings × embedding_dim)",
                            self.args.pos("weight", self.pos))
        if self.args["max_norm"] is not None:
            raise Unsupported("Embedding values with max_norm (which renormalises rows) are not implemented",
                              self.args.pos("max_norm", self.pos))
        return wa

    def values(self, x, dims, node):
        """Row i of the weight for every index i (0-based, as PyTorch)."""
        import numpy as np
        xa = to_array(x, 1) if is_tensor(x) or isinstance(x, Seq) else None
        if xa is None:
            return None
        n = self.args["num_embeddings"]
        for e in xa.reshape(-1):
            if not (e.is_Integer and 0 <= e < n):
                raise SpecError(f"an Embedding index must be a whole number in 0..{n - 1} (PyTorch indexes "
                                f"from 0), not {e}", node.args[0].pos if node is not None else self.pos)
        wa = self.table()
        if wa is None:
            return None
        return from_array(np.stack([wa[int(e)] for e in xa.reshape(-1)]).reshape(xa.reshape(dims).shape + (wa.shape[1],)))

    def explain(self, name, x, dims):
        """Each index selects its row of the weight: one checked claim per index."""
        wa, xa = self.table(), to_array(x, 1)
        if wa is None or xa is None:
            return []
        E = sp.MatrixSymbol("E", *wa.shape)
        where = {E: sp.ImmutableMatrix(wa.tolist())}
        claims = [say(Math(i), " → ", Rel(sp.ImmutableMatrix(E[int(i), :]), "=",
                                          sp.ImmutableMatrix(1, wa.shape[1], list(wa[int(i)]))))
                  for i in dict.fromkeys(xa.reshape(-1))]
        pad = self.args["padding_idx"]
        note = say(" ", Code(f"padding_idx = {pad}"), " changes no value of the forward pass (it keeps that row "
                   "out of the gradient; PyTorch zeroes the row only when it initialises the weight at random).") \
            if pad is not None else say()
        text = say("Each index i selects row i + 1 of the weight E (PyTorch counts indices from 0): ", join(claims, "; "),
                   ".", note)
        return [make_step("lookup", text, where=where)]


class Dropout(Layer):
    """Dropout(p): no parameters; at evaluation it is the identity (shape and values kept)."""

    def out_dims(self, dims, node):
        return tuple(dims), [ShapeLine(say("Dropout keeps the shape (and is the identity at evaluation)."))]

    def values(self, x, dims, node):
        return x if to_array(x) is not None else None

