"""Randomized variants of a spec that check themselves (docs/variants.md).

    from derive.variants import solve_variant, generate
    solution = solve_variant("exam.spec", seed=7)        # = derive solve exam.spec --seed 7
    batch = generate("exam.spec", n=100)                 # 100 distinct, fully derived variants
    batch.variants[0].solution.variant                   # seed, key, values, answers

`vary`/`require` are read by the model (derive.model.varying); this package draws,
derives, checks, deduplicates and writes the variants.
"""
from __future__ import annotations

from .batch import MAX_VARIANTS, Batch, Variant, generate
from .solve import check_seed, solve_variant

__all__ = ["MAX_VARIANTS", "Batch", "Variant", "check_seed", "generate", "solve_variant"]
