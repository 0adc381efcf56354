"""`derive solve|check|goals` as a user runs them: files and stdin, every format, exit codes.

Most tests call `cli.main` in this process with its standard streams swapped for byte
buffers (`run`): what is tested is the command's arguments, streams and exit code, and a
fresh interpreter per call added nothing but start-up time.  `run_process` runs
`python3 -m derive` for what only a real process shows: imports at start-up, the hash
seed, a closed pipe, a terminal's encoding, a full disk (the installed console script is
exercised by tests/test_install.py).
"""
import contextlib
import io
import json
import os
import re
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


def run(*args, stdin=None, cwd=None, env=None, encoding="utf-8"):
    """`derive ARGS` in this process: (exit code, stdout, stderr), the streams as text.

    `--max-memory 0` is added to solve/check (a memory cap would bind the whole test
    process); `encoding` is that of the swapped standard output and error.
    """
    args = [str(a) for a in args]
    if args and args[0] in ("solve", "check") and "--max-memory" not in args:
        args += ["--max-memory", "0"]
    out, err = io.BytesIO(), io.BytesIO()
    streams = (io.TextIOWrapper(io.BytesIO(stdin or b""), encoding="utf-8"),
               io.TextIOWrapper(out, encoding=encoding, write_through=True),
               io.TextIOWrapper(err, encoding=encoding, errors="backslashreplace", write_through=True))
    saved_env = dict(os.environ)
    os.environ.update(env or {})
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = streams
    try:
        with contextlib.chdir(cwd or os.getcwd()):
            try:
                code = cli.main(args)
            except SystemExit as exc:       # argparse: --help, --version, usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        os.environ.clear()
        os.environ.update(saved_env)
    return code, out.getvalue().decode(encoding), err.getvalue().decode(encoding)


def run_process(*args, stdin=None, cwd=ROOT, env=None):
    """`python3 -m derive ARGS` in a fresh interpreter: (exit code, stdout, stderr)."""
    full_env = dict(os.environ, PYTHONPATH=str(ROOT))
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-m", "derive", *map(str, args)], input=stdin, capture_output=True,
                          cwd=cwd, env=full_env, timeout=GUARD)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.spec"
    path.write_text(GOOD)
    return path


def test_solve_a_file_exit_0(good):
    code, out, err = run_process("solve", str(good))
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
    code, _, err = run_process("--version", env={"PYTHONPROFILEIMPORTTIME": "1"})
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
    from hash_seeds import fresh_and_here            # a fresh interpreter and this process: two seeds
    outs = set()
    for fmt in ("json", "md"):
        for code, out in fresh_and_here("solve", str(good), "--format", fmt):
            assert code == 0
            outs.add((fmt, out))
    assert len(outs) == 2


def test_cli_formats_match_the_renderer():
    from derive.render import FORMATS, VIEWS
    assert cli.FORMATS == FORMATS and cli.VIEWS == VIEWS


# ---- habits: the format from -o, -o onto the spec, check, goals, any file, empty input ----

@pytest.mark.parametrize("suffix, marker", [
    (".md", "# "), (".markdown", "# "), (".tex", "\\begin{document}"), (".html", "<!DOCTYPE html"),
    (".HTM", "<!DOCTYPE html"), (".json", '"derive": "0.1.0"'), (".txt", "Answer: "),
])
def test_the_format_comes_from_the_output_extension(good, tmp_path, suffix, marker):
    target = tmp_path / f"out{suffix}"
    code, out, err = run("solve", good, "-o", target)
    assert (code, out, err) == (0, "", "")
    assert marker in target.read_text(encoding="utf-8")


def test_an_explicit_format_wins_and_other_extensions_are_markdown(good, tmp_path):
    target = tmp_path / "out.html"
    assert run("solve", good, "-o", target, "--format", "json")[0] == 0
    assert json.loads(target.read_text())["title"] == "CLI test"
    for name in ("out.pdf", "solution"):
        assert run("solve", good, "-o", tmp_path / name)[0] == 0
        assert (tmp_path / name).read_text().startswith("# CLI test")
    assert cli.output_format(None, None) == "md"


