"""`derive.records.record` behaves as `dataclasses.dataclass(frozen=True)`: each behaviour is
compared with a twin class made by the standard decorator (the oracle), and every record
class in the package is a dataclass whose __init__ takes its fields."""
from __future__ import annotations

import copy
import dataclasses
import importlib
import pickle
import pkgutil
from dataclasses import field
from fractions import Fraction

import pytest

import derive
from derive.records import record


def _classes(decorate, tag):
    """Base, Num and Items made by `decorate`, at module level (so that they pickle)."""
    class Base:
        pos: object = field(compare=False, repr=False)

    class Num(Base):
        value: Fraction = Fraction(0)
        text: str = "0"

    class Items(Base):
        items: tuple = ()
        notes: list = field(default_factory=list, compare=False)

        def __post_init__(self):
            object.__setattr__(self, "n", len(self.items))
    out = []
    for cls in (Base, Num, Items):
        cls.__qualname__ = cls.__name__ = f"{tag}{cls.__name__}"
        if out:                                   # (the subclasses of the decorated base)
            cls = type(cls.__name__, (out[0],), dict(vars(cls)))
        cls.__module__ = __name__
        globals()[cls.__name__] = decorate(cls)
        out.append(globals()[cls.__name__])
    return tuple(out)


OURS, THEIRS = _classes(record, "Ours"), _classes(dataclasses.dataclass(frozen=True), "Theirs")
CALLS = [("Num", (1, Fraction(2), "2"), {}), ("Num", (), {"pos": 5, "text": "t"}), ("Num", (7,), {}),
         ("Items", (None, (1, 2)), {}), ("Items", (None,), {"notes": [3]}), ("Base", (0,), {})]
BAD = [("Num", (1, 2, 3, 4), {}), ("Num", (1,), {"bogus": 2}), ("Base", (), {}), ("Num", (1,), {"pos": 2})]


def _shown(x) -> str:
    """repr without the class-name prefix that tells the twins apart."""
    r = repr(x)
    return r[r.index("("):]


def _cls(kind, name):
    return {"Base": kind[0], "Num": kind[1], "Items": kind[2]}[name]


@pytest.mark.parametrize("name,args,kwargs", CALLS)
def test_same_fields_repr_equality_and_hash_as_a_frozen_dataclass(name, args, kwargs):
    a, b = _cls(OURS, name)(*args, **kwargs), _cls(THEIRS, name)(*args, **kwargs)
    assert _shown(a) == _shown(b)
    assert [(f.name, getattr(a, f.name)) for f in dataclasses.fields(a)] == \
        [(f.name, getattr(b, f.name)) for f in dataclasses.fields(b)]
    same = _cls(OURS, name)(*args, **kwargs)
    assert a == same and hash(a) == hash(same) and hash(a) == hash(b)
    assert (a == _cls(OURS, "Base")(0)) == (b == _cls(THEIRS, "Base")(0))
    assert type(a).__match_args__ == type(b).__match_args__
    assert pickle.loads(pickle.dumps(a)) == a and copy.copy(a) == a
    if name == "Items":
        assert a.n == b.n
    c, d = dataclasses.replace(a, pos=9), dataclasses.replace(b, pos=9)
    assert _shown(c) == _shown(d) and c.pos == d.pos == 9


@pytest.mark.parametrize("name,args,kwargs", BAD)
def test_the_same_argument_errors(name, args, kwargs):
    with pytest.raises(TypeError) as ours:
        _cls(OURS, name)(*args, **kwargs)
    with pytest.raises(TypeError) as theirs:
        _cls(THEIRS, name)(*args, **kwargs)
    assert str(ours.value).split(".", 1)[1] == str(theirs.value).split(".", 1)[1]


def test_frozen_as_a_dataclass():
    for kind in (OURS, THEIRS):
        x = kind[1](1)
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'value'"):
            x.value = 3
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'text'"):
            del x.text


def test_eq_false_is_identity():
    @record(eq=False)
    class P:
        a: int = 1
    assert P() != P() and hash(P()) != hash(P()) and P(2).a == 2


def test_every_record_in_the_package_is_a_dataclass_taking_its_fields():
    seen = 0
    for info in pkgutil.walk_packages(derive.__path__, "derive."):
        if info.name in ("derive.__main__", "derive.export.pl_server"):   # (run as programs, not imported)
            continue
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            init = vars(obj).get("__init__") if isinstance(obj, type) and obj.__module__ == info.name else None
            if getattr(init, "__module__", None) == "derive.records":
                assert dataclasses.is_dataclass(obj), obj
                seen += 1
    assert seen >= 60
