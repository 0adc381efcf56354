"""Text in, `ast.Spec` out: lark's LALR parser over grammars/spec.lark, a Transformer to
the AST dataclasses, include resolution, and parse errors put into words.

Nothing here evaluates anything: the tree is data.  Limits (size, nesting) are enforced
before and after parsing so that hostile input is refused in bounded time.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
from pathlib import Path
from typing import Sequence

from lark import Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from . import ast
from .errors import DeriveError, LimitError, Pos, Source, SpecSyntaxError
from .limits import check, current
from .literals import MAX_NUMBER_DIGITS, number as _number, num_tensor as _num_tensor  # noqa: F401
from .grammar import parser
from .parse_errors import explain
from .vary_syntax import vary

MAX_SPEC_BYTES = 1_000_000     # = Limits().spec_bytes: one file, and a spec with its includes
MAX_NESTING = 100              # brackets
MAX_DEPTH = 200                # levels of the parse tree (operators, calls, brackets)


def _pos(source: Source, meta) -> Pos:
    if getattr(meta, "empty", True) and not hasattr(meta, "line"):
        return Pos(source, 1, 1)
    return Pos(source, meta.line, meta.column, meta.end_line, meta.end_column,
               meta.start_pos, meta.end_pos)


def _tok_pos(source: Source, tok: Token) -> Pos:
    return Pos(source, tok.line, tok.column, tok.end_line, tok.end_column, tok.start_pos, tok.end_pos)


def _string(tok: Token) -> str:
    s = str(tok)
    if s.startswith('"""'):
        body = s[3:-3]
        # Strip the common indentation of continuation lines, as exam prose is indented.
        lines = body.split("\n")
        rest = [l for l in lines[1:] if l.strip()]
        indent = min((len(l) - len(l.lstrip(" ")) for l in rest), default=0)
        lines = [lines[0]] + [l[indent:] for l in lines[1:]]
        return "\n".join(lines).strip("\n")
    return s[1:-1]


