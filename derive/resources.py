"""Finding the data that ships with derive: grammars/ and renderers/.

In a wheel they live inside the package (`derive/grammars`, `derive/renderers`); in a
source checkout they are the top-level folders beside `derive/`.  A zipped install is
reached through `importlib.resources`.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from importlib.abc import Traversable

_HERE = Path(__file__).resolve().parent


def data_dir(name: str) -> "Traversable | Path":
    """The folder `name` ("grammars" or "renderers"): a plain folder beside the code when
    there is one (an installed wheel: derive/<name>; a checkout: <name>/ beside derive/),
    else through importlib.resources (a zipped install).  The plain-folder test first
    spares every run the import of importlib.resources."""
    for folder in (_HERE / name, _HERE.parent / name):
        if folder.is_dir():
            return folder
    from importlib import resources
    packaged = resources.files("derive").joinpath(name)
    if packaged.is_dir():
        return packaged
    raise FileNotFoundError(f"derive's {name}/ folder is missing from this installation")


def read_text(folder: str, *parts: str) -> str:
    node = data_dir(folder)
    for part in parts:
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def import_submodules(package: str, path, skip: tuple[str, ...] = ()) -> None:
    """Import every module of `package` (its `__path__` is `path`) not starting with `_`
    and not in `skip`, in sorted order so that registration order is stable."""
    import importlib
    import pkgutil
    for info in sorted(pkgutil.iter_modules(path), key=lambda m: m.name):
        if not info.name.startswith("_") and info.name not in skip:
            importlib.import_module(f"{package}.{info.name}")
