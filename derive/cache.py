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


# ---- verified entries -----------------------------------------------------------------------
# A cache file is b"derive-cache-1\n" + the SHA-256 of the payload (hex) + b"\n" + the
# payload.  What is read back is used only if the hash matches; anything else (a truncated,
# empty or overwritten file) is treated as absent and rebuilt, so a corrupted cache can
# make a run slower, never hang it, fail it or change its output.

MAGIC = b"derive-cache-1\n"
MAX_ENTRY_BYTES = 64 * 1024 * 1024


def read_verified(path: Path) -> bytes | None:
    """The payload stored at `path` by `write_verified`, or None if absent or corrupted."""
    import hashlib
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    head = len(MAGIC) + 65
    if len(data) > MAX_ENTRY_BYTES or len(data) < head or not data.startswith(MAGIC) or data[head - 1:head] != b"\n":
        return None
    digest, payload = data[len(MAGIC):head - 1], data[head:]
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        return None
    return payload


def write_verified(path: Path, payload: bytes) -> None:
    """Store `payload` at `path` (atomically: a reader sees the old file or the new one);
    a failure to write is ignored (no cache, same output)."""
    import hashlib
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def bytecode_cache(folder: Path, pattern: str):
    """A jinja2 bytecode cache in `folder` (file names from `pattern`, with one %s) whose
    entries are verified as above before jinja unmarshals them."""
    import jinja2

    class VerifiedBytecodeCache(jinja2.BytecodeCache):
        def _path(self, bucket: jinja2.bccache.Bucket) -> Path:
            return folder / (pattern % bucket.key)

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            payload = read_verified(self._path(bucket))
            if payload is None:
                return
            try:
                bucket.bytecode_from_string(payload)
            except Exception:   # noqa: BLE001 - a verified entry from another jinja: rebuild it
                bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            write_verified(self._path(bucket), bucket.bytecode_to_string())

    return VerifiedBytecodeCache()
