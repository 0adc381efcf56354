"""Parse errors in words: a lark `UnexpectedInput` in, a `SpecSyntaxError` out.

lark says "Unexpected token Token('RBRACE', '}')"; a user wants "missing `)` to close the
`(` opened at line 3, column 12".  `explain(exc, source)` decides, in this order:

1. lexical trouble at or before the failure, found by `spec_tokens.scan` (a small tokenizer that
   mirrors the grammar's terminals): an unterminated string, a stray character (with a
   hint for the usual suspects: `;`, `'`, `×`, `−`, `²`, Greek letters, `$`);
2. brackets: a closer where another was expected, the end of the file with a `{`, `(`
   or `[` still open, a `problem` starting inside another one (the message names the
   line where the unclosed bracket was opened);
3. a name at the start of a statement that is not one (`frobnicate x`, or `2 x` with
   the operator missing);
4. the labelled malformed specs in grammars/errors.txt, matched lark's `match_examples`
   way: by the LALR state the parse failed in (and the token, when it also agrees).
   lark's own `match_examples` also compares the depth of the parser's stack, so the
   same mistake one bracket deeper would not match; here the state alone decides, and
   the table is built once per process on the first error;
5. otherwise "unexpected X; expected Y, Z".

Positions: the caret is on the offending token, or just after the previous token when
what is missing would have come at the end of a line (or of the file).
"""
from __future__ import annotations

import difflib
import functools

from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
)

from .errors import Pos, Source, SpecSyntaxError
from .grammar import parser
from .spec_tokens import _CLOSER_TERMINAL, CLOSER, KEYWORDS, OPENER, _stray
from .spec_tokens import Tok as Tok
from .spec_tokens import scan as scan


def _load_examples() -> list[tuple[str, list[str]]]:
    from .resources import read_text
    out: list[tuple[str, list[str]]] = []
    for raw in read_text("grammars", "errors.txt").splitlines():
        if raw.startswith("= "):
            out.append((raw[2:].strip(), []))
        elif raw.strip() and not raw.startswith("#") and out:
            out[-1][1].append(raw.replace("\\n", "\n"))
    return out


def _state_of(exc: UnexpectedInput) -> int | None:
    state = getattr(exc, "state", None)
    return getattr(state, "position", None)


def _token_type(exc: UnexpectedInput) -> str | None:
    tok = getattr(exc, "token", None)
    return getattr(tok, "type", None)


@functools.lru_cache(maxsize=1)
def example_table() -> tuple[dict[tuple[int, str | None], str], dict[int, str]]:
    """(state, token type) -> message and state -> message, from grammars/errors.txt.

    The first example to claim a key keeps it; tests check that every example is
    explained by its own message.
    """
    by_token: dict[tuple[int, str | None], str] = {}
    by_state: dict[int, str] = {}
    for message, specs in _load_examples():
        for spec in specs:
            try:
                parser().parse(spec, start="start")
            except UnexpectedInput as exc:
                state = _state_of(exc)
                if state is None:
                    continue
                by_token.setdefault((state, _token_type(exc)), message)
                by_state.setdefault(state, message)
    return by_token, by_state


def match_example(exc: UnexpectedInput) -> str | None:
    """The message of the example that failed in the same state (same token preferred)."""
    state = _state_of(exc)
    if state is None:
        return None
    by_token, by_state = example_table()
    return by_token.get((state, _token_type(exc))) or by_state.get(state)


# ---- explain ----------------------------------------------------------------------------------

def _describe(tok: Tok | None) -> str:
    if tok is None:
        return "the end of the file"
    text = tok.text if len(tok.text) <= 24 else tok.text[:20] + "…"
    if tok.kind == "string":
        return f"string `{text}`"
    return f"`{text}`"


def _pos_at(source: Source, tok: Tok) -> Pos:
    end_line = tok.line + tok.text.count("\n")
    end_col = (len(tok.text) - tok.text.rfind("\n")) if "\n" in tok.text else tok.column + len(tok.text)
    return Pos(source, tok.line, tok.column, end_line, end_col, tok.start, tok.end)


