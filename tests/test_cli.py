"""`derive solve` as a user runs it: a subprocess, files and stdin, every format, exit codes.

Runs `python3 -m derive` with this checkout on PYTHONPATH (the installed console script
is exercised by tests/test_install.py).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from derive import cli

ROOT = Path(__file__).resolve().parents[1]
GUARD = 120   # seconds, only so that a hang fails the test instead of the suite

GOOD = '''title "CLI test"
problem "Cross-entropy" points 2 {
  text """Compute $H(y, \\hat y)$."""
  let y_hat = [0.2, 0.1, 0.7, 0.0]
  let y = [0, 0, 1, 0]
  (a) find cross_entropy(y, y_hat)
  (b) find 2 * 3
}
'''
SOME_FAIL = '''problem "p" {
  let a = 1
  (a) find a + 1
  (b) find b + 1
}
'''
BAD = '''problem "p" {
  let a = (1 + 2
}
'''


def run(*args, stdin=None, cwd=ROOT, env=None):
    full_env = dict(os.environ, PYTHONPATH=str(ROOT))
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "derive", *args], input=stdin, capture_output=True,
                          cwd=cwd, env=full_env, timeout=GUARD)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.spec"
    path.write_text(GOOD)
    return path


def test_solve_a_file_exit_0(good):
    code, out, err = run("solve", str(good))
    assert code == 0, err
    assert err == ""
    assert "log(10/7)" in out or "\\log" in out
    assert "Cross-entropy" in out


@pytest.mark.parametrize("fmt, marker", [
    ("md", "# "), ("latex", "\\begin{document}"), ("html", "<html"), ("json", '"derive"'), ("text", "Answer: "),
])
def test_every_format(good, fmt, marker):
    code, out, err = run("solve", str(good), "--format", fmt)
    assert code == 0, err
    assert marker in out
    assert "Traceback" not in err


def test_json_contract(good):
    code, out, _ = run("solve", str(good), "--format", "json")
    doc = json.loads(out)
    assert doc["derive"] == "0.1.0"
    assert doc["title"] == "CLI test"
    (prob,) = doc["problems"]
    ce, six = prob["results"]
    assert ce["label"] == "(a)" and ce["goal"] == "cross_entropy(y, y_hat)"
    assert ce["answer"]["text"] == "log(10/7)"
    assert ce["answer"]["value"] == pytest.approx(0.35667494393873245)
    assert all(s["checked"] in (True, None) for s in ce["steps"])
    assert six["answer"]["value"] == 6


def test_stdin(good):
    code, out, err = run("solve", "-", "--format", "json", stdin=good.read_bytes())
    assert code == 0, err
    assert json.loads(out)["problems"][0]["results"][1]["answer"]["text"] == "6"


def test_stdin_syntax_error_is_reported_as_stdin():
    code, out, err = run("solve", "-", stdin=BAD.encode())
    assert code == 2
    assert out == ""
    assert err.splitlines()[0] == "<stdin>:2:17: error: missing `)` to close the `(` opened at line 2, column 11"


def test_output_file(good, tmp_path):
    target = tmp_path / "out.html"
    code, out, err = run("solve", str(good), "--format", "html", "--output", str(target))
    assert code == 0, err
    assert out == ""
    assert target.read_text(encoding="utf-8").lstrip().startswith("<!DOCTYPE html")


def test_output_to_an_unwritable_place(good, tmp_path):
    code, out, err = run("solve", str(good), "--output", str(tmp_path / "no" / "such" / "dir" / "out.md"))
    assert code == 2
    assert "error: cannot write the output" in err
    assert "Traceback" not in err


def test_version():
    code, out, _ = run("--version")
    assert code == 0
    assert out.strip() == "derive 0.1.0"


def test_help_has_an_example():
    code, out, _ = run("--help")
    assert code == 0
    assert "example:" in out and "derive solve gd.spec" in out and "exit codes" in out
    code, out, _ = run("solve", "--help")
    assert code == 0
    assert "--format" in out and "example:" in out


def test_help_and_version_do_not_import_sympy():
    code, _, err = run("--version", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert code == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in err.splitlines() if "|" in line}
    assert "derive.cli" in imported
    assert not {"sympy", "lark", "jinja2"} & imported


def test_no_command_prints_help_and_exits_2():
    code, out, err = run()
    assert code == 2
    assert "usage: derive" in err


def test_unknown_format_is_a_usage_error():
    code, _, err = run("solve", "x.spec", "--format", "pdf")
    assert code == 2
    assert "invalid choice: 'pdf'" in err


def test_missing_file(tmp_path):
    code, out, err = run("solve", "no-such-file.spec", cwd=tmp_path)
    assert code == 2
    assert out == ""
    assert err.strip() == "no-such-file.spec: error: no such file"


def test_a_directory_is_not_a_spec(tmp_path):
    code, _, err = run("solve", str(tmp_path))
    assert code == 2
    assert "is a directory" in err


def test_exit_1_when_some_goals_fail(tmp_path):
    path = tmp_path / "some.spec"
    path.write_text(SOME_FAIL)
    code, out, err = run("solve", str(path), "--format", "json")
    assert code == 1
    first, second = json.loads(out)["problems"][0]["results"]
    assert first["answer"]["text"] == "2"
    assert second["error"]["message"] == "unknown name `b`"
    assert err.splitlines() == [f"{path}:4:12: error: (b) unknown name `b`",
                                "    (b) find b + 1", "             ^"]


def test_exit_2_with_file_line_col_and_caret(tmp_path):
    path = tmp_path / "bad.spec"
    path.write_text(BAD)
    code, out, err = run("solve", str(path))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{path}:2:17: error: missing `)` to close the `(` opened at line 2, column 11",
        "    let a = (1 + 2",
        "                  ^",
    ]


def test_relative_path_from_another_directory(tmp_path):
    sub = tmp_path / "exams"
    sub.mkdir()
    (sub / "main.spec").write_text('include "part.spec"\n')
    (sub / "part.spec").write_text(GOOD)
    code, out, err = run("solve", "exams/main.spec", "--format", "json", cwd=tmp_path)
    assert code == 0, err
    assert json.loads(out)["problems"][0]["title"] == "Cross-entropy"


def test_include_from_stdin_is_relative_to_the_working_directory(tmp_path):
    (tmp_path / "part.spec").write_text(GOOD)
    code, out, err = run("solve", "-", "--format", "json", stdin=b'include "part.spec"\n', cwd=tmp_path)
    assert code == 0, err


def test_byte_order_mark_and_crlf_line_endings(tmp_path):
    path = tmp_path / "win.spec"
    path.write_bytes(b"\xef\xbb\xbf" + BAD.replace("\n", "\r\n").encode())
    code, _, err = run("solve", str(path))
    assert code == 2
    assert err.splitlines()[0] == f"{path}:2:17: error: missing `)` to close the `(` opened at line 2, column 11"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())
    code, _, err = run("solve", str(path))
    assert code == 0, err


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.spec"
    path.write_bytes('problem "Übung" { let a = 1 }'.encode("latin-1"))
    code, _, err = run("solve", str(path))
    assert code == 2
    assert err.startswith(f"{path}: error: not UTF-8 text")
    code, _, err = run("solve", "-", stdin=path.read_bytes())
    assert code == 2
    assert err.startswith("<stdin>: error: not UTF-8 text")


def test_unicode_titles_and_prose_pass_through(tmp_path):
    path = tmp_path / "u.spec"
    path.write_text('problem "Übung ½ — η" {\n  text """Größe $\\eta$"""\n  let a = 1\n  find a\n}\n',
                    encoding="utf-8")
    for fmt in cli.FORMATS:
        code, out, err = run("solve", str(path), "--format", fmt)
        assert code == 0, err
        # LaTeX spells it with a macro, so that a stock pdflatex without T1 fonts compiles it
        assert ('\\"{U}bung' if fmt == "latex" else "Übung") in out


def test_broken_pipe_is_quiet(good):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    cmd = f"{sys.executable} -m derive solve {good} --format html | head -c 10 >/dev/null"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, env=env, timeout=GUARD)
    assert "Traceback" not in proc.stderr.decode()
    assert "BrokenPipe" not in proc.stderr.decode()


@pytest.mark.parametrize("body, fragment", [
    ("{{ solution.no_such_attribute_here }}", "has no attribute 'no_such_attribute_here'"),
    ("{% for %}", "(line 1) failed: Expected an expression"),
])
def test_a_broken_user_template_is_a_user_error(tmp_path, body, fragment):
    tdir = tmp_path / "templates" / "md"
    tdir.mkdir(parents=True)
    (tdir / "solution.j2").write_text(body)
    path = tmp_path / "t.spec"
    path.write_text(GOOD)
    code, out, err = run("solve", str(path), "--templates", str(tmp_path / "templates"))
    assert code == 2
    assert err.startswith(f"{tmp_path / 'templates'}: error: the template ")
    assert fragment in err
    assert "Traceback" not in err


def test_internal_errors_are_one_line_exit_3(monkeypatch, tmp_path, capsys):
    """A bug anywhere (simulated) is one line on stderr and exit 3; DERIVE_DEBUG shows the traceback."""
    import derive.pipeline

    def broken(*args, **kwargs):
        raise KeyError("simulated bug")
    monkeypatch.setattr(derive.pipeline, "solve", broken)
    path = tmp_path / "t.spec"
    path.write_text(GOOD)
    assert cli.main(["solve", str(path), "--max-memory", "0"]) == 3
    err = capsys.readouterr().err
    assert err == (f"{path}: error: internal error (KeyError: 'simulated bug'); this is a bug in derive: "
                   "please report it with the spec\n")
    monkeypatch.setenv("DERIVE_DEBUG", "1")
    assert cli.main(["solve", str(path), "--max-memory", "0"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_same_bytes_whatever_the_hash_seed(good):
    outs = set()
    for seed in ("0", "1", "12345"):
        for fmt in ("json", "md"):
            code, out, _ = run("solve", str(good), "--format", fmt, env={"PYTHONHASHSEED": seed})
            assert code == 0
            outs.add((fmt, out))
    assert len(outs) == 2


def test_cli_formats_match_the_renderer():
    from derive.render import FORMATS, VIEWS
    assert cli.FORMATS == FORMATS and cli.VIEWS == VIEWS
