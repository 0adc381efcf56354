"""The `derive` command: arguments in, a rendered solution (or an error) out.

    derive solve FILE|- [--format md|latex|html|json|text|python] [--view solutions|paper|key]
                        [--output FILE] [--templates DIR] [--include-path DIR]...
                        [--time-limit S] [--max-memory MB]
    derive check FILE|- [--include-path DIR]... [--time-limit S] [--max-memory MB]
                             parse and build the spec, derive nothing (0: readable, 2: not)
    derive goals             the goals, builtins, layers and derivations a spec can use
    derive solve FILE --seed S   the variant S of a spec with `vary` (derive.variants)
    derive variants FILE -n N -o DIR [--format md,json] [--view solutions,key] [--seed S]
                             N distinct, fully checked variants and manifest.json
    derive export FILE --to moodle|qti|prairielearn -o OUT [--seed S] [-n N] [--math mathml|tex]
                             questions, keys and tolerances for a platform (derive.export)
    derive grade SPEC RESPONSES [--format json|csv] [--output FILE] [--no-ecf] [--jobs N]
                             grade students' answers (JSON or CSV) against the derived key

`--output FILE` without `--format` takes the format from FILE's extension (FORMAT_OF_SUFFIX;
another extension, or none, gives Markdown).  Standard output that cannot encode Unicode
(PYTHONIOENCODING=ascii) gets ASCII (derive.asciitext); a failed write (a full disk) is an
error with exit code 2.

--time-limit is the budget of the whole run (derive.Limits(time=...)); --max-memory caps
this process's address space, set only when derive runs as its own process (`run()`)
and undone when main() returns.  Control characters from a spec never reach the terminal
(`visible`).

Exit codes: 0 every goal solved; 1 some goals gave errors (the solution is still
printed, and each error is also reported on standard error); 2 the spec could not be
read (syntax or semantic error, or a limit: printed as FILE:LINE:COL: error: MESSAGE
with the source line and a caret); 3 an internal error (a bug in derive, reported in one
line; set DERIVE_DEBUG=1 for the traceback).  Never a traceback otherwise.

Start-up matters (a grading script runs derive once per submission): this module
imports nothing heavy until a spec is actually solved, and `--help`/`--version` import
neither sympy nor lark.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

FORMATS = ("md", "latex", "html", "json", "text", "python")     # = derive.render.FORMATS (checked by a test)
VIEWS = ("solutions", "paper", "key")                  # = derive.render.VIEWS
FORMAT_OF_SUFFIX = {".md": "md", ".markdown": "md", ".tex": "latex", ".latex": "latex", ".html": "html",
                    ".htm": "html", ".json": "json", ".txt": "text", ".py": "python"}

EXAMPLE = """\
example:
  $ cat gd.spec
  problem "Gradient descent" {
    f(w) = w^2 + 2*w + 1
    (a) find gd(f, start = 5, lr = 0.1, steps = 2)
  }
  $ derive solve gd.spec                  # Markdown with every step
  $ derive solve gd.spec --format json    # answers and steps for a grading tool
  $ derive solve exam.spec --format latex --output exam.tex && pdflatex exam.tex
  $ cat gd.spec | derive solve - --format text
  $ derive solve gd.spec -o gd.html        # the format from the extension
  $ derive check gd.spec                  # readable? (for editors and CI)
  $ derive goals                          # what a spec can ask for

