"""Named classical derivations, the targets of `find derivation(NAME)`.

In: a name (`svm_primal`, `kernel_matrix_psd`, ...).  Out: the `Derived` (answer and
steps) that the derivation's function builds.  Each derivation lives in its own module
of this package and registers itself:

    from . import derivation

    @derivation("kernel_matrix_symmetric", title="The kernel matrix is symmetric")
    def kernel_matrix_symmetric(problem):
        ...                       # make_step(...) for every equality, so each is checked
        return Derived(make_answer(...), tuple(steps))

`load_all()` imports every module here whose name does not start with `_` (sorted, so the
order is stable); `lookup(name)` finds one.  docs/derivations.md says how to add one.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..records import record

if TYPE_CHECKING:
    from ..derivers.registry import Derived
    from ..model.problem import Problem


@record
class Derivation:
    """One registered derivation: its name, a one-line title and the function that builds it."""

    name: str
    title: str
    fn: Callable[["Problem"], "Derived"]


DERIVATIONS: dict[str, Derivation] = {}


def derivation(name: str, *, title: str):
    """Register `fn(problem) -> Derived` as the derivation `name`."""
    def register(fn: Callable[["Problem"], "Derived"]) -> Callable[["Problem"], "Derived"]:
        if name in DERIVATIONS and DERIVATIONS[name].fn is not fn:
            raise ValueError(f"the derivation {name!r} is registered twice")
        DERIVATIONS[name] = Derivation(name, title, fn)
        return fn
    return register


_LOADED = False


def load_all() -> None:
    """Import every derivation module of this package once."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from ..resources import import_submodules
    import_submodules(__name__, __path__)


def lookup(name: str) -> Derivation | None:
    load_all()
    return DERIVATIONS.get(name)


def names() -> list[str]:
    load_all()
    return sorted(DERIVATIONS)