def _pos_after(source: Source, tok: Tok | None) -> Pos:
    """Just after `tok` (the start of the file when there is none)."""
    if tok is None:
        return Pos(source, 1, 1)
    last = tok.text.rsplit("\n", 1)
    line = tok.line + tok.text.count("\n")
    col = (tok.column + len(tok.text)) if len(last) == 1 else len(last[1]) + 1
    return Pos(source, line, col, line, col + 1, tok.end, tok.end)


def _where(found: Tok | None, prev: Tok | None, source: Source) -> Pos:
    """The found token, or just after the previous one when the found token is on a later line."""
    if found is None or (prev is not None and found.line > prev.line + prev.text.count("\n")):
        return _pos_after(source, prev)
    return _pos_at(source, found)


def _open_brackets(toks: list[Tok]) -> list[tuple[Tok, str]]:
    """The brackets still open after `toks`, innermost last, each with what it opened."""
    stack: list[tuple[Tok, str]] = []
    last_kw = ""
    for t in toks:
        if t.kind == "name" and t.text in ("problem", "section", "choices"):
            last_kw = t.text
        if t.kind != "punct":
            continue
        if t.text in CLOSER:
            stack.append((t, last_kw if t.text == "{" else ""))
            last_kw = ""
        elif t.text in OPENER and stack and stack[-1][0].text == OPENER[t.text]:
            stack.pop()
    return stack


def _what_opened(tok: Tok, kw: str) -> str:
    if tok.text == "{" and kw in ("problem", "section"):
        return f"the {kw} opened at line {tok.line}"
    if tok.text == "{" and kw == "choices":
        return f"the `choices` block opened at line {tok.line}"
    return f"the `{tok.text}` opened at line {tok.line}, column {tok.column}"


def _bracket_message(found: Tok | None, prev: Tok | None, before: list[Tok], expected: set[str],
                     source: Source) -> SpecSyntaxError | None:
    stack = _open_brackets(before)
    top = stack[-1] if stack else None
    if found is not None and found.kind == "punct" and found.text in OPENER:
        if top is None:
            what = "no problem or section is open here" if found.text == "}" else \
                f"there is no `{OPENER[found.text]}` before it to close"
            return SpecSyntaxError(f"unexpected `{found.text}`: {what}", _pos_at(source, found))
        if top[0].text in "([" and found.text in ")]" and top[0].text != OPENER[found.text] \
                and _CLOSER_TERMINAL[CLOSER[top[0].text]] in expected:
            return SpecSyntaxError(f"`{found.text}` does not match {_what_opened(*top)}; "
                                   f"write `{CLOSER[top[0].text]}`", _pos_at(source, found))
        if not any(t.text == OPENER[found.text] for t, _ in stack):
            return SpecSyntaxError(f"unexpected `{found.text}`: there is no `{OPENER[found.text]}` open here to close",
                                   _pos_at(source, found))
        want = CLOSER[top[0].text]
        if want != found.text and _CLOSER_TERMINAL[want] in expected:
            return SpecSyntaxError(f"missing `{want}` to close {_what_opened(*top)}", _where(found, prev, source))
        return None
    if top is None:
        return None
    want = CLOSER[top[0].text]
    if found is None and _CLOSER_TERMINAL[want] in expected:
        return SpecSyntaxError(f"missing `{want}` to close {_what_opened(*top)}", _pos_after(source, prev))
    if found is not None and top[0].text in "([" and _CLOSER_TERMINAL[want] in expected and prev is not None \
            and (found.line > prev.line or found.kind == "label" or (found.kind == "name" and found.text in KEYWORDS)):
        return SpecSyntaxError(f"missing `{want}` to close {_what_opened(*top)}", _pos_after(source, prev))
    if found is not None and found.kind == "name" and found.text in ("problem", "section", "include") \
            and top[0].text == "{" and top[1] in ("problem", "section") and "RBRACE" in expected:
        nest = "sections do not nest: " if top[1] == found.text == "section" else ""
        return SpecSyntaxError(f"{nest}missing `}}` to close {_what_opened(*top)} before the `{found.text}` "
                               f"at line {found.line}", _where(found, prev, source))
    return None


