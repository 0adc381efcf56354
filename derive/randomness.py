"""Reproducible random draws for variants: whole numbers from SHA-256, never Python's
`hash()` or `random` (whose algorithms may change between Python versions).

A `Stream` is named by its key parts (the variant's seed, the problem, the attempt, the
`vary`'s name); `integer(n)` returns the next whole number in [0, n) of that stream, by
rejection sampling over SHA-256 blocks, so every value is equally likely.  The same key
gives the same numbers on every machine, Python version and PYTHONHASHSEED.
"""
from __future__ import annotations

import hashlib

MAX_SPAN = 10 ** 30      # the most values one draw chooses among


def digest(*parts: object) -> bytes:
    """SHA-256 of the parts, each written with str() and separated by a unit separator."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


class Stream:
    """An endless sequence of whole numbers determined by its key parts."""

    def __init__(self, *parts: object):
        self.key = digest("derive-stream", *parts)
        self.counter = 0

    def _block(self) -> int:
        self.counter += 1
        return int.from_bytes(hashlib.sha256(self.key + self.counter.to_bytes(8, "big")).digest(), "big")

    def integer(self, n: int) -> int:
        """A whole number in [0, n), uniformly (1 <= n <= MAX_SPAN)."""
        if not 1 <= n <= MAX_SPAN:
            raise ValueError(f"a draw among {n} values")
        bound = (1 << 256) - (1 << 256) % n      # accept below a multiple of n: no bias
        while True:
            x = self._block()
            if x < bound:
                return x % n


def short_key(*parts: object, length: int = 8) -> str:
    """A short lower-case hexadecimal name for the parts (a variant's key)."""
    return digest("derive-key", *parts).hex()[:length]
