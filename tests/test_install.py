"""A fresh virtual environment, `pip install .` (not editable), and `derive solve` run from
another folder: the wheel must carry grammars/ and renderers/, and must not write into
its own installation (a read-only site-packages works).

Slow (it installs sympy and friends from the package index): skipped unless RUN_SLOW=1.
"""
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not os.environ.get("RUN_SLOW"), reason="slow: set RUN_SLOW=1 to run")


def _seed_spec() -> Path | None:
    for parent in ROOT.parents:
        cand = parent / "shared" / "specs" / "seed" / "p1-q01-cross-entropy.spec"
        if cand.is_file():
            return cand
    return None


SPEC = '''title "Install check"
problem "Cross-entropy" {
  let y_hat = [0.2, 0.1, 0.7, 0.0]
  let y = [0, 0, 1, 0]
  (a) find cross_entropy(y, y_hat)
}
'''
MARKERS = {"md": "Cross-entropy", "latex": "\\begin{document}", "html": "<html", "json": '"derive"',
           "text": "Answer: "}


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """One venv for the run: under pytest-xdist the workers share it (the first builds it
    under a lock, the others wait), so however the tests are spread it is built once."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _build_venv(tmp_path_factory.mktemp("venv"))
    shared = tmp_path_factory.getbasetemp().parent / "install-venv"     # this run's, for every worker
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (shared / "failed").exists():
            pytest.fail("the venv failed to build in another worker (its error is reported there)")
        if not (shared / "ready").exists():
            try:
                _build_venv(shared)
            except BaseException:
                (shared / "failed").touch()
                raise
            (shared / "ready").touch()
    return shared / "v"


def _build_venv(base: Path) -> Path:
    """A venv with only the wheel and what it declares: the host's pip installs into it
    (`--python`, pip >= 22.3; the venv gets no pip or setuptools of its own), and only derive's modules
    are compiled at install time (pip compiles all of sympy, 16 s of the 30).  A first run
    compiles what derive imports, as after a non-compiling installer, and like every run is
    checked to write nothing into derive's own folder.  The build is isolated, so
    build-system.requires is what builds the wheel."""
    env_dir = base / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=300)
    build = base / "src"
    # install from a clean copy so nothing of this checkout (egg-info, caches) leaks in
    subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(base / "src.tar"), "HEAD"],
                   check=True, timeout=120)
    build.mkdir()
    subprocess.run(["tar", "-xf", str(base / "src.tar"), "-C", str(build)], check=True, timeout=120)
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install",
                           "--quiet", "--no-compile", str(build)], capture_output=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    python = env_dir / "bin" / "python"
    pkg = next(env_dir.glob("lib/python3*/site-packages/derive"))
    subprocess.run([str(python), "-m", "compileall", "-q", str(pkg)], check=True, timeout=300)
    before = _site_files(env_dir)
    warm = subprocess.run([str(env_dir / "bin" / "derive"), "solve", "-", "--format", "text"], input=SPEC.encode(),
                          capture_output=True, cwd=base, env=_env(base / "warm-up"), timeout=300)
    assert warm.returncode == 0, warm.stderr.decode()[-3000:]
    assert _site_files(env_dir) == before, "derive's first run wrote into its own installation"
    return env_dir


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "DERIVE_CACHE_DIR")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path / "home"))
    env.update(extra)
    return env


def _site_files(venv_dir: Path) -> dict:
    pkg = next(venv_dir.glob("lib/python3*/site-packages/derive"))
    return {str(p.relative_to(pkg)): p.stat().st_mtime_ns for p in pkg.rglob("*")}


def test_wheel_ships_every_module(venv):
    """Every module of the checkout is installed (a subpackage missing from pyproject's list
    would be silently left out of the wheel)."""
    installed = set(_site_files(venv))
    ours = {str(p.relative_to(ROOT / "derive")) for p in (ROOT / "derive").rglob("*.py")
            if "__pycache__" not in p.parts}
    tracked = set(subprocess.run(["git", "-C", str(ROOT), "ls-files", "derive"], capture_output=True, text=True,
                                 check=True).stdout.split())
    ours = {f for f in ours if f"derive/{f}" in tracked}
    assert ours - installed == set()


def test_wheel_ships_its_data(venv):
    code = ("import importlib.resources as r, json\n"
            "d = r.files('derive')\n"
            "print(json.dumps(sorted(p.name for p in d.joinpath('grammars').iterdir())))\n"
            "print(json.dumps(sorted(p.name for p in d.joinpath('renderers').iterdir())))\n"
            "print(all(d.joinpath('renderers', f, 'solution.j2').is_file() "
            "for f in ('md', 'latex', 'html', 'text')))\n")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, cwd="/",
                         timeout=120).stdout.decode().splitlines()
    assert {"spec.lark", "errors.txt"} <= set(json.loads(out[0]))
    assert {"md", "latex", "html", "text"} <= set(json.loads(out[1]))
    assert out[2] == "True"


@pytest.mark.parametrize("fmt", sorted(MARKERS))
def test_console_script_from_another_folder(venv, tmp_path, fmt):
    spec = tmp_path / "exam.spec"
    spec.write_text(SPEC)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    before = _site_files(venv)
    proc = subprocess.run([str(venv / "bin" / "derive"), "solve", "../exam.spec", "--format", fmt],
                          capture_output=True, cwd=elsewhere, env=_env(tmp_path), timeout=300)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert MARKERS[fmt] in proc.stdout.decode()
    assert "Traceback" not in err
    assert _site_files(venv) == before, "derive wrote into its own installation"
    assert list((tmp_path / "cache" / "derive").glob("spec-*.tables")), "the parser cache is in the private folder"


def test_seed_spec_every_format_and_stdin(venv, tmp_path):
    seed = _seed_spec()
    if seed is None:
        pytest.skip("no seed corpus beside this checkout")
    for fmt in MARKERS:
        proc = subprocess.run([str(venv / "bin" / "derive"), "solve", str(seed), "--format", fmt],
                              capture_output=True, cwd=tmp_path, env=_env(tmp_path), timeout=300)
        assert proc.returncode in (0, 1), proc.stderr.decode()
        assert proc.stdout and "Traceback" not in proc.stderr.decode()
    proc = subprocess.run([str(venv / "bin" / "derive"), "solve", "-", "--format", "json"], input=seed.read_bytes(),
                          capture_output=True, cwd=tmp_path, env=_env(tmp_path), timeout=300)
    assert proc.returncode in (0, 1)
    assert json.loads(proc.stdout)["problems"]


def test_every_seed_spec_solves_with_the_wheels_own_dependencies(venv, tmp_path):
    """Only what the wheel declares is installed here (no test extras): every seed spec
    solves with exit 0, layer values included (derive's tensors of layer values are NumPy
    object arrays: a spec with a Conv1d forward pass was an internal error without numpy)."""
    seed = _seed_spec()
    if seed is None:
        pytest.skip("no seed corpus beside this checkout")
    specs = sorted(seed.parent.glob("*.spec"))
    every = tmp_path / "every.spec"                 # (one run for all of them: an include each)
    every.write_text("".join(f'include "{p.name}"\n' for p in specs))
    proc = subprocess.run([str(venv / "bin" / "derive"), "solve", str(every), "--format", "json",
                           "--include-path", str(seed.parent)],
                          capture_output=True, cwd=tmp_path, env=_env(tmp_path), timeout=600)
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    problems = json.loads(proc.stdout)["problems"]
    assert len(problems) == len(specs)
    assert not [r["id"] for p in problems for r in p["results"] if "error" in r]


def test_parse_errors_in_words_from_the_wheel(venv, tmp_path):
    """grammars/errors.txt is found in the installed package."""
    proc = subprocess.run([str(venv / "bin" / "derive"), "solve", "-"], input=b'problem "p" {\n  let a = (1 + 2\n}\n',
                          capture_output=True, cwd=tmp_path, env=_env(tmp_path), timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines()[0] == (
        "<stdin>:2:17: error: missing `)` to close the `(` opened at line 2, column 11")
    proc = subprocess.run([str(venv / "bin" / "derive"), "solve", "-"], input=b'problem "p" { let a = }\n',
                          capture_output=True, cwd=tmp_path, env=_env(tmp_path), timeout=300)
    assert "expected an expression after `=`" in proc.stderr.decode()


def test_no_usable_cache_folder_still_works(venv, tmp_path):
    """With caching off (or no private folder), derive builds its parser and answers the same."""
    spec = tmp_path / "exam.spec"
    spec.write_text(SPEC)
    outs = []
    for extra in ({"DERIVE_NO_CACHE": "1"}, {}):
        proc = subprocess.run([str(venv / "bin" / "derive"), "solve", str(spec), "--format", "json"],
                              capture_output=True, cwd=tmp_path, env=_env(tmp_path, **extra), timeout=300)
        assert proc.returncode == 0, proc.stderr.decode()
        outs.append(proc.stdout)
    assert outs[0] == outs[1]


def test_version_and_help(venv, tmp_path):
    proc = subprocess.run([str(venv / "bin" / "derive"), "--version"], capture_output=True, cwd=tmp_path,
                          env=_env(tmp_path), timeout=120)
    assert proc.stdout.decode().strip() == "derive 0.1.0"
    proc = subprocess.run([str(venv / "bin" / "derive"), "solve", "--help"], capture_output=True, cwd=tmp_path,
                          env=_env(tmp_path), timeout=120)
    assert "example:" in proc.stdout.decode()


def test_the_wheel_carries_the_license(venv):
    """LICENSE (MIT, as pyproject says) is in the installed distribution's metadata."""
    dist = next(venv.glob("lib/python3*/site-packages/derive-*.dist-info"))
    assert (dist / "licenses" / "LICENSE").read_text().startswith("MIT License")
    meta = (dist / "METADATA").read_text()
    assert "License-Expression: MIT" in meta and "License-File: LICENSE" in meta
