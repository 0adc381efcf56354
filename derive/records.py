"""Frozen records: `@record` is `@dataclass(frozen=True)`, made at a fraction of the cost.

In: a class with annotated fields, as for `dataclasses.dataclass` (defaults, `field(...)` with
`default_factory`, `compare=False`, `repr=False`; `__post_init__`; inherited fields).
Out: the same class as a frozen dataclass would be: `__init__` (positional or keyword, the
same defaults), `__repr__`, `==` and `hash` over the compared fields (`record(eq=False)`: by
identity, as `dataclass(frozen=True, eq=False)`), assignment and deletion refused with
`dataclasses.FrozenInstanceError`, and `dataclasses.fields`, `replace` and `match` working,
since the class is registered as a dataclass.

Why: the standard decorator compiles six small functions from source for every frozen class
(`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`), about a
millisecond each class, and derive defines over ninety of them: a tenth of a run's start-up.
Here they are closures over the class's field names, nothing is compiled, and an instance
costs a third of a microsecond more to make (a spec of 8,400 numbers makes some 25,000).
"""
from __future__ import annotations

import dataclasses
from operator import attrgetter
from typing import Any, Callable, TypeVar, dataclass_transform, overload

T = TypeVar("T")
_FIELDS_ONLY = dict(init=False, repr=False, eq=False)       # dataclass() then only gathers the fields


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, eq: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T] | None = None, /, *, eq: bool = True) -> Any:
    """`@record` or `@record(eq=False)` on a class: see the module docstring (type checkers
    read it as a frozen dataclass, PEP 681)."""
    def wrap(c: type[T]) -> type[T]:
        return _make(c, eq)
    return wrap if cls is None else wrap(cls)


def _make(cls: type[T], eq: bool) -> type[T]:
    undocumented = not cls.__dict__.get("__doc__")
    if undocumented:          # (else dataclass() writes one from inspect.signature: most of its time)
        cls.__doc__ = cls.__name__
    dataclasses.dataclass(cls, **_FIELDS_ONLY)       # type: ignore[call-overload]
    fields = dataclasses.fields(cls)                  # type: ignore[arg-type]
    if undocumented:
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in fields)})"
    cls.__init__ = _init(cls, fields)                 # type: ignore[misc]
    cls.__repr__ = _repr([f.name for f in fields if f.repr])   # type: ignore[method-assign]
    if eq:
        cls.__eq__, cls.__hash__ = _eq_hash([f.name for f in fields if f.compare])  # type: ignore[method-assign]
    cls.__setattr__, cls.__delattr__ = _frozen(cls, {f.name for f in fields})  # type: ignore[method-assign]
    return cls


def _init(cls: type, fields: tuple[dataclasses.Field, ...]) -> Callable[..., None]:
    """`__init__(self, *values, **by_name)` taking the fields in order, with their defaults
    and factories (a TypeError as Python's own for a missing, unknown or repeated one), each
    stored in the instance's __dict__; then `__post_init__()` if the class has one.  Generic, not
    compiled from source (nothing here is ever evaluated as code): every value given in
    order, the way the parser makes its nodes, is the fast path."""
    names = tuple(f.name for f in fields)
    n, index, post = len(names), {name: k for k, name in enumerate(names)}, hasattr(cls, "__post_init__")
    fills = [_fill(f) for f in fields]
    qualname = cls.__qualname__

    def __init__(self: Any, *values: Any, **by_name: Any) -> None:
        if by_name or len(values) != n:
            values = _arrange(qualname, names, index, fills, values, by_name)
        self.__dict__.update(zip(names, values))      # (as object.__setattr__ per field: no field is a descriptor)
        if post:
            self.__post_init__()
    __init__.__qualname__ = f"{qualname}.__init__"
    return __init__


def _fill(f: dataclasses.Field) -> Callable[[], Any] | None:
    """How a field not given gets its value: its default, its factory, or None (required)."""
    if f.default is not dataclasses.MISSING:
        return lambda value=f.default: value
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory
    return None


def _arrange(qualname: str, names: tuple[str, ...], index: dict[str, int], fills: list, values: tuple,
             by_name: dict[str, Any]) -> list:
    """The values in field order from positional and keyword arguments, defaults filled in."""
    if len(values) > len(names):
        least = 1 + sum(fill is None for fill in fills)
        takes = f"{len(names) + 1}" if least == len(names) + 1 else f"from {least} to {len(names) + 1}"
        raise TypeError(f"{qualname}.__init__() takes {takes} positional arguments but {len(values) + 1} were given")
    out: list = list(values) + [dataclasses.MISSING] * (len(names) - len(values))
    for name, value in by_name.items():
        k = index.get(name)
        if k is None:
            raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument {name!r}")
        if k < len(values):
            raise TypeError(f"{qualname}.__init__() got multiple values for argument {name!r}")
        out[k] = value
    for k, value in enumerate(out):
        if value is dataclasses.MISSING:
            if fills[k] is None:
                raise TypeError(f"{qualname}.__init__() missing 1 required positional argument: {names[k]!r}")
            out[k] = fills[k]()
    return out


def _repr(names: list[str]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        return f"{type(self).__qualname__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + ")"
    return __repr__


def _eq_hash(names: list[str]) -> tuple[Callable[[Any, Any], Any], Callable[[Any], int]]:
    """== between two instances of the very same class over `names` in order, as tuples
    (NotImplemented otherwise); hash of the same tuple."""
    key: Callable[[Any], tuple] = (lambda self: ()) if not names else \
        (lambda self, g=attrgetter(names[0]): (g(self),)) if len(names) == 1 else attrgetter(*names)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(key(self))
    return __eq__, __hash__


def _frozen(cls: type, names: set[str]) -> tuple[Callable[..., None], Callable[..., None]]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)
    return __setattr__, __delattr__
