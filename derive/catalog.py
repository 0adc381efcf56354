"""What a spec can ask for, read from the registries: goals, builtins, layers, derivations.

`entries()` gives `(section, signature, summary)` rows; `listing()` the text that
`derive goals` prints.  Nothing here is a hand-written list: goals come from
`derive.derivers.goals.GOALS`, builtins from `derive.model.builtins.BUILTINS`,
layer signatures from `derive.derivers.layers.LAYERS` (PyTorch's parameter names and
defaults) and named derivations from `derive.derivations.DERIVATIONS`, after every family
has registered (`load_all`).

Signatures: positional arguments without names in the registry are `a, b, c, ...`;
optional ones are in brackets, `...` is any number more, keywords follow as `key=`.
"""
from __future__ import annotations

from typing import Any

SECTIONS = ("goals", "builtins", "layers", "derivations")
_LETTERS = "abcdefgh"


def _positional(nargs: tuple[int, int]) -> list[str]:
    lo, hi = nargs
    names = [_LETTERS[i] for i in range(min(lo, len(_LETTERS)))]
    if hi > len(_LETTERS):                    # "any number": (1, 99) -> a, ...
        return names + ["..."]
    optional = [_LETTERS[i] for i in range(lo, hi)]
    if optional:
        opt = ", ".join(optional)
        names.append(f"[{opt}]" if not names else f"[, {opt}]")
    return names


def signature(name: str, nargs: tuple[int, int], kwargs: tuple[str, ...]) -> str:
    """`name(a, b[, c], key=, ...)` from a registry entry's argument counts and keywords."""
    parts = _positional(nargs)
    text = ", ".join(parts).replace(", [, ", "[, ")
    keys = ", ".join(f"{k}=" for k in kwargs)
    return f"{name}({text}{', ' if text and keys else ''}{keys})"


def _default(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def layer_signature(kind: str) -> str:
    """PyTorch's constructor signature of layer `kind`, as derive checks it."""
    from .derivers.layers import LAYERS, REQUIRED
    params = LAYERS[kind][1]
    out, star = [], False
    for p in params:
        if p.kwonly and not star:
            out.append("*")
            star = True
        out.append(p.name if p.default is REQUIRED else f"{p.name}={_default(p.default)}")
    return f"{kind}({', '.join(out)})"


def _summary(doc: str) -> str:
    return " ".join((doc or "").strip().split("\n")[0].split())


def entries() -> list[tuple[str, str, str]]:
    """Every goal, builtin, layer and named derivation as (section, signature, summary), sorted."""
    from .derivations import DERIVATIONS, load_all as load_derivations
    from .derivers.goals import GOALS
    from .derivers.layers import LAYERS
    from .derivers.registry import load_all
    from .model.builtins import BUILTINS
    load_all()
    load_derivations()
    rows = [("goals", signature(name, g.nargs, g.kwargs),
             _summary(g.doc) + ("" if g.strategies else " (part of the language, not implemented yet)"))
            for name, g in GOALS.items() if name != "evaluate"]
    for b in BUILTINS.values():
        if b.name in LAYERS:
            rows.append(("layers", layer_signature(b.name), _summary(b.doc)))
        else:
            rows.append(("builtins", signature(b.name, b.nargs, b.kwargs), _summary(b.doc)))
    rows += [("derivations", f"derivation({d.name})", _summary(d.title)) for d in DERIVATIONS.values()]
    order = {s: i for i, s in enumerate(SECTIONS)}
    return sorted(rows, key=lambda r: (order[r[0]], r[1].lower()))


TITLES = {
    "goals": "Goals (`find GOAL`; any expression is a goal too: its value, step by step)",
    "builtins": "Builtins (functions inside expressions)",
    "layers": "Layers (PyTorch's constructor signatures: `layer NAME = Kind(...)`)",
    "derivations": "Named derivations (`find derivation(NAME)`)",
}


def listing(width: int = 100) -> str:
    """The text of `derive goals`: one section per kind, a signature and a summary per line."""
    import textwrap
    rows = entries()
    blocks = []
    for section in SECTIONS:
        lines = [TITLES[section]]
        for _, sig, summary in (r for r in rows if r[0] == section):
            lines.append(f"  {sig}")
            if summary:
                lines += textwrap.wrap(summary, width, initial_indent=" " * 6, subsequent_indent=" " * 6)
        if len(lines) > 1:
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