_ENDS_VALUE = ("name", "number", "string")


def _statement_head(found: Tok | None, prev: Tok | None, before: list[Tok], expected: set[str],
                    source: Source) -> SpecSyntaxError | None:
    """A name where a statement starts that is not followed by `=` or `(`."""
    if prev is None or prev.kind != "name" or expected != {"EQUAL", "LPAR"}:
        return None
    prev2 = before[-2] if len(before) > 1 else None
    habit = _python_habit(prev, prev2, before[:-1], source)
    if habit is not None:
        return habit
    keyword = _statement_keyword(before[:-1])
    if keyword in ("symbol", "dim", "vector", "matrix") and prev2 is not None and prev2.line == prev.line \
            and prev2.kind == "name" and (prev2.text != keyword or keyword in ("vector", "matrix")):
        return SpecSyntaxError(f"the names of a declaration are separated by commas, as in "
                               f"`{keyword} {prev2.text}, {prev.text}`", _pos_at(source, prev))
    if prev2 is not None and prev2.line == prev.line and (prev2.kind in ("number", "string") or (
            prev2.kind == "name" and prev2.text not in KEYWORDS) or prev2.text in (")", "]", ".T")):
        return SpecSyntaxError(f"missing operator between `{prev2.text}` and `{prev.text}` "
                               f"(write `{prev2.text}*{prev.text}` for a product)", _pos_at(source, prev))
    stack = _open_brackets(before[:-1])
    if prev.text in ("problem", "section", "include") and stack and stack[-1][0].text == "{" \
            and stack[-1][1] in ("problem", "section"):
        nest = "sections do not nest: " if stack[-1][1] == prev.text == "section" else ""
        return SpecSyntaxError(f"{nest}missing `}}` to close {_what_opened(*stack[-1])} before the "
                               f"`{prev.text}` at line {prev.line}",
                               _pos_after(source, prev2) if prev2 else _pos_at(source, prev))
    close = difflib.get_close_matches(prev.text, KEYWORDS, n=1, cutoff=0.6)
    hint = f"; did you mean `{close[0]}`?" if close else \
        ": a statement starts with a keyword (`let`, `find`, `symbol`, `text`, ...) or defines `NAME = EXPR`"
    return SpecSyntaxError(f"unknown statement `{prev.text}`{hint}", _pos_at(source, prev))


def _statement_keyword(before: list[Tok]) -> str | None:
    """The keyword that starts the statement being parsed, if it starts with one."""
    for t in reversed(before):
        if t.text in ("{", "}") or t.kind == "label":
            return None
        if t.kind == "name" and t.text in KEYWORDS:
            return t.text
    return None


_LAMBDA = "write a lambda as `i -> EXPR` or `(i, j) -> EXPR`, as an argument of a builtin such as `matrix`"
_COMPREHENSION = ("there are no comprehensions or loops: use `sum(v)`, `vector(n, i -> EXPR)` or "
                  "`matrix(n, m, (i, j) -> EXPR)`")
_CONDITIONAL = "a conditional is written `if c then a else b` (not Python's `a if c else b`)"


def _python_habit(tok: Tok | None, prev: Tok | None, before: list[Tok], source: Source) -> SpecSyntaxError | None:
    """Python written where the language differs: lambdas, comprehensions, `a if c else b`."""
    if tok is None or tok.kind != "name":
        return None
    if tok.text == "lambda" or (prev is not None and prev.text == "lambda"):
        at = tok if tok.text == "lambda" else prev
        return SpecSyntaxError(f"`lambda` is Python; {_LAMBDA}", _pos_at(source, at))
    if tok.text == "for":
        return SpecSyntaxError(f"`for`: {_COMPREHENSION}", _pos_at(source, tok))
    if tok.text == "if" and prev is not None and prev.line == tok.line and (
            prev.kind in _ENDS_VALUE or prev.text in (")", "]", ".T")):
        return SpecSyntaxError(f"unexpected `if`: {_CONDITIONAL}", _pos_at(source, tok))
    return None


