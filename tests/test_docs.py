"""Every example in README.md and docs/*.md runs, and says what derive really does.

Each fenced block carries its kind:
  spec     solved; a block of statements is wrapped in a problem; every goal must derive
  console  a shell session: `$ cat FILE` lines define FILE, `$ derive ...` runs the command
           (in this process) and its output must match the lines shown (`...` stands for
           any lines)
  python   run in a folder holding `exam.spec`; a derivation module is loaded into
           `derive.derivations` and its derivation solved
  json     the output contract's example: its keys, in order, are those derive writes
  text     the command synopsis: every command and option in it exists
  sh       installation commands: not run (tests/test_install.py installs the wheel), but
           the test command is the one .ci/run runs
The README's skip list and packaging (LICENSE, pyproject) are checked here too.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import shlex
import shutil
import tomllib
from pathlib import Path

import pytest
import sympy as sp

import derive
from derive import cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
KINDS = {"spec", "console", "python", "json", "text", "sh"}
FENCE = re.compile(r"^```(\S*)\n(.*?)^```$", re.M | re.S)


def blocks(kind: str | None = None) -> list[tuple[str, str, str]]:
    """(where, kind, body) of every fenced block of the docs, optionally of one kind."""
    out = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            where = f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
            if kind is None or m.group(1) == kind:
                out.append((where, m.group(1), m.group(2)))
    return out


def ids(bs):
    return [b[0] for b in bs]


def run_cli(args: list[str]) -> tuple[int, str]:
    """`derive ARGS` in this process: (exit code, standard output and error as one text)."""
    if args and args[0] in ("solve", "check"):
        args = [*args, "--max-memory", "0"]       # a memory cap would bind the test process
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)   # a UTF-8 terminal
    with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
        code = cli.main(args)
    return code, raw.getvalue().decode("utf-8")


def test_every_block_says_what_it_is():
    assert len(blocks()) >= 12
    assert {kind for _, kind, _ in blocks()} <= KINDS, [(w, k) for w, k, _ in blocks() if k not in KINDS]


def _as_spec(body: str, tmp_path: Path) -> Path:
    for inc in re.findall(r'^\s*include "([^"]+)"', body, re.M):   # an included bank file
        target = tmp_path / inc
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text('problem "Included" {\n  let a = 2\n  find a^2\n}\n')
    top = re.search(r'^\s*(problem|section)\s+"', body, re.M)
    text = body if top else 'problem "Example from the docs" {\n' + body + "\n}\n"
    path = tmp_path / "example.spec"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("where, kind, body", blocks("spec"), ids=ids(blocks("spec")))
def test_spec_examples_solve(where, kind, body, tmp_path):
    solution = derive.solve(_as_spec(body, tmp_path))
    assert solution.problems
    failed = [(r.label, r.goal, r.error.message) for r in solution.results if r.error]
    assert failed == [], where
    assert run_cli(["check", str(tmp_path / "example.spec")])[0] == 0


def _session(body: str) -> list[tuple[str, list[str]]]:
    """A console block as (command, the lines shown after it)."""
    steps: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def _matches(got: list[str], want: list[str]) -> bool:
    """Whether `got` equals `want`, a line `...` (alone, any indent) standing for any lines."""
    if not want:
        return not got
    if want[0].strip() == "...":
        return any(_matches(got[i:], want[1:]) for i in range(len(got) + 1))
    return bool(got) and got[0].rstrip() == want[0].rstrip() and _matches(got[1:], want[1:])


@pytest.mark.parametrize("where, kind, body", blocks("console"), ids=ids(blocks("console")))
def test_console_examples_print_what_they_show(where, kind, body, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ran = 0
    for command, shown in _session(body):
        argv = shlex.split(command, comments=True)
        if argv[0] == "cat":
            Path(argv[1]).write_text("\n".join(shown) + "\n", encoding="utf-8")
            continue
        assert argv[0] == "derive", command
        code, out = run_cli(argv[1:])
        assert code in (0, 2), out
        assert _matches(out.rstrip("\n").split("\n"), shown), f"{where}: `{command}` printed\n{out}"
        ran += 1
    assert ran


TOUR = next(body for where, kind, body in blocks("spec") if where.startswith("README"))


@pytest.mark.parametrize("where, kind, body", blocks("python"), ids=ids(blocks("python")))
def test_python_examples_run(where, kind, body, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exam.spec").write_text(TOUR, encoding="utf-8")
    if "examples/" in body:                       # (docs/grading.md grades the seed exam)
        shutil.copytree(ROOT / "examples", tmp_path / "examples")
    if "from . import derivation" in body:
        _run_derivation_module(body)
        return
    namespace: dict = {}
    exec(compile(body, where, "exec"), namespace)   # noqa: S102 - the docs' own example
    if "print(" in body:
        assert capsys.readouterr().out


def _run_derivation_module(body: str) -> None:
    """The docs' derivation module, loaded as part of derive.derivations and solved."""
    from derive import derivations
    name = re.search(r'@derivation\("(\w+)"', body).group(1)
    spec = importlib.util.spec_from_loader(f"derive.derivations.{name}", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "derive.derivations"
    try:
        exec(compile(body, f"docs:{name}", "exec"), module.__dict__)   # noqa: S102
        result = derive.solve(f'problem "p" {{\n  find derivation({name})\n}}\n').results[0]
    finally:
        derivations.DERIVATIONS.pop(name, None)
    assert result.error is None
    assert [s.checked for s in result.steps] == [None, True, True]
    z = sp.Symbol("z", real=True)                   # independently: d/dz of 1/(1 + e^-z)
    assert sp.simplify(result.answer.expr - sp.diff(1 / (1 + sp.exp(-z)), z)) == 0


def test_the_json_example_has_the_keys_derive_writes():
    (where, _, body), = blocks("json")
    example = json.loads(body)
    real = derive.solve('title "T"\nproblem "p" {\n  let a = 20\n  o = a + 4\n  (b) find o\n'
                        '  (f) [2] find frobnicate(o)\n}\n').to_json()
    assert list(example) == list(real)
    ep, rp = example["problems"][0], real["problems"][0]
    assert list(ep) == list(rp)
    (eok, eerr), (rok, rerr) = ep["results"], rp["results"]
    assert list(eok) == list(rok) and list(eerr) == list(rerr)
    assert list(eok["answer"]) == list(rok["answer"]) and eok["answer"]["kind"] == rok["answer"]["kind"]
    assert list(eok["steps"][0]) == list(rok["steps"][-1])
    assert list(eok["steps"][0]["relations"][0]) == list(rok["steps"][-1]["relations"][0])
    assert list(eerr["error"]) == list(rerr["error"]) and eerr["error"]["message"] == rerr["error"]["message"]


def test_the_synopsis_names_real_commands_and_options():
    parser = cli._parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for where, _, body in blocks("text"):
        for line in body.splitlines():
            words = line.split("#")[0].split()
            if not words or words[0] != "derive":
                continue
            assert words[1] in sub, (where, line)
            known = {o for a in sub[words[1]]._actions for o in a.option_strings}
            for option in re.findall(r"--[a-z-]+", line.split("#")[0]):
                assert option in known, (where, option)


def test_install_commands_are_the_ones_ci_runs():
    (where, _, body), = blocks("sh")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv .venv && . .venv/bin/activate" in body
    commands = [line.split("#")[0].strip() for line in body.splitlines()]
    assert "python3 -m pytest" in commands and "python3 -m pytest" in ci
    assert "python3 -m pip install -e '.[test]'" in commands and "pip install --quiet -e '.[test]'" in ci


def test_every_skip_reason_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    reasons = set()
    for path in (ROOT / "tests").glob("test_*.py"):
        if path.name == "test_docs.py":
            continue
        src = path.read_text(encoding="utf-8")
        reasons |= set(re.findall(r'reason="([^"]+)"', src))
        reasons |= set(re.findall(r'pytest\.skip\("([^"(]+)', src))
        reasons |= {f"{m} (`importorskip`)" for m in re.findall(r'importorskip\("(\w+)"\)', src)}
    assert len(reasons) >= 8
    missing = [r for r in reasons if r.strip() not in readme]
    assert missing == []


def test_ci_installs_what_the_skipped_tests_need():
    ci = (ROOT / ".ci" / "run").read_text()
    for need in ("torch==2.13.0", "ipython", "RUN_SLOW=1", "chromium", "texlive-latex-base", "poppler-utils"):
        assert need in ci, need


def test_the_license_is_mit_and_packaged():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["license"] == "MIT" and meta["project"]["license-files"] == ["LICENSE"]
    floor = re.search(r"setuptools>=([\d.]+)", meta["build-system"]["requires"][0]).group(1)
    assert tuple(map(int, floor.split("."))) >= (77,)        # PEP 639 fields
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_the_limitations_page_exists_and_is_linked():
    page = (ROOT / "docs" / "limitations.md").read_text(encoding="utf-8")
    assert page.startswith("# What derive does not do") and page.count("\n- ") >= 8
    assert "docs/limitations.md" in (ROOT / "README.md").read_text(encoding="utf-8")
