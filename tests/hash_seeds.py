"""Output that must not depend on the hash seed, with one fresh interpreter fewer.

`fresh_and_here(args, fresh=n)` runs `derive ARGS` in n fresh `python3 -m derive`
interpreters, each under its own hash seed, and in this test process (cli.main, as
tests/test_cli.py's `run` does) under this process's seed, random unless PYTHONHASHSEED is
set, and none of the others.  n + 1 seeds are compared, as with n + 1 fresh interpreters,
for one interpreter's start-up (about a second of importing sympy) less.  The fresh runs
are started first and awaited last, so that all run side by side.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def other_hash_seeds(n: int) -> list[str]:
    """n PYTHONHASHSEEDs, none of them this process's (if set)."""
    own = os.environ.get("PYTHONHASHSEED")
    return [s for s in ("4242", "0", "12345", "1") if s != own][:n]


def fresh_and_here(*args, fresh: int = 1, cwd: Path = ROOT, env: dict | None = None) -> list[tuple[int, bytes]]:
    """[(exit code, stdout bytes)] of each fresh interpreter, then of this process."""
    from test_cli import run
    args = [str(a) for a in args]
    procs = [subprocess.Popen([sys.executable, "-m", "derive", *args], cwd=cwd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE,
                              env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT), **(env or {})))
             for seed in other_hash_seeds(fresh)]
    try:
        code, out, _ = run(*args, cwd=cwd, env=env)
    finally:
        outs = [(proc.returncode, *proc.communicate(timeout=300)) for proc in procs]
    for proc, (_, _, stderr) in zip(procs, outs):
        assert proc.returncode == code, stderr.decode()[-2000:]
    return [(proc.returncode, stdout) for proc, (_, stdout, _) in zip(procs, outs)] + [(code, out.encode())]
