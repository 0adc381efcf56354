"""Finding the data that ships with derive: grammars/ and renderers/.

In a wheel they live inside the package (`derive/grammars`, `derive/renderers`); in a
source checkout they are the top-level folders beside `derive/`.  Both are reached
through `importlib.resources` first, so a zipped or relocated install works too.
"""
from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path


def data_dir(name: str) -> Traversable:
    """The folder `name` ("grammars" or "renderers") as a Traversable."""
    packaged = resources.files("derive").joinpath(name)
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"derive's {name}/ folder is missing from this installation")


def read_text(folder: str, *parts: str) -> str:
    node = data_dir(folder)
    for part in parts:
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")
