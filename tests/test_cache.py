"""A corrupted cache never hangs derive, fails a run or changes its output: every entry
(the parser tables, each compiled template) is read back only when its SHA-256 matches,
and is rebuilt otherwise.  Each cache file is corrupted in several ways and the output
compared byte for byte with a run without any cache."""
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

import derive
import importlib

from derive import cache, syntax
from derive.prose import treecache

render = importlib.import_module("derive.render")   # the module (derive.render is the function)

ROOT = Path(__file__).resolve().parents[1]
SPEC = '''title "Cache"
problem "P" points 2 {
  text """Some *prose* with $x^2$ and a list:

  - one
  - two"""
  symbol x
  f(w) = w^2 + 3*w
  (a) find grad(f(x), x)
  (b) find 2 + 3
}
'''


def _fresh(monkeypatch, folder):
    if folder is None:
        monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    else:
        monkeypatch.delenv("DERIVE_NO_CACHE", raising=False)
        monkeypatch.setenv("DERIVE_CACHE_DIR", str(folder))
    cache.cache_dir.cache_clear()
    syntax.parser.cache_clear()
    render.environment.cache_clear()
    treecache.tree.cache_clear()


def outputs(monkeypatch, folder) -> dict[str, str]:
    _fresh(monkeypatch, folder)
    sol = derive.solve(SPEC)
    return {fmt: derive.render(sol, fmt) for fmt in ("md", "text", "latex", "html", "json")}


def corruptions(data: bytes) -> dict[str, bytes]:
    rnd = random.Random(len(data))
    mid = len(data) // 2
    return {
        "empty": b"",
        "truncated": data[:mid],
        "random": bytes(rnd.randrange(256) for _ in range(len(data))),
        "one byte flipped": data[:mid] + bytes([data[mid] ^ 0x55]) + data[mid + 1:],
        "last byte flipped": data[:-1] + bytes([data[-1] ^ 0x01]),
        "header only": data[:len(cache.MAGIC) + 65],
        "a verified entry of something else": cache.MAGIC + b"0" * 64 + b"\n" + b"\x80\x04K\x01.",
    }


@pytest.fixture(scope="module")
def _restore():
    yield
    cache.cache_dir.cache_clear()
    syntax.parser.cache_clear()
    render.environment.cache_clear()
    treecache.tree.cache_clear()


def test_every_corruption_of_every_cache_file_gives_the_same_bytes(tmp_path, monkeypatch, _restore):
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    expected = outputs(monkeypatch, None)
    assert outputs(monkeypatch, folder) == expected        # fills the cache
    files = sorted(p for p in folder.iterdir() if p.is_file())
    assert all(any(p.name.startswith(kind) for p in files) for kind in ("spec-", "jinja-", "prose-"))
    prose = [p for p in files if p.name.startswith("prose-")]
    files = [p for p in files if p not in prose[1:]]     # one prose entry stands for the others
    pristine = {p: p.read_bytes() for p in files}
    for path, data in pristine.items():
        assert data.startswith(cache.MAGIC)
        for how, bad in corruptions(data).items():
            path.write_bytes(bad)
            assert outputs(monkeypatch, folder) == expected, (path.name, how)
            assert cache.read_verified(path) is not None, f"{path.name} ({how}) was not rebuilt"
            path.write_bytes(data)


def test_a_corrupted_cache_in_the_cli_exits_0_with_the_same_output(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    spec = tmp_path / "c.spec"
    spec.write_text(SPEC)

    def cli(**env):
        full = dict(os.environ, PYTHONPATH=str(ROOT), DERIVE_CACHE_DIR=str(folder), **env)
        full.pop("DERIVE_NO_CACHE", None) if not env.get("DERIVE_NO_CACHE") else None
        return subprocess.run([sys.executable, "-m", "derive", "solve", str(spec), "--format", "text"],
                              capture_output=True, env=full, timeout=120)
    expected = cli(DERIVE_NO_CACHE="1")
    assert expected.returncode == 0
    cli()
    for path in folder.iterdir():
        path.write_bytes(os.urandom(max(path.stat().st_size, 1)))
    got = cli()
    assert (got.returncode, got.stdout, got.stderr) == (0, expected.stdout, b"")


def test_write_verified_then_read_verified_round_trips(tmp_path):
    path = tmp_path / "entry"
    cache.write_verified(path, b"payload \x00\xff")
    assert cache.read_verified(path) == b"payload \x00\xff"
    assert cache.read_verified(tmp_path / "absent") is None
    assert not list(tmp_path.glob("*.tmp"))


def test_a_second_run_reads_its_prose_from_the_cache_without_markdown_it(tmp_path):
    """Importing markdown-it is a tenth of a run's start-up; texts seen before are not parsed again."""
    spec = tmp_path / "c.spec"
    spec.write_text(SPEC)
    code = ("import sys, derive\n"
            f"print(derive.render(derive.solve({str(spec)!r}), 'md'), end='')\n"
            "print('markdown_it' in sys.modules, file=sys.stderr)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT), DERIVE_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("DERIVE_NO_CACHE", None)
    first, second = (subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                    timeout=120) for _ in range(2))
    assert first.stderr.strip() == "True" and second.stderr.strip() == "False", (first.stderr, second.stderr)
    assert second.stdout == first.stdout and "*prose*" in first.stdout


def test_the_prose_cache_is_emptied_past_its_limit_and_counted_only_now_and_then(monkeypatch, tmp_path):
    """Past MAX_FILES entries the folder is emptied, when an entry named prose-0… is written
    (one write in sixteen): counting the folder at every write cost each new text a listing
    of up to 20,000 files."""
    _fresh(monkeypatch, tmp_path)
    monkeypatch.setattr(treecache, "MAX_FILES", 10)
    listed = []
    real = treecache._make_room
    monkeypatch.setattr(treecache, "_make_room", lambda folder: (listed.append(1), real(folder)))
    texts = [f"text {k}" for k in range(300)]
    counts = []
    for t in texts:
        treecache.tree("inline", t, lambda s: [])
        counts.append(len(list(tmp_path.glob("prose-*.json"))))
    checked = [t for t in texts if treecache._key("inline", t).startswith("0")]
    assert len(listed) == len(checked) and 0 < len(checked) < 60
    assert max(counts) < 300 and any(b < a for a, b in zip(counts, counts[1:]))   # emptied, more than once
    treecache.tree.cache_clear()
