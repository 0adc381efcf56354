"""`include` is confined: regular files only, under the spec's folder or an --include-path
folder, bounded in size and depth; a refused include never shows what the file holds.

Cases that could hang (a FIFO, /dev/zero) run the CLI in a subprocess whose timeout only
guards the test run, the others through cli.main in this process; no test asserts how long
anything takes.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import derive
from derive import includes
from derive.errors import DeriveError, LimitError, SpecError

ROOT = Path(__file__).resolve().parents[1]
GUARD = 120
SECRET = "TOP-SECRET-7f3a"
PROBLEM = 'problem "P" {\n  let a = 2\n  find a + 1\n}\n'


def run(args, stdin=None, cwd=ROOT):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "derive", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=env, timeout=GUARD)


def run_here(args, stdin=None, cwd=ROOT):
    """`derive ARGS` through cli.main in this process (tests/test_cli.py's `run`), for the
    cases that cannot hang: a CompletedProcess with the streams as bytes."""
    from test_cli import run as run_cli
    code, out, err = run_cli(*args, stdin=stdin, cwd=cwd)
    return subprocess.CompletedProcess(args, code, out.encode(), err.encode())


def layout(tmp_path, include_line):
    """tmp/inside/main.spec including something; tmp/outside/secret.spec holds SECRET."""
    (tmp_path / "inside").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.spec").write_text(f"{SECRET} is not a spec\n")
    main = tmp_path / "inside" / "main.spec"
    main.write_text(f"title \"T\"\n{include_line}\n")
    return main


@pytest.mark.parametrize("target", ["../outside/secret.spec", "OUTSIDE/secret.spec", "/etc/passwd",
                                    "/proc/self/environ", "link.spec"])
def test_an_include_outside_the_folder_is_refused_without_its_content(tmp_path, target):
    main = layout(tmp_path, f'include "{target}"')
    target = target.replace("OUTSIDE", str(tmp_path / "outside"))
    main.write_text(f'title "T"\ninclude "{target}"\n')
    os.symlink(tmp_path / "outside" / "secret.spec", tmp_path / "inside" / "link.spec")
    with pytest.raises(SpecError) as info:
        derive.solve(main)
    err = info.value
    assert (err.pos.file, err.line, err.column) == (str(main), 2, 1)
    assert "outside" in err.message and "--include-path" in err.message
    text = str(err)
    assert SECRET not in text and "root:" not in text and "PATH=" not in text


def test_include_path_names_another_folder_in_the_cli_and_the_library(tmp_path):
    main = layout(tmp_path, 'include "shared.spec"')
    (tmp_path / "outside" / "shared.spec").write_text(PROBLEM)
    with pytest.raises(SpecError):
        derive.solve(main)
    sol = derive.solve(main, include_path=[tmp_path / "outside"])
    assert [r.answer.text for r in sol.results] == ["3"]
    proc = run_here(["solve", str(main), "--format", "json", "--include-path", str(tmp_path / "outside")])
    assert proc.returncode == 0, proc.stderr.decode()
    proc = run_here(["solve", str(main), "--include-path", str(tmp_path / "nowhere")])
    assert proc.returncode == 2 and "no such folder" in proc.stderr.decode()


def test_dev_zero_is_refused_at_once_with_a_position(tmp_path):
    main = tmp_path / "main.spec"
    main.write_text('title "T"\n\ninclude "/dev/zero"\n')
    proc = run(["solve", str(main), "--include-path", "/dev"])
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert err.startswith(f"{main}:3:1: error: cannot include /dev/zero: it is a device"), err


def test_a_fifo_is_refused_and_does_not_hang(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(tmp_path / "pipe.spec")
    main = tmp_path / "main.spec"
    main.write_text('include "pipe.spec"\n')
    proc = run(["solve", str(main)])
    assert proc.returncode == 2
    assert "cannot include pipe.spec: it is a FIFO" in proc.stderr.decode()


def test_a_fifo_swapped_in_after_the_stat_is_refused_without_blocking(tmp_path, monkeypatch):
    """The race: stat says regular file, the open finds a FIFO (O_NONBLOCK: the open does
    not wait for a writer; fstat refuses it)."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    fifo = tmp_path / "pipe.spec"
    os.mkfifo(fifo)
    regular = tmp_path / "regular.spec"
    regular.write_text(PROBLEM)
    real_stat = os.stat
    monkeypatch.setattr(includes.os, "stat", lambda p, *a, **k: real_stat(regular if str(p) == str(fifo) else p))
    with pytest.raises(SpecError, match="FIFO"):
        includes.read_spec_file(fifo, 1000)


def test_size_limit_and_depth_limit_and_cycle_chain(tmp_path):
    (tmp_path / "big.spec").write_text(PROBLEM * 50)
    (tmp_path / "main.spec").write_text('include "big.spec"\n')
    with pytest.raises(LimitError, match="may hold 1 kB in all") as info:
        derive.solve(tmp_path / "main.spec", limits=derive.Limits(spec_bytes=1500))
    assert info.value.line == 1
    for i in range(6):
        (tmp_path / f"d{i}.spec").write_text(f'include "d{i + 1}.spec"\n')
    (tmp_path / "d6.spec").write_text(PROBLEM)
    with pytest.raises(LimitError) as info:
        derive.solve(tmp_path / "d0.spec", limits=derive.Limits(include_depth=3))
    assert "includes nest more than 3 deep: d0.spec -> d1.spec -> d2.spec -> d3.spec -> d4.spec" in info.value.message
    assert [r.answer.text for r in derive.solve(tmp_path / "d0.spec").results] == ["3"]
    (tmp_path / "a.spec").write_text('include "b.spec"\n')
    (tmp_path / "b.spec").write_text('include "sub/c.spec"\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.spec").write_text('include "../a.spec"\n')
    with pytest.raises(SpecError, match=r"include cycle: a.spec -> b.spec -> c.spec -> a.spec"):
        derive.solve(tmp_path / "a.spec")


def test_stdin_includes_resolve_against_the_working_folder_confined_the_same_way(tmp_path):
    main = layout(tmp_path, "")
    (tmp_path / "inside" / "part.spec").write_text(PROBLEM)
    proc = run_here(["solve", "-", "--format", "json"], stdin=b'include "part.spec"\n', cwd=tmp_path / "inside")
    assert proc.returncode == 0, proc.stderr.decode()
    proc = run_here(["solve", "-"], stdin=b'include "../outside/secret.spec"\n', cwd=tmp_path / "inside")
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.startswith("<stdin>:1:1: error: cannot include ../outside/secret.spec")
    assert SECRET not in err
    assert main.exists()


def test_the_spec_named_on_the_command_line_may_be_a_pipe_but_is_bounded():
    """`derive solve <(cat exam.spec)` reads a pipe; /dev/zero as the spec itself stops at
    the size limit instead of filling memory."""
    proc = run(["solve", "/dev/zero"])
    assert proc.returncode == 2
    assert "the spec is larger than 1,000 kB" in proc.stderr.decode()
    with pytest.raises(DeriveError, match="directory"):
        derive.solve(Path(ROOT / "tests"))