def _declaration_list(found: Tok | None, prev: Tok | None, before: list[Tok],
                      source: Source) -> SpecSyntaxError | None:
    """`vector p q : (2)`: names of a declaration without commas between them."""
    if found is None or prev is None or found.kind != "name" or prev.kind != "name" or found.line != prev.line:
        return None
    keyword = _statement_keyword(before)
    if keyword not in ("symbol", "dim", "vector", "matrix") or prev.text == keyword or ":" in \
            [t.text for t in _statement_tail(before)]:
        return None
    return SpecSyntaxError(f"the names of a declaration are separated by commas, as in "
                           f"`{keyword} {prev.text}, {found.text}`", _pos_at(source, found))


def _slice_or_dict(found: Tok | None, before: list[Tok], source: Source) -> SpecSyntaxError | None:
    """`x[1:2]` (slices) and a `:` inside brackets."""
    if found is None or found.text != ":":
        return None
    stack = _open_brackets(before)
    if stack and stack[-1][0].text == "[":
        return SpecSyntaxError("slices are not supported: index one entry at a time, as in `x[1]` or `W[1, 2]` "
                               "(1-based)", _pos_at(source, found))
    return None


def _goal_list(found: Tok | None, before: list[Tok], source: Source) -> SpecSyntaxError | None:
    """`find precision(...) recall(...)`: two goals with no comma between them."""
    if _statement_keyword(before) != "find":
        return None
    tail = _statement_tail(before) + ([found] if found is not None else [])
    depth = 0
    for a, b in zip(tail, tail[1:]):
        if a.kind == "punct" and a.text in "([":
            depth += 1
        elif a.kind == "punct" and a.text in ")]":
            depth -= 1
        if depth == 0 and b.kind == "name" and b.line == a.line and (
                a.kind in _ENDS_VALUE or a.text in (")", "]", ".T")) and b.text not in ("and", "or", "if", "then",
                                                                                      "else", "not"):
            return SpecSyntaxError(f"missing `,` between the goals `{a.text}` and `{b.text}`: "
                                   "`find a, b` lists several", _pos_at(source, b))
    return None


def _statement_tail(before: list[Tok]) -> list[Tok]:
    """The tokens of the statement being parsed (back to a statement keyword or a brace)."""
    out: list[Tok] = []
    for t in reversed(before):
        if t.text in ("{", "}") or t.kind == "label" or (t.kind == "name" and t.text in KEYWORDS):
            break
        out.append(t)
    return out[::-1]


def _open_if(before: list[Tok]) -> str | None:
    """`then` or `else` when the statement has an `if` still waiting for it."""
    words = [t.text for t in _statement_tail(before) if t.kind == "name"]
    ifs, thens, elses = words.count("if"), words.count("then"), words.count("else")
    if ifs > thens:
        return "then"
    if thens > elses:
        return "else"
    return None