exit codes: 0 solved; 1 some goals failed (solution still printed); 2 the spec could
not be read (FILE:LINE:COL: error: MESSAGE); 3 internal error
"""


def _parser() -> argparse.ArgumentParser:
    from .version import __version__
    ap = argparse.ArgumentParser(
        prog="derive", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Derive machine-learning exam answers step by step, every step checked.",
        epilog=EXAMPLE)
    ap.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    solve = sub.add_parser("solve", help="solve a spec and print the solution",
                           description="Solve a problem spec and print its worked solution.",
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLE)
    solve.add_argument("file", metavar="FILE", help="the spec file, or - for standard input")
    solve.add_argument("--format", "-f", choices=FORMATS, default=None,
                       help="output format (default: from the --output extension, else md)")
    solve.add_argument("--view", choices=VIEWS, default="solutions",
                       help="solutions (default): worked solutions; paper: questions only; key: final answers")
    solve.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    solve.add_argument("--templates", metavar="DIR", help="a folder of templates that override derive's own")
    solve.add_argument("--seed", metavar="SEED", default=None,
                       help="solve the variant SEED of a spec with `vary` (default: the written defaults)")
    _limit_options(solve)
    _variants_command(sub)
    _export_command(sub)
    check = sub.add_parser("check", help="parse and build a spec without deriving it (exit 0 or 2)",
                           description="Read a spec as `solve` does (syntax, names, shapes, includes) but "
                                       "derive nothing: exit 0 if it is readable, 2 with its errors if not.")
    check.add_argument("file", metavar="FILE", help="the spec file, or - for standard input")
    _limit_options(check)
    sub.add_parser("goals", help="list the goals, builtins, layers and derivations, with their signatures",
                   description="List what a spec can ask for, from derive's registries.")
    _grade_parser(sub)
    return ap


def _variants_command(sub) -> None:
    """`derive variants FILE -n N -o DIR`: the options (derive/variants/)."""
    var = sub.add_parser("variants", help="write N checked variants of a spec with `vary`, and manifest.json",
                         description="Draw, derive and check N distinct variants of a spec; write one document "
                                     "per variant, format and view into a new folder, with manifest.json.")
    var.add_argument("file", metavar="FILE", help="the spec file, or - for standard input")
    var.add_argument("-n", dest="count", metavar="N", required=True, help="how many variants (at most 1000)")
    var.add_argument("--output", "-o", metavar="DIR", required=True, help="a new (or empty) folder to write into")
    var.add_argument("--format", "-f", default="md", metavar="FORMATS",
                     help=f"comma-separated formats among {','.join(FORMATS)} (default: md)")
    var.add_argument("--view", default="solutions", metavar="VIEWS",
                     help=f"comma-separated views among {','.join(VIEWS)} (default: solutions)")
    var.add_argument("--seed", metavar="SEED", default="1", help="the first seed tried (default: 1)")
    var.add_argument("--templates", metavar="DIR", help="a folder of templates that override derive's own")
    _limit_options(var)


def _export_command(sub) -> None:
    """`derive export FILE --to HOST -o OUT [--seed S] [-n N]` (derive/export/)."""
    ex = sub.add_parser("export", help="write a spec's questions and keys for Moodle, Canvas (QTI) or PrairieLearn",
                        description="Export the questions, keys and acceptances of a spec (or of N checked "
                                    "variants) in a format a host imports.")
    ex.add_argument("file", metavar="FILE", help="the spec file, or - for standard input")
    ex.add_argument("--to", required=True, choices=("moodle", "qti", "prairielearn"), help="the host")
    ex.add_argument("--output", "-o", metavar="OUT", required=True,
                    help="the file to write (moodle: .xml, qti: .zip) or a new folder (prairielearn)")
    ex.add_argument("--seed", metavar="SEED", default=None, help="the variant SEED (with -n: the first seed)")
    ex.add_argument("-n", dest="count", metavar="N", default=None, help="export N checked variants")
    ex.add_argument("--math", choices=("mathml", "tex"), default="mathml",
                    help="maths in the HTML as MathML (default) or as \\(...\\)")
    _limit_options(ex)


def _grade_parser(sub) -> None:
    grade = sub.add_parser("grade", help="grade students' answers against the derived key (docs/grading.md)",
                           description="Grade answer sheets (JSON or CSV, one per student) against the "
                                       "spec's derived answers: per-student grades and a summary per result.")
    grade.add_argument("file", metavar="SPEC", help="the exam spec")
    grade.add_argument("responses", metavar="RESPONSES", help="answers: .json / .jsonl (one object per student) or .csv")
    grade.add_argument("--format", "-f", choices=("json", "csv", "gradescope"), default=None,
                       help="json (default): every grade and a summary; csv: a gradebook; "
                            "gradescope: the autograder's results.json of one sheet")
    grade.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    grade.add_argument("--responses-format", choices=("json", "csv"), default=None,
                       help="how RESPONSES is written (default: from its extension)")
    grade.add_argument("--no-ecf", action="store_true", help="no error carried forward")
    grade.add_argument("--jobs", "-j", metavar="N", type=int, default=1, help="grade in N processes (default: 1)")
    grade.add_argument("--answer-time-limit", metavar="SECONDS", type=_seconds, default=3.0,
                       help="the longest one answer's comparison may take (default: 3)")
    _limit_options(grade)


def _limit_options(cmd: argparse.ArgumentParser) -> None:
    """The options that bound a run, shared by `solve` and `check`."""
    cmd.add_argument("--time-limit", metavar="SECONDS", type=_seconds, default=60.0,
                     help="budget of the whole run: parse, build and every goal (default: 60)")
    cmd.add_argument("--max-memory", metavar="MB", type=_megabytes, default=2048,
                     help="refuse to grow past this much memory (default: 2048; 0: no limit)")
    cmd.add_argument("--include-path", metavar="DIR", action="append", default=[],
                     help="a folder `include` may also read from (repeatable; the spec's own folder always)")


def _seconds(text: str) -> float:
    """--time-limit: a finite number of seconds, more than 0 and at most a week."""
    from .limits import MAX_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= MAX_SECONDS:     # (false for nan)
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_SECONDS:,} s (a week), not {text}")
    return value


def _megabytes(text: str) -> int:
    """--max-memory: a whole number of megabytes, 0 for no cap."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of megabytes: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no cap) or more, not {text}")
    return value


