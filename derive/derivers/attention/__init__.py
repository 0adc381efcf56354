"""Self-attention: the `attention` and `multihead_attention` builtins, their worked
numeric steps, and closed-form gradients through softmax attention.

In:  `attention(X, W_Q, W_K, W_V, softmax = true, scale = true)` with X a list of token
     column vectors x_1 … x_n; `multihead_attention(X, [[W_Q1, W_K1, W_V1], ...], W_O,
     softmax = ..., scale = ...)`.
Out: the list (Seq) of outputs y_i = Σ_j a_ij W_V x_j with a_i = softmax(s_i) and
     s_ij = q_iᵀk_j / √d_k (q_i = W_Q x_i, k_j = W_K x_j, d_k the key size); without
     softmax a_ij = s_ij, without scale the divisor is 1.  Multi-head concatenates each
     token's head outputs and applies W_O.  Exact when the inputs are numbers, matrix
     expressions when they are symbols.

Modules: `compute` (the computation and the builtins), `forward` (the steps of `find Y`
and the defining sentence), `backward` (the backward pass, every local gradient checked),
`grad` (∂L/∂x for given or written-out losses), `notation` (display objects).
"""
from __future__ import annotations

from .compute import Attention, compute, multihead, tokens_of
from .forward import describe_call, explain_attention, explain_multihead
from .grad import attention_call_of, backprop, explicit_grad, given_grad

__all__ = ["Attention", "attention_call_of", "backprop", "compute", "describe_call", "explain_attention",
           "explain_multihead", "explicit_grad", "given_grad", "multihead", "tokens_of"]