@v_args(meta=True)
class _ToAst(Transformer):
    """lark Tree -> ast dataclasses.  Every node gets its position."""

    def __init__(self, source: Source):
        super().__init__(visit_tokens=False)     # (no rule here is named after a token: tokens pass as they are)
        self.src = source

    def p(self, meta) -> Pos:
        check()
        return _pos(self.src, meta)

    # documents
    def start(self, meta, items):
        return list(items)

    def header_key(self, meta, ch):
        return str(ch[0])

    def header(self, meta, ch):
        return ("header", ch[0], ch[1])

    def include(self, meta, ch):
        return ast.Include(ch[0], self.p(meta))

    def section(self, meta, ch):
        return ast.SectionDef(ch[0], tuple(ch[1:]), self.p(meta))

    def problem(self, meta, ch):
        name, title, points, *stmts = ch
        return ast.ProblemDef(title, points, tuple(stmts), self.p(meta), None, str(name) if name else None)

    def points(self, meta, ch):
        return ch[0].value

    def string(self, meta, ch):
        return _string(ch[0])

    def str_lit(self, meta, ch):
        return ast.Str(self.p(meta), _string(ch[0]))

    def number_lit(self, meta, ch):
        return ast.Num(self.p(meta), _number(str(ch[0]), self.p(meta)), str(ch[0]))

    # statements
    def label(self, meta, ch):
        marks = ch[1] if len(ch) > 1 else None
        return ast.Label(str(ch[0]), marks, self.p(meta))

    def marks(self, meta, ch):
        return ch[0].value

    def text_stmt(self, meta, ch):
        return ast.TextStmt(self.p(meta), ch[1], ch[0])

    def name_list(self, meta, ch):
        return tuple(str(t) for t in ch)

    def symbol_decl(self, meta, ch):
        return ast.SymbolDecl(self.p(meta), ch[0], ch[1] if len(ch) > 1 and ch[1] else ())

    def dim_item(self, meta, ch):
        return (str(ch[0]), ch[1])

    def dim_decl(self, meta, ch):
        return ast.DimDecl(self.p(meta), tuple(ch))

    def shape(self, meta, ch):
        return tuple(c for c in ch if c is not None)

    def vector_decl(self, meta, ch):
        return ast.TensorDecl(self.p(meta), "vector", ch[0], ch[1])

    def matrix_decl(self, meta, ch):
        return ast.TensorDecl(self.p(meta), "matrix", ch[0], ch[1])

    def let_stmt(self, meta, ch):
        return ast.Define(self.p(meta), "let", str(ch[0]), ch[1])

    def _value_or_shape(self, kind, meta, ch):
        value = ch[1] if len(ch) > 1 else None
        if isinstance(value, tuple):
            return ast.Define(self.p(meta), kind, str(ch[0]), None, value)
        return ast.Define(self.p(meta), kind, str(ch[0]), value)

    def input_stmt(self, meta, ch):
        return self._value_or_shape("input", meta, ch)

    def param_stmt(self, meta, ch):
        return self._value_or_shape("param", meta, ch)

    def layer_stmt(self, meta, ch):
        return ast.Define(self.p(meta), "layer", str(ch[0]), ch[1])

    def assign(self, meta, ch):
        return ast.Define(self.p(meta), "node", str(ch[0]), ch[1])

    def funcdef(self, meta, ch):
        name, *params, body = ch
        return ast.FuncDef(self.p(meta), str(name), tuple(str(p) for p in params if p is not None), body)

    def given_stmt(self, meta, ch):
        return ast.Given(self.p(meta), ch[0], ch[1])

    def option(self, meta, ch):
        lab = str(ch[0]).strip("()")
        expr = None if isinstance(ch[1], Token) else ch[1]
        return ast.Option(lab, expr, self.p(meta))

    def choices_stmt(self, meta, ch):
        return ast.Choices(self.p(meta), tuple(ch))

    def find_stmt(self, meta, ch):
        label, *goals = ch
        readings = tuple(g[1:] for g in goals if isinstance(g, tuple) and g[:1] == ("reading",))
        goals = [g for g in goals if not (isinstance(g, tuple) and g[:1] == ("reading",))]
        return ast.Find(self.p(meta), tuple(goals), label, readings)

    def reading(self, meta, ch):
        return ("reading", ch[0], tuple(ch[1:]))

    def answer_stmt(self, meta, ch):
        return ast.AnswerStmt(self.p(meta), ch[1], ch[0])

    def vary_stmt(self, meta, ch):
        return vary(self.p(meta), ch)

    def require_stmt(self, meta, ch):
        return ast.Require(self.p(meta), ch[0])

    # expressions
    def name(self, meta, ch):
        return ast.Name(self.p(meta), str(ch[0]))

    def true(self, meta, ch):
        return ast.Bool(self.p(meta), True)

    def false(self, meta, ch):
        return ast.Bool(self.p(meta), False)

    def binop(self, meta, ch):
        op = str(ch[1])
        op = {"**": "^"}.get(op, op)
        return ast.BinOp(self.p(meta), op, ch[0], ch[2])

    def unary(self, meta, ch):
        return ast.UnaryOp(self.p(meta), str(ch[0]), ch[1])

    def not_op(self, meta, ch):
        return ast.UnaryOp(self.p(meta), "not", ch[0])

    def and_op(self, meta, ch):
        return ast.BoolOp(self.p(meta), "and", ch[0], ch[1])

    def or_op(self, meta, ch):
        return ast.BoolOp(self.p(meta), "or", ch[0], ch[1])

    def compare(self, meta, ch):
        return ast.Compare(self.p(meta), str(ch[1]), ch[0], ch[2])

    def ifexpr(self, meta, ch):
        return ast.IfExpr(self.p(meta), ch[0], ch[1], ch[2])

    def call(self, meta, ch):
        func, *args = ch
        args = [a for a in args if a is not None]
        pos_args = tuple(a for a in args if not isinstance(a, ast.Keyword))
        kwargs = tuple(a for a in args if isinstance(a, ast.Keyword))
        seen = set()
        for k in kwargs:
            if k.name in seen:
                raise SpecSyntaxError(f"keyword argument `{k.name}` is given twice", k.pos)
            seen.add(k.name)
        order = [isinstance(a, ast.Keyword) for a in args]
        if order != sorted(order):
            bad = next(a for a, o in zip(args, order) if not o and any(order[:args.index(a)]))
            raise SpecSyntaxError("a positional argument cannot follow a keyword argument", bad.pos)
        return ast.Call(self.p(meta), func, pos_args, kwargs)

    def kwarg(self, meta, ch):
        return ast.Keyword(str(ch[0]), ch[1], self.p(meta))

    def index(self, meta, ch):
        return ast.Index(self.p(meta), ch[0], tuple(ch[1:]))

    def transpose(self, meta, ch):
        return ast.Transpose(self.p(meta), ch[0])

    def list_lit(self, meta, ch):
        return ast.ListLit(self.p(meta), tuple(c for c in ch if c is not None))

    def paren(self, meta, ch):
        if len(ch) == 1:
            return ch[0]
        return ast.Tuple(self.p(meta), tuple(ch))

    def lambda_(self, meta, ch):
        params = ch[0].items if isinstance(ch[0], ast.Tuple) else (ch[0],)
        for prm in params:
            if not isinstance(prm, ast.Name):
                raise SpecSyntaxError("a lambda's parameters must be names, as in `(i, j) -> i + j`", prm.pos)
        return ast.Lambda(self.p(meta), tuple(p.id for p in params), ch[1])

    def lambda1(self, meta, ch):
        return ast.Lambda(self.p(meta), (str(ch[0]),), ch[1])

    def num_tensor(self, meta, ch):
        return _num_tensor(self.src, ch[0])




