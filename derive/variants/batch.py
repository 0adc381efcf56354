"""Many variants: `generate(spec, n)` -> a `Batch` of n distinct, fully derived variants.

Variant seeds are tried in order from `start` (1 by default).  Each is solved as
`solve_variant` solves it (so `derive solve --seed S` prints the very variant the batch
holds for seed S); a seed whose answers are those of an earlier variant is a duplicate and
is merged into it (left out, listed in `duplicates`).  At most `MAX_SEEDS_PER_VARIANT * n`
seeds are tried; fewer distinct variants than asked is an error that says how many the
spec has.  Problems without `vary` are derived once and shared by every variant (their
derivation does not depend on the seed).  Every `limits` budget (time) applies to one
variant.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Sequence

from ..checkmemo import remembering
from ..errors import DeriveError
from ..limits import Limits, running
from ..steps import Solution
from .draws import Rejections
from .solve import answers, check_seed, read, solve_spec
from ..records import record

MAX_VARIANTS = 1000
MAX_SEEDS_PER_VARIANT = 3


@record
class Variant:
    """One accepted variant: its index (1-based, in the batch), seed and solution."""
    index: int
    seed: int
    solution: Solution

    @property
    def key(self) -> str:
        return self.solution.variant["key"]


@dataclass
class Batch:
    """The variants of a spec, with what was rejected on the way: `rejections` (draws a
    `require`, a definition or a goal refused), `duplicates` (seed, seed of the variant it
    repeats)."""
    spec_name: str
    variants: list[Variant] = field(default_factory=list)
    rejections: Rejections = field(default_factory=Rejections)
    duplicates: list[tuple[int, int]] = field(default_factory=list)


def check_count(n: object) -> int:
    """`-n`: a whole number from 1 to MAX_VARIANTS, else a DeriveError."""
    if isinstance(n, str) and n.strip().isdigit():
        n = int(n.strip())
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_VARIANTS:
        raise DeriveError(f"-n must be a whole number from 1 to {MAX_VARIANTS}, not {n!r}")
    return n


def generate(text_or_path: str | os.PathLike, n: int, filename: str | None = None, *, start: int = 1,
             limits: Limits | None = None, include_path: Sequence[str | os.PathLike] = ()) -> Batch:
    """n distinct variants of a spec, from seed `start` on (see the module docstring)."""
    n, start = check_count(n), check_seed(start)
    with running(limits):
        spec = read(text_or_path, filename, include_path=include_path)
    batch = Batch(spec.source.name if spec.source is not None else "<spec>")
    cache: dict = {}
    seen: dict[str, int] = {}
    last = start + MAX_SEEDS_PER_VARIANT * n
    seed = start
    with remembering():          # identical checks of different variants are made once
        while len(batch.variants) < n and seed < last:
            with running(limits):
                sol = solve_spec(spec, seed, batch.rejections, cache)
            signature = json.dumps(answers(sol), sort_keys=True)
            if signature in seen:
                batch.duplicates.append((seed, seen[signature]))
            else:
                seen[signature] = seed
                batch.variants.append(Variant(len(batch.variants) + 1, seed, sol))
            seed += 1
    if len(batch.variants) < n:
        raise DeriveError(f"asked for {n} variants, but seeds {start} to {last - 1} give only "
                          f"{len(batch.variants)} with different answers ({len(batch.duplicates)} duplicates): "
                          "the `vary` domains hold too few values (widen them, or ask for fewer)",
                          file=batch.spec_name)
    return batch
