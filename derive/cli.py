"""The `derive` command: argument parsing, exit codes, nothing else.

    derive solve FILE|- [--format md|latex|html|json|text] [--view solutions|paper|key]
                        [--output FILE] [--templates DIR]

Exit codes: 0 every goal solved; 1 some goals gave errors (the solution is still
printed); 2 the spec could not be read (the error is printed as FILE:LINE:COL: error:
MESSAGE with the source line and a caret).
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

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
"""


def _parser() -> argparse.ArgumentParser:
    from .render import FORMATS, VIEWS
    from .version import __version__
    ap = argparse.ArgumentParser(
        prog="derive", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Derive machine-learning exam answers step by step, every step checked.",
        epilog=EXAMPLE)
    ap.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    solve = sub.add_parser("solve", help="solve a spec and print the solution",
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLE)
    solve.add_argument("file", metavar="FILE", help="the spec file, or - for standard input")
    solve.add_argument("--format", "-f", choices=FORMATS, default="md", help="output format (default: md)")
    solve.add_argument("--view", choices=VIEWS, default="solutions",
                       help="solutions (default): worked solutions; paper: questions only; key: final answers")
    solve.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")
    solve.add_argument("--templates", metavar="DIR", help="a folder of templates that override derive's own")
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    ap = _parser()
    args = ap.parse_args(argv)
    if args.command is None:
        ap.print_help()
        return 2
    from .errors import DeriveError
    from .pipeline import solve
    from .render import render
    try:
        if args.file == "-":
            solution = solve(sys.stdin.read(), "<stdin>")
        else:
            from pathlib import Path
            path = Path(args.file)
            if not path.is_file():
                raise DeriveError(f"no such file: {args.file}")
            solution = solve(path)
        out = render(solution, args.format, view=args.view, templates=args.templates)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(out)
        else:
            sys.stdout.write(out)
            sys.stdout.flush()
    except DeriveError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except RecursionError:
        print(f"{args.file}: error: the spec is nested too deeply to derive", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return solution.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