_CONTROL = {c: chr(0x2400 + c) for c in range(32) if c not in (9, 10)} | {127: "\u2421"} | \
    {c: f"\\x{c:02x}" for c in range(0x80, 0xA0)}
_JSON_CONTROL = {c: f"\\u{c:04x}" for c in [*range(32), 127, *range(0x80, 0xA0)] if c not in (9, 10)}


def visible(text: str, fmt: str = "text") -> str:
    """`text` with terminal control characters (C0 but tab and newline, DEL, C1) made
    harmless: shown as symbols (ESC as U+241B) or \\xNN, or in JSON (only ever inside a
    string there) as the \\u escape of the same character, so that JSON keeps its value."""
    return text.translate(_JSON_CONTROL if fmt == "json" else _CONTROL)


def output_format(fmt: str | None, target: str | None) -> str:
    """The --format given, else the one --output's extension names, else md."""
    if fmt:
        return fmt
    if target:
        return FORMAT_OF_SUFFIX.get(os.path.splitext(target)[1].lower(), "md")
    return "md"


def _refuse_overwriting_input(spec: str, target: str | None) -> None:
    """A DeriveError if `--output` names the spec file itself (it would be lost)."""
    from .errors import DeriveError
    if not target or spec == "-":
        return
    try:
        same = os.path.samefile(spec, target)
    except OSError:        # one of them does not exist (yet): not the same file
        return
    if same:
        raise DeriveError("the output would overwrite the input spec; choose another --output file",
                          file=target)


def _read_stdin() -> str:
    from .errors import DeriveError, LimitError
    from .syntax import MAX_SPEC_BYTES
    data = sys.stdin.buffer.read(MAX_SPEC_BYTES + 1)
    if len(data) > MAX_SPEC_BYTES:
        raise LimitError(f"the spec is larger than {MAX_SPEC_BYTES // 1000:,} kB; split it into files joined "
                         "with `include`", file="<stdin>")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DeriveError(f"not UTF-8 text (byte {exc.start} cannot be decoded)", file="<stdin>") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _report_goal_errors(solution) -> None:
    """Each failed goal as FILE:LINE:COL: error: MESSAGE (+ caret) on standard error."""
    from .errors import Pos
    for result in solution.results:
        err = result.error
        if err is None:
            continue
        src = result.pos.source if result.pos is not None else None
        label = f"{result.label} " if result.label else ""
        if src is not None and err.line:
            pos = Pos(src, err.line, err.column or 1)
            caret = pos.caret()
            _err(f"{pos}: error: {label}{err.message}" + (f"\n{caret}" if caret else ""))
        else:
            _err(f"{solution.source}: error: {label}{err.message}")