@pytest.mark.parametrize("how", ["same path", "relative", "hard link"])
def test_output_onto_the_input_spec_is_refused(good, tmp_path, how):
    target = {"same path": str(good), "relative": "./good.spec", "hard link": str(tmp_path / "link.spec")}[how]
    if how == "hard link":
        os.link(good, target)
    code, out, err = run("solve", good, "-o", target, cwd=tmp_path)
    assert code == 2 and out == ""
    assert err == f"{target}: error: the output would overwrite the input spec; choose another --output file\n"
    assert good.read_text() == GOOD


def test_check_parses_and_builds_without_deriving(good, tmp_path, monkeypatch):
    from derive.derivers import registry

    def never(*args, **kwargs):
        raise AssertionError("check derived a goal")
    monkeypatch.setattr(registry, "derive_goal", never)
    assert run("check", good) == (0, f"{good}: ok: 1 problem, 2 goals\n", "")
    assert run("check", "-", stdin=good.read_bytes()) == (0, "<stdin>: ok: 1 problem, 2 goals\n", "")
    some = tmp_path / "some.spec"
    some.write_text(SOME_FAIL)          # an unknown name inside a goal shows only when derived
    assert run("check", some)[0] == 0


@pytest.mark.parametrize("text, message", [
    (BAD, "2:17: error: missing `)` to close the `(` opened at line 2, column 11"),
    ('problem "p" {\n  let W = ones(2, 3)\n  h = W @ [1, 2]\n}\n', "3:7: error: shape mismatch in `@`"),
    ('problem "p" {\n  let a = 1\n  let a = 2\n}\n', "3:3: error: `a` is already defined at line 2"),
])
def test_check_reports_what_solve_would_refuse(tmp_path, text, message):
    path = tmp_path / "bad.spec"
    path.write_text(text)
    code, out, err = run("check", path)
    assert code == 2 and out == ""
    assert err.startswith(f"{path}:{message}"), err
    line, col = map(int, message.split(":")[:2])
    first, source, caret = err.splitlines()[:3]
    written = text.splitlines()[line - 1]
    indent = len(written) - len(written.lstrip())      # the source line is shown re-indented by 4
    assert source == "    " + written.strip() and caret.index("^") == 4 + col - 1 - indent
    assert run("solve", path)[:2] == (code, out)


def test_goals_lists_every_registered_goal_builtin_layer_and_derivation():
    from derive.derivations import DERIVATIONS
    from derive.derivers.goals import GOALS
    from derive.model.builtins import BUILTINS
    code, out, err = run("goals")
    assert code == 0 and err == ""
    listed = {line.strip().split("(")[0] for line in out.splitlines() if line.startswith("  ") and
              not line.startswith("      ")}
    assert listed == (set(GOALS) - {"evaluate"}) | set(BUILTINS) | {"derivation"}
    assert {f"derivation({name})" for name in DERIVATIONS} <= {line.strip() for line in out.splitlines()}
    # layers carry PyTorch's parameter names and defaults, in PyTorch's order
    assert ("  Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, "
            "bias=True, padding_mode='zeros', *, weight=None)") in out.splitlines()   # weight: derive's extension
    assert "  Linear(in_features, out_features, bias=True, *, weight=None)" in out.splitlines()
    assert "  gd(a, start=, lr=, steps=, momentum=, dampening=, nesterov=, weight_decay=)" in out.splitlines()


def test_goals_reads_the_registries_not_a_list(monkeypatch):
    """A builtin registered now is listed, with its signature."""
    from derive.model import builtins
    monkeypatch.setitem(builtins.BUILTINS, "zz_probe", builtins.Builtin(
        "zz_probe", lambda *a: None, (1, 3), ("scale",), "a probe registered by the test"))
    from derive.derivers import goals
    monkeypatch.setitem(goals.GOALS, "zz_goal", goals.GoalSpec((), (2, 2), ("lr",), "a goal with no strategy"))
    out = run("goals")[1].splitlines()
    i = out.index("  zz_probe(a[, b, c], scale=)")
    assert out[i + 1].strip() == "a probe registered by the test"
    i = out.index("  zz_goal(a, b, lr=)")
    assert out[i + 1].strip() == "a goal with no strategy (part of the language, not implemented yet)"