def _check_nesting(source: Source) -> None:
    """Refuse deeply nested brackets before the parser sees them, pointing at the bracket."""
    text = source.text
    if text.count("(") + text.count("[") + text.count("{") <= MAX_NESTING:
        return
    from .spec_tokens import scan
    # Numeric tensor literals (no strings, comments or names inside, at most 2 deep) shrunk
    # to a number first: if the rest is at most MAX_NESTING - 2 deep, so is the whole.
    reduced = _numtensor_re().sub("0", text)
    if len(reduced) < len(text) and _max_depth(scan(reduced)[0]) <= MAX_NESTING - 2:
        return
    depth = 0
    for tok in scan(text)[0]:
        if tok.kind != "punct":
            continue
        if tok.text in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise LimitError(f"brackets are nested more than {MAX_NESTING} deep here; derive refuses deeper "
                                 "nesting (split the expression into named steps)",
                                 Pos(source, tok.line, tok.column, tok.line, tok.column + 1, tok.start, tok.end))
        elif tok.text in ")]}":
            depth = max(depth - 1, 0)


@functools.lru_cache(maxsize=1)
def _numtensor_re() -> re.Pattern:
    return re.compile(parser().get_terminal("NUMTENSOR").pattern.to_regexp())


def _max_depth(toks: list) -> int:
    depth = top = 0
    for tok in toks:
        if tok.kind == "punct" and tok.text in "([{":
            depth += 1
            top = max(top, depth)
        elif tok.kind == "punct" and tok.text in ")]}":
            depth = max(depth - 1, 0)
    return top


_EXPR_RULES = frozenset({"binop", "unary", "not_op", "and_op", "or_op", "compare", "ifexpr", "call", "index",
                         "transpose", "list_lit", "paren", "lambda_", "lambda1", "kwarg"})


def _too_deep(tree: Tree) -> Tree | None:
    """The outermost expression holding a node deeper than MAX_DEPTH levels (iteratively:
    no recursion), so the error points where the expression starts."""
    stack: list[tuple[Tree, int, Tree | None]] = [(tree, 1, None)]
    while stack:
        node, d, root = stack.pop()
        if d > MAX_DEPTH:
            return root or node
        for c in node.children:
            if isinstance(c, Tree):
                stack.append((c, d + 1, root if root is not None or c.data not in _EXPR_RULES else c))
    return None


def parse_source(source: Source) -> tuple[tuple[tuple[str, str], ...], list]:
    """Parse one file's text into its header lines and items (no include resolution)."""
    cap = current().spec_bytes
    if len(source.text) > cap or len(source.text.encode("utf-8", "replace")) > cap:
        raise LimitError(f"the spec is larger than {cap // 1000:,} kB; split it into files joined "
                         "with `include`", file=source.name)
    check()
    _check_nesting(source)
    try:
        tree = parser().parse(source.text, start="start")
    except UnexpectedInput as exc:
        raise explain(exc, source) from None
    deep = _too_deep(tree)
    if deep is not None:
        raise LimitError(f"this expression is nested more than {MAX_DEPTH} operations deep (each operator, call "
                         "or bracket of a chain counts); split it into named steps", _pos(source, deep.meta))
    try:
        items = _ToAst(source).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, DeriveError):
            raise exc.orig_exc from None
        raise
    header = tuple((i[1], i[2]) for i in items if isinstance(i, tuple))
    return header, [i for i in items if not isinstance(i, tuple)]


def parse_response(source: Source) -> tuple[ast.Expr, ...]:
    """A student's answer (grammar rule `response`: expressions separated by commas) as
    AST expressions; SpecSyntaxError / LimitError at the position, as for a spec.  The
    caller bounds the text's length first."""
    _check_nesting(source)
    try:
        tree = parser().parse(source.text, start="response")
    except UnexpectedInput as exc:
        raise _response_error(exc, source) from None
    deep = _too_deep(tree)
    if deep is not None:
        raise LimitError(f"this answer is nested more than {MAX_DEPTH} operations deep", _pos(source, deep.meta))
    try:
        return tuple(_ToAst(source).transform(tree).children)
    except VisitError as exc:
        if isinstance(exc.orig_exc, DeriveError):
            raise exc.orig_exc from None
        raise