def _err(message: str) -> None:
    """A message on standard error, in ASCII if its encoding cannot write it."""
    from .asciitext import to_encoding
    print(to_encoding(visible(message), "text", sys.stderr.encoding or "utf-8"), file=sys.stderr)


def _quiet_stdout() -> None:
    """Point standard output at /dev/null after a failed write, so that the interpreter's
    final flush of what is still buffered neither fails nor prints a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):   # not a real file (a test's capture)
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass


def _write(out: str, target: str | None, fmt: str = "text") -> None:
    """`out` into the file `target` (UTF-8), or onto standard output in its encoding."""
    from .errors import DeriveError
    out = visible(out, fmt)
    if target:
        try:
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(out)
        except OSError as exc:
            raise DeriveError(f"cannot write the output: {exc.strerror or exc}", file=target) from None
        return
    from .asciitext import to_encoding
    out = to_encoding(out, fmt, sys.stdout.encoding or "utf-8")
    try:
        sys.stdout.write(out)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:   # ENOSPC (`> /dev/full`), EIO, ...
        _quiet_stdout()
        raise DeriveError(f"cannot write the output: {exc.strerror or exc}", file="<stdout>") from None


def _solve(args, limits) -> int:
    from .pipeline import solve
    from .render import render
    fmt = output_format(args.format, args.output)
    _refuse_overwriting_input(args.file, args.output)
    from pathlib import Path
    source, name = (_read_stdin(), "<stdin>") if args.file == "-" else (Path(args.file), None)
    if args.seed is not None:
        from .variants import solve_variant
        solution = solve_variant(source, args.seed, name, limits=limits, include_path=args.include_path)
    else:
        solution = solve(source, name, limits=limits, include_path=args.include_path)
    out = render(solution, fmt, view=args.view, templates=args.templates)
    _write(out, args.output, fmt)
    _report_goal_errors(solution)
    return solution.exit_code


def _choices(text: str, allowed: tuple[str, ...], what: str) -> list[str]:
    """A comma-separated --format/--view list, each among `allowed`, without repeats."""
    from .errors import DeriveError
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad or not items:
        raise DeriveError(f"unknown {what} `{bad[0] if bad else text}` (choose from {', '.join(allowed)})")
    return list(dict.fromkeys(items))


def _variants(args, limits) -> int:
    """Generate, check and write the variants; the summary on standard error."""
    from .variants import generate
    from .variants.files import summary, write
    formats, views = _choices(args.format, FORMATS, "format"), _choices(args.view, VIEWS, "view")
    from .variants.batch import check_count
    from .variants.files import _target
    count = check_count(args.count)
    _target(args.output)         # refused before the work, not after
    from pathlib import Path
    source, name = (_read_stdin(), "<stdin>") if args.file == "-" else (Path(args.file), None)
    batch = generate(source, count, name, start=args.seed, limits=limits, include_path=args.include_path)
    write(batch, args.output, formats, views, args.templates)
    _err(summary(batch).rstrip("\n"))
    return 0


def _export(args, limits) -> int:
    """Write the export; each result left out is reported on standard error (exit 1)."""
    from pathlib import Path
    from .export import export
    from .variants.batch import check_count
    count = check_count(args.count) if args.count is not None else None
    source, name = (_read_stdin(), "<stdin>") if args.file == "-" else (Path(args.file), None)
    skipped = export(source, args.to, args.output, seed=args.seed, n=count, math=args.math, filename=name,
                     limits=limits, include_path=args.include_path)
    shown = name or args.file
    for rid, why in skipped:
        _err(f"{shown}: not exported: {rid}: {why}")
    what = f"{count} variants of " if count else (f"variant {args.seed} of " if args.seed is not None else "")
    _err(f"{shown}: {what}the exam exported for {args.to} to {args.output}"
         + (f" ({len({r for r, _ in skipped})} results left out)" if skipped else ""))
    return 1 if any("marked by hand" not in why for _, why in skipped) else 0


def _check(args, limits) -> int:
    """Parse and build (never derive); one summary line on standard output, and each layer
    that cannot be built (an unknown constructor, a bad argument) on standard error (exit 1)."""
    from pathlib import Path
    from .limits import interruptible, running
    from .pipeline import build, read_spec
    from .syntax import parse
    with running(limits) as lim:
        text, name = read_spec(_read_stdin(), "<stdin>") if args.file == "-" else \
            read_spec(Path(args.file), max_bytes=lim.spec_bytes)
        with interruptible():
            problems = build(parse(text, name, include_path=args.include_path))
    goals = sum(len(p.goals) for p in problems)
    broken = [b.error for p in problems for b in p.names.values() if b.kind == "layer" and b.error is not None]
    for err in broken:     # (a layer derive cannot build fails only its goals when solved; check names it)
        _err(str(err))
    _write(f"{name}: {'ok' if not broken else f'{len(broken)} layer error' + 's' * (len(broken) != 1)}: "
           f"{len(problems)} problem{'s' * (len(problems) != 1)}, {goals} goal{'s' * (goals != 1)}\n", None)
    return 1 if broken else 0


def _goals() -> int:
    from .catalog import listing
    _write(listing(), None)
    return 0


def main(argv: Sequence[str] | None = None, *, process: bool = False) -> int:
    """Run the command; the exit code.  `process=True` (the `derive` command and
    `python -m derive`, where this is the whole process) also caps the address space at
    --max-memory; called in-process, main() changes nothing process-wide."""
    ap = _parser()
    args = ap.parse_args(argv)
    if args.command is None:
        ap.print_help(sys.stderr)
        return 2
    if args.command == "goals":
        args.file, args.max_memory, args.time_limit = "<goals>", 0, None
    name = "<stdin>" if args.file == "-" else args.file
    capped = None
    try:
        if args.command == "goals":
            return _goals()
        from .limits import Limits, cap_memory, restore_memory
        from .pipeline import solve  # noqa: F401 - (imported before the cap: loading libraries is not the run's cost)
        from .render import render  # noqa: F401
        limits = Limits(time=args.time_limit, memory=args.max_memory or None)
        if process:
            capped = cap_memory(limits.memory)
        if args.command == "grade" and args.format == "gradescope":
            from .export.gradescope import gradescope_command
            return gradescope_command(args, limits, _write, _err)
        if args.command == "grade":
            from .grading.command import grade_command
            return grade_command(args, limits, _write, _err)
        run_command = {"check": _check, "variants": _variants, "export": _export}.get(args.command, _solve)
        return run_command(args, limits)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:   # `derive solve x.spec | head`: the reader left, nothing to report
        _quiet_stdout()
        return 0
    except Exception as exc:   # noqa: BLE001 - the one place that turns anything into a message
        was_capped = capped is not None
        if was_capped:   # first (imported before the cap): reporting may import and allocate
            restore_memory(capped)
            capped = None
        err = _as_error(exc, name, args.max_memory, was_capped)
        if os.environ.get("DERIVE_DEBUG"):
            import traceback
            traceback.print_exc()
        _err(str(err))
        return err.exit_code
    finally:
        if capped is not None:
            restore_memory(capped)


def _as_error(exc: Exception, name: str, max_memory: int, capped: bool = False):
    """Any exception as the DeriveError to report (InternalError: a bug in derive); `capped`:
    the run was under a memory cap (see limits.out_of_memory)."""
    from .errors import DeriveError, InternalError, LimitError
    from .limits import out_of_memory
    if isinstance(exc, DeriveError):
        err = exc
    elif isinstance(exc, RecursionError):
        err = LimitError("the spec is nested too deeply for derive to work out", file=name)
    elif out_of_memory(exc, capped):
        err = LimitError(f"derive ran out of memory (the limit is {max_memory} MB; see --max-memory)", file=name)
    else:
        err = InternalError(f"internal error ({type(exc).__name__}: {str(exc)[:200]}); this is a bug in "
                            "derive: please report it with the spec", file=name)
    if err.pos is None and err.file is None:
        err.file = name
    return err


def run() -> None:
    """The `derive` command's entry point: main() as the whole process."""
    sys.exit(main(process=True))


if __name__ == "__main__":  # pragma: no cover
    run()
