"""Did-you-mean hints for misspelt names.

In: a name and the names it could have meant.  Out: `suggest`, "; did you mean `x`?" or "".
"""
from __future__ import annotations


def suggest(name: str, candidates) -> str:
    """The closest candidate to `name` as a hint, or "" when none is close."""
    import difflib  # (lazy: only when something is misspelt, not on every run's import path)
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""