def _response_error(exc: UnexpectedInput, source: Source) -> SpecSyntaxError:
    """A short message for an answer that does not parse, at its position."""
    line, col = getattr(exc, "line", 1) or 1, getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedCharacters):
        ch = source.text[exc.pos_in_stream] if exc.pos_in_stream < len(source.text) else ""
        what = f"`{ch}`" if ch.isascii() and ch.isprintable() else f"the character U+{ord(ch):04X}"
        if ch == "_":
            what += " (a name starts with a letter)"
        elif not ch.isascii():
            what += " (answers are written in plain ASCII: - * / ^ and letters)"
        return SpecSyntaxError(f"unexpected {what}", Pos(source, line, col))
    tok = getattr(exc, "token", None)
    if isinstance(exc, UnexpectedEOF) or (tok is not None and tok.type == "$END"):
        return SpecSyntaxError("the answer ends too soon", Pos(source, line, max(len(source.text), 1)))
    shown = str(tok) if tok is not None and len(str(tok)) <= 20 else str(tok)[:17] + "…"
    return SpecSyntaxError(f"unexpected `{shown}`", Pos(source, line, col))


def parse(text: str, filename: str = "<spec>", *, include_path: Sequence[str | os.PathLike] = ()) -> ast.Spec:
    """Parse a spec's text into an `ast.Spec`, splicing in `include`d files.

    An include is resolved against the including file's folder (the working folder for
    `<stdin>` or spec text), then the `include_path` folders; it may only read regular
    files under the spec's own folder or an `include_path` folder (derive.includes).  A
    missing or refused file, or a cycle (shown as the chain of files), is a `SpecError`
    at the include line.  All files of one spec together may hold `Limits.spec_bytes`
    and `Limits.includes` includes, nested at most `Limits.include_depth` deep (a file
    that includes another twice, which includes a third twice, ... is refused, not
    expanded).
    """
    from .includes import Confinement
    lim = current()
    return _parse(text, filename, Confinement(filename, include_path), (), [lim.includes, lim.spec_bytes])


def _parse(text: str, filename: str, confine, stack: tuple[str, ...], budget: list[int]) -> ast.Spec:
    source = Source(filename, text, tuple(str(p) for p in confine.extra))
    header, items = parse_source(source)
    budget[1] -= len(text)
    problems: list[ast.ProblemDef] = []
    here = os.path.realpath(filename) if not filename.startswith("<") else filename
    stack = stack + (here,)

    def splice(item, section):
        if isinstance(item, ast.ProblemDef):
            problems.append(dataclasses.replace(item, section=section))
        elif isinstance(item, ast.SectionDef):
            for sub in item.items:
                splice(sub, item.title)
        elif isinstance(item, ast.Include):
            path, text = _read_include(item, filename, confine, stack, budget)
            sub = _parse(text, str(path), confine, stack, budget)
            for prob in sub.problems:
                problems.append(prob if prob.section or section is None else
                                dataclasses.replace(prob, section=section))

    for item in items:
        splice(item, None)
    return ast.Spec(header, tuple(problems), source)


def _read_include(item: ast.Include, filename: str, confine, stack: tuple[str, ...],
                  budget: list[int]) -> tuple[Path, str]:
    """(real path, text) of the file `item` names, or an error at the include line that
    never quotes the file refused."""
    from .errors import SpecError
    from .includes import read_spec_file
    lim = current()
    try:
        path = confine.resolve(item.path, filename)
    except DeriveError as exc:
        raise exc.at(item.pos) from None
    key = str(path)
    if key in stack:
        chain = [_shown(s) for s in stack[stack.index(key):]] + [_shown(key)]
        raise SpecError(f"include cycle: {' -> '.join(chain)}", item.pos)
    if len(stack) > lim.include_depth:
        raise LimitError(f"includes nest more than {lim.include_depth} deep: "
                         + " -> ".join(_shown(s) for s in stack + (key,)), item.pos)
    budget[0] -= 1
    if budget[0] < 0:
        raise LimitError(f"the spec follows more than {lim.includes} includes; derive stops here", item.pos)
    try:
        text = read_spec_file(path, max(budget[1], 0))
    except LimitError:
        raise LimitError(f"cannot include {item.path}: a spec and its includes may hold "
                         f"{lim.spec_bytes // 1000:,} kB in all", item.pos) from None
    except DeriveError as exc:
        raise SpecError(f"cannot include {item.path}: {exc.message}", item.pos) from None
    return path, text


def _shown(path: str) -> str:
    return Path(path).name if not path.startswith("<") else path