def _missing_operator(found: Tok | None, prev: Tok | None, before: list[Tok], expected: set[str],
                      source: Source) -> SpecSyntaxError | None:
    """`1 2` or `x 2` on one line: two values with nothing between them."""
    if found is None or prev is None or found.line != prev.line:
        return None
    inside = _open_brackets(before)
    inside = bool(inside) and inside[-1][0].text in "(["
    if found.kind not in ("number", "string") and not (inside and found.kind == "name"):
        return None
    if not ({"ADDOP", "MULOP"} <= expected or (inside and "COMMA" in expected)):
        return None
    missing = _open_if(before)
    stack = _open_brackets(before)
    if not missing and stack and stack[-1][0].text in "([" and (prev.kind in _ENDS_VALUE or prev.text in (")", "]", ".T")):
        opener = stack[-1][0]
        i = before.index(opener)
        call = opener.text == "(" and i > 0 and before[i - 1].kind == "name" and before[i - 1].end == opener.start
        what = "the arguments" if call else "the entries" if opener.text == "[" else "two values"
        return SpecSyntaxError(f"missing `,` (or an operator) between {what} `{prev.text}` and "
                               f"{_describe(found)}", _pos_at(source, found))
    if missing:
        return SpecSyntaxError(f"missing `{missing}`: `if` needs `then` and `else`, as in `if c then a else b`",
                               _pos_at(source, found))
    if prev.kind in _ENDS_VALUE or prev.text in (")", "]", ".T"):
        return SpecSyntaxError(f"missing operator between `{prev.text}` and {_describe(found)}",
                               _pos_at(source, found))
    return None


def _stray_label(found: Tok | None, prev: Tok | None, before: list[Tok],
                 source: Source) -> SpecSyntaxError | None:
    """`relu (x)`: a space turned the call's `(x)` into a sub-question label."""
    if prev is None or prev.kind != "label" or len(before) < 2:
        return None
    stack = _open_brackets(before)
    if stack and stack[-1][1] == "choices":
        return None
    if found is not None and found.kind == "name" and found.text in ("find", "text", "answer"):
        return None
    value = before[-2]
    if value.line != prev.line or not (value.kind in _ENDS_VALUE or value.text in (")", "]", ".T")):
        return None
    call = f"; to call a function write `{value.text}{prev.text}` with no space" if value.kind == "name" else ""
    return SpecSyntaxError(f"`{prev.text}` here reads as the label of a new sub-question{call}",
                           _pos_at(source, prev))


_READABLE = {
    "RBRACE": "`}`", "LBRACE": "`{`", "RPAR": "`)`", "LPAR": "`(`", "RSQB": "`]`", "LSQB": "`[`",
    "COMMA": "`,`", "EQUAL": "`=`", "COLON": "`:`", "NAME": "a name", "NUMBER": "a number",
    "STRING": "a string", "LONG_STRING": "a string", "LABEL": "a label such as (a)", "ADDOP": "`+` or `-`",
    "MULOP": "`*`, `/` or `@`", "POWOP": "`^`", "COMP": "a comparison", "$END": "the end of the file",
    "__ANON_0": "`->`", "__ANON_1": "`.T`", "HEADER_KEY": "a header line such as `title`",
    "TRUE": "`true`", "FALSE": "`false`", "NONE": "`none`", "NUMTENSOR": "`[`",
}


def _readable(term: str) -> str:
    if term in _READABLE:
        return _READABLE[term]
    if term.isupper() and term.replace("_", "").isalpha():
        return f"`{term.lower()}`"
    return term.lower()


def _offset(exc: UnexpectedInput, text: str) -> int:
    if isinstance(exc, UnexpectedCharacters):
        return exc.pos_in_stream
    tok = getattr(exc, "token", None)
    if isinstance(exc, UnexpectedEOF) or tok is None or tok.type == "$END" or tok.start_pos is None:
        return len(text)
    return tok.start_pos


