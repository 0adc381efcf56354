"""A private folder for derive's caches (the LALR parser tables, compiled templates).

`cache_dir()` returns a folder that only this user can write, or None.  lark's own
`cache=True` keeps its tables as a pickle in the shared temporary folder under a
predictable name, so another local user could plant one that runs code when loaded;
jinja's bytecode cache holds code objects.  Both are therefore kept only in a folder
that is ours alone:

1. `$DERIVE_CACHE_DIR`, else `$XDG_CACHE_HOME/derive`, else `~/.cache/derive`;
2. else `<tempdir>/derive-cache-<uid>`, created with mode 0700;

and each candidate is used only if it is a real directory (not a symlink), owned by us,
not writable by group or others, and writable by us.  Nothing usable: no cache (slower
start, same output).  Site-packages is never written, so a read-only install works.
"""
from __future__ import annotations

import functools
import os
import stat
import tempfile
from pathlib import Path


def _private(folder: Path) -> bool:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(folder)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def candidates() -> list[Path]:
    out: list[Path] = []
    if os.environ.get("DERIVE_CACHE_DIR"):
        out.append(Path(os.environ["DERIVE_CACHE_DIR"]))
    if os.environ.get("XDG_CACHE_HOME"):
        out.append(Path(os.environ["XDG_CACHE_HOME"]) / "derive")
    home = os.path.expanduser("~")
    if home and home != "~":
        out.append(Path(home) / ".cache" / "derive")
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    out.append(Path(tempfile.gettempdir()) / f"derive-cache-{uid}")
    return out


@functools.lru_cache(maxsize=1)
def cache_dir() -> Path | None:
    """The first private, writable cache folder (see the module docstring), or None."""
    if os.environ.get("DERIVE_NO_CACHE"):
        return None
    for folder in candidates():
        if _private(folder):
            return folder
    return None
