"""Start-up: what a run imports, and the private cache folder (derive/cache.py).

Timing is measured by bench/latency.py, never asserted here; these tests pin down the
mechanisms that keep start-up short: lazy imports and the on-disk caches.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from derive import cache

ROOT = Path(__file__).resolve().parents[1]
TINY = 'problem "p" {\n  let a = 1\n  find a\n}\n'


def _environ() -> dict:
    """The environment without a cache folder of the developer's own (the tests choose one)."""
    return {k: v for k, v in os.environ.items() if k not in ("DERIVE_CACHE_DIR", "DERIVE_NO_CACHE")}


def imported_by(args, tmp_path, **env):
    spec = tmp_path / "tiny.spec"
    spec.write_text(TINY)
    full = dict(_environ(), PYTHONPATH=str(ROOT), PYTHONPROFILEIMPORTTIME="1", **env)
    proc = subprocess.run([sys.executable, "-m", "derive", *[str(spec) if a == "SPEC" else a for a in args]],
                          capture_output=True, cwd=tmp_path, env=full, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.decode().splitlines() if "|" in line}


def test_a_markdown_run_imports_no_html_or_numeric_extras(tmp_path):
    mods = imported_by(["solve", "SPEC", "--format", "md"], tmp_path)
    assert {"sympy", "lark", "jinja2", "derive.pipeline"} <= mods
    assert not {m for m in mods if m.split(".")[0] in ("latex2mathml", "numpy", "scipy", "matplotlib")}


def test_json_needs_no_templates(tmp_path):
    mods = imported_by(["solve", "SPEC", "--format", "json"], tmp_path)
    assert "derive.prose" not in mods
    assert "latex2mathml" not in mods


def test_html_imports_latex2mathml(tmp_path):
    """Authored prose with $maths$ is converted through latex2mathml (derived sentences are
    printed by the MathML printer directly, so the tiny spec alone needs no latex2mathml)."""
    spec = tmp_path / "prose.spec"
    spec.write_text('problem "p" {\n  text "Let $x^2 + 1$ be given."\n  let a = 1\n  find a\n}\n')
    assert "latex2mathml" in imported_by(["solve", str(spec), "--format", "html"], tmp_path)


def test_import_derive_is_light():
    code = "import sys, derive; print(sorted(m for m in ('sympy', 'lark', 'jinja2') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(ROOT))).stdout.decode().strip()
    assert out == "[]"


# ---- the private cache folder ------------------------------------------------------------

@pytest.fixture
def fresh(monkeypatch, tmp_path):
    for var in ("DERIVE_CACHE_DIR", "XDG_CACHE_HOME", "DERIVE_NO_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(cache.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    cache.cache_dir.cache_clear()
    yield tmp_path
    cache.cache_dir.cache_clear()


def test_cache_goes_to_xdg_cache_home(fresh, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(fresh / "xdg"))
    folder = cache.cache_dir()
    assert folder == fresh / "xdg" / "derive"
    assert folder.stat().st_mode & 0o777 == 0o700


def test_cache_defaults_to_home(fresh):
    assert cache.cache_dir() == fresh / "home" / ".cache" / "derive"


def test_a_shared_folder_is_refused(fresh, monkeypatch):
    shared = fresh / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(shared))
    assert cache.cache_dir() == fresh / "home" / ".cache" / "derive"


def test_a_symlink_is_refused(fresh, monkeypatch):
    real = fresh / "real"
    real.mkdir(mode=0o700)
    (fresh / "link").symlink_to(real)
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(fresh / "link"))
    assert cache.cache_dir() != fresh / "link"


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to chown")
def test_a_folder_owned_by_someone_else_is_refused(fresh, monkeypatch):
    """As planted in the shared temporary folder by another user."""
    planted = fresh / "tmp" / f"derive-cache-{os.getuid()}"
    planted.mkdir(mode=0o700)
    os.chown(planted, 12345, 12345)
    monkeypatch.setenv("HOME", "/dev/null/nowhere")
    assert cache.cache_dir() is None


def test_nothing_usable_means_no_cache(fresh, monkeypatch):
    monkeypatch.setenv("HOME", "/dev/null/nowhere")
    monkeypatch.setattr(cache.tempfile, "gettempdir", lambda: "/dev/null/nowhere")
    assert cache.cache_dir() is None
    monkeypatch.setenv("DERIVE_NO_CACHE", "1")
    cache.cache_dir.cache_clear()
    assert cache.cache_dir() is None


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory) -> dict:
    """The tiny spec as Markdown three times: without a cache, with an empty private folder
    (which it fills), and again with that folder; the outputs, the folder's files after the
    second run and their stamps after the second and the third.  (One set of runs serves
    the two tests below, which asked the same three questions of separate processes.)"""
    tmp_path = tmp_path_factory.mktemp("startup-cache")
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "DERIVE_CACHE_DIR": ""}   # (a developer's own cache dir off)
    folder = tmp_path / "xdg" / "derive"
    stamps = lambda: {f.name: f.stat().st_mtime_ns for f in folder.iterdir()}   # noqa: E731
    outs = [_run_tiny(tmp_path, {"DERIVE_NO_CACHE": "1"}), _run_tiny(tmp_path, env)]
    files, filled = sorted(folder.iterdir()), stamps()
    outs.append(_run_tiny(tmp_path, env))
    return {"outs": outs, "files": files, "filled": filled, "reread": stamps()}


def _run_tiny(tmp_path: Path, env: dict) -> bytes:
    spec = tmp_path / "t.spec"
    spec.write_text(TINY)
    proc = subprocess.run([sys.executable, "-m", "derive", "solve", str(spec), "--format", "md"],
                          capture_output=True, cwd=tmp_path, timeout=120,
                          env=dict(_environ(), PYTHONPATH=str(ROOT), **env))
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    return proc.stdout


def test_the_parser_and_templates_are_cached_and_reused(three_runs):
    files = three_runs["files"]
    assert any(f.name.startswith("spec-") for f in files)
    assert any(f.name.startswith("jinja-") for f in files)
    assert three_runs["reread"] == three_runs["filled"]   # read, not rewritten


def test_no_cache_gives_the_same_output(three_runs):
    outs = three_runs["outs"]
    assert outs[0] == outs[1] == outs[2]