def test_solve_reads_an_existing_file_whatever_its_extension(tmp_path, monkeypatch):
    import derive
    (tmp_path / "exam.txt").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    for arg in ("exam.txt", str(tmp_path / "exam.txt"), Path("exam.txt")):
        solution = derive.solve(arg)
        assert solution.source == str(arg) and [r.answer.text for r in solution.results] == ["log(10/7)", "6"]
    assert run("solve", "exam.txt", "--format", "json", cwd=tmp_path)[0] == 0
    with pytest.raises(derive.DeriveError, match="no such file"):
        derive.solve("missing.spec")
    # spec text stays spec text, even one line of it
    assert derive.solve('problem "p" { let a = 1 find a }').results[0].answer.text == "1"


@pytest.mark.parametrize("content, what", [("", "empty"), ("\n  \n\t\n", "empty"), ("# a comment\n\n  # two\n",
                                                                                     "only comments")])
def test_empty_input_says_so(tmp_path, content, what):
    import derive
    path = tmp_path / "empty.spec"
    path.write_text(content)
    message = f"error: the spec is {what}: there is nothing to solve"
    for args, stdin, name in ((("solve", path), None, str(path)), (("check", path), None, str(path)),
                              (("solve", "-"), content.encode(), "<stdin>"),
                              (("check", "-"), content.encode(), "<stdin>")):
        code, out, err = run(*args, stdin=stdin)
        assert code == 2 and out == ""
        assert err.startswith(f"{name}: {message}"), err
    with pytest.raises(derive.DeriveError, match=f"the spec is {what}"):
        derive.solve(content)


# ---- output that cannot be written as asked: a full disk, an ASCII terminal ----------------

needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")


@needs_dev_full
def test_a_full_disk_is_an_error_not_a_traceback(good):
    assert run("solve", good, "-o", "/dev/full") == (
        2, "", "/dev/full: error: cannot write the output: No space left on device\n")
    proc = subprocess.run(f"{sys.executable} -m derive solve {good} > /dev/full", shell=True, capture_output=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=GUARD)
    assert proc.returncode == 2
    assert proc.stderr.decode() == "<stdout>: error: cannot write the output: No space left on device\n"


UNICODE = '''problem "Übung: η ≥ 0" {
  f(w) = w^2 + 2*w + 1
  (a) find gd(f, start = 5, lr = 0.1, steps = 2)
  (b) find [[1, 2], [3, 4]] @ ones(2, 1)
}
'''


def test_an_ascii_terminal_gets_ascii(tmp_path):
    path = tmp_path / "u.spec"
    path.write_text(UNICODE, encoding="utf-8")
    code, out, err = run_process("solve", path, "--format", "text", env={"PYTHONIOENCODING": "ascii"})
    assert code == 0, err
    assert out.isascii() and err == ""
    assert "1. Ubung: eta >= 0" in out and ": ok" in out and "w_(k+1) = w_k - eta" in out
    utf8 = {fmt: run("solve", path, "--format", fmt)[1] for fmt in ("json", "html", "md")}
    for fmt in ("json", "html", "md"):
        code, out, err = run("solve", path, "--format", fmt, encoding="ascii")
        assert code == 0 and out.isascii(), fmt
        if fmt == "json":                       # the same document, \u-escaped
            assert json.loads(out) == json.loads(utf8["json"]) and "\\u03b7" in out
        elif fmt == "html":                     # the same page, with character references
            refs = lambda page: re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), page)   # noqa: E731
            assert "&#951;" in out and refs(out) == refs(utf8["html"])
        else:
            assert "# 1. Ubung: eta >= 0" in out
    # files are UTF-8 whatever the terminal
    code, _, _ = run("solve", path, "-o", tmp_path / "u.md", encoding="ascii")
    assert code == 0 and (tmp_path / "u.md").read_text(encoding="utf-8") == utf8["md"]


def test_error_messages_on_an_ascii_terminal(tmp_path):
    path = tmp_path / "bad.spec"
    path.write_text('problem "p" {\n  let W = ones(2, 3)\n  h = W @ [1, 2]\n}\n')
    code, out, err = run("solve", path, encoding="ascii")
    assert code == 2 and err.isascii() and "\\u" not in err
    assert "a 2x3 matrix" in err


def test_transliteration_keeps_subscripts_apart_from_powers():
    from derive.asciitext import transliterate
    assert transliterate("wₖ₊₁ = x² + ŷ₁ · η ✓") == "w_(k+1) = x^2 + y_1 * eta ok"
    assert transliterate("⎡1⎤\n⎣2⎦") == "[1]\n[2]"
    assert transliterate("plain") == "plain"