def explain(exc: UnexpectedInput, source: Source) -> SpecSyntaxError:
    """`exc` (from parsing `source`) as a SpecSyntaxError in words, at the right place: a
    scanner problem (an unterminated string, a stray character), else the first of the
    rules that recognises the tokens around the error, else the example message of the
    parser state, else a general message (`_general`)."""
    text = source.text
    offset = _offset(exc, text)
    toks, problem = scan(text)
    if problem is not None and problem.start <= offset:
        # an unterminated string or stray character that the parser tripped over
        line = text.count("\n", 0, problem.start) + 1
        col = problem.start - (text.rfind("\n", 0, problem.start) + 1) + 1
        return SpecSyntaxError(problem.message, Pos(source, line, col, line, col + 1, problem.start, problem.end))
    before = [t for t in toks if t.end <= offset]
    found = next((t for t in toks if t.start == offset), None) if offset < len(text) else None
    prev = before[-1] if before else None
    expected = set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    if isinstance(exc, UnexpectedCharacters) and found is None:
        # the scanner accepts it, the grammar's lexer does not (cannot happen for the terminals
        # mirrored above, kept as a safety net)
        line, col = exc.line, exc.column
        return SpecSyntaxError(_stray(text[offset]) if offset < len(text) else "unexpected end of file",
                               Pos(source, line, col, line, col + 1, offset, offset + 1))
    for rule in (_python_habit(found, prev, before, source),
                 _slice_or_dict(found, before, source),
                 _declaration_list(found, prev, before, source),
                 _goal_list(found, before, source),
                 _bracket_message(found, prev, before, expected, source),
                 _statement_head(found, prev, before, expected, source),
                 _missing_operator(found, prev, before, expected, source),
                 _stray_label(found, prev, before, source)):
        if rule is not None:
            return rule
    message = match_example(exc) if isinstance(exc, UnexpectedToken) else None
    if message:
        return _example_message(message, found, prev, before, source)
    return _general(found, prev, before, expected, source)


def _example_message(message: str, found: Tok | None, prev: Tok | None, before: list[Tok],
                     source: Source) -> SpecSyntaxError:
    """The message of the example that fails in the parser's state, with `{prev}` and
    `{found}` filled in, placed where the missing thing would go (or at the token found)."""
    message = message.replace("{prev}", prev.text if prev else "").replace("{found}", _describe(found))
    if message.startswith("`if` needs") and _open_if(before):
        message = f"missing `{_open_if(before)}`: {message}"
    if found is not None and not message.startswith("unexpected") and f"`{found.text}`" not in message:
        message += f" (found {_describe(found)})"
    # "missing X" / "expected X after Y": where X would go; anything else: at the token found
    missing = message.startswith(("missing", "expected")) or " after " in message.split("(")[0]
    where = _where(found, prev, source) if missing or found is None else _pos_at(source, found)
    return SpecSyntaxError(message, where)


def _general(found: Tok | None, prev: Tok | None, before: list[Tok], expected: set[str],
             source: Source) -> SpecSyntaxError:
    """No example for the parser's state: a few general cases, then lark's own list of what
    it expected, in words."""
    if found is not None and found.text == "=" and prev is not None and (
            prev.kind in _ENDS_VALUE or prev.text in (")", "]", ".T")):
        return SpecSyntaxError("`=` defines a name; to compare, write `==` (and `find` takes goals separated "
                               "by commas)", _pos_at(source, found))
    stack = _open_brackets(before)
    if found is not None and "LABEL" in expected and stack and stack[-1][1] == "choices":
        return SpecSyntaxError("each option starts with a label, as in `(a) EXPR` or `(e) none`",
                               _pos_at(source, found))
    if found is not None and "PROBLEM" in expected and not stack:
        return SpecSyntaxError("this belongs inside a `problem \"Title\" { ... }` (a file holds only header lines "
                               "such as `title \"...\"`, `include`s, `section`s and `problem`s)", _pos_at(source, found))
    if found is not None and expected & {"LET", "FIND", "TEXT", "SYMBOL"}:
        return SpecSyntaxError("a statement starts with a keyword (`let`, `find`, `text`, `symbol`, ...) or with "
                               f"the name it defines (found {_describe(found)})", _pos_at(source, found))
    wanted = sorted({_readable(t) for t in expected})
    listed = ", ".join(wanted[:8]) + (", ..." if len(wanted) > 8 else "")
    what = _describe(found) if found is not None else "end of file"
    return SpecSyntaxError(f"unexpected {what}" + (f"; expected {listed}" if listed else ""),
                           _pos_at(source, found) if found is not None else _pos_after(source, prev))
