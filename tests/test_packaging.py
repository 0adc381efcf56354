"""The wheel ships every package: pyproject.toml lists packages by name (two of them map
other folders, grammars/ and renderers/), so each folder of derive/ that is a package must
be named there, or an installed derive would lack it (derive.derivers.backprop once was)."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _listed() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_in_the_wheel():
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "derive").rglob("__init__.py")}
    missing = sorted(folders - _listed())
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_every_listed_package_exists():
    mapped = {"derive.grammars": ROOT / "grammars", "derive.renderers": ROOT / "renderers"}
    for name in _listed():
        folder = mapped.get(name, ROOT.joinpath(*name.split(".")))
        assert folder.is_dir(), f"pyproject.toml lists {name}, but {folder} is not a folder"
