"""Parse errors in words, at the right place (derive/parse_errors.py, grammars/errors.txt).

Each case is a malformed spec, the message it must get (a fragment) and the line and
column the error must point at.  `str(error)` is FILE:LINE:COL: error: MESSAGE, the
source line and a caret under the column.
"""
import pytest

import derive
from derive.errors import Source, SpecSyntaxError
from derive.parse_errors import _load_examples, example_table, explain, scan


def error_of(text: str, filename: str = "t.spec") -> SpecSyntaxError:
    with pytest.raises(SpecSyntaxError) as info:
        derive.parse(text, filename)
    return info.value


def check(text: str, fragment: str, line: int, column: int) -> SpecSyntaxError:
    err = error_of(text)
    assert fragment in err.message, err.message
    assert (err.line, err.column) == (line, column), (str(err), line, column)
    return err


# ---- the labelled examples ---------------------------------------------------------------

def test_every_example_is_explained_by_its_own_message():
    """The example table is consistent: no example is claimed by another message's state,
    unless a rule that runs before the table explains it better (listed here)."""
    from derive.syntax import parser as get_parser
    parser = get_parser()
    from lark.exceptions import UnexpectedInput
    examples = _load_examples()
    assert len(examples) >= 25
    for message, specs in examples:
        assert specs, f"message without examples: {message}"
        for spec in specs:
            with pytest.raises(UnexpectedInput) as info:
                parser.parse(spec, start="start")
            got = explain(info.value, Source("t.spec", spec)).message
            head = message.split("{")[0]
            assert head in got, (spec, message, got)


def test_example_table_is_built_from_the_shipped_file():
    by_token, by_state = example_table()
    assert len(by_state) >= 30
    assert all(isinstance(m, str) and m for m in by_state.values())


# ---- brackets ---------------------------------------------------------------------------

def test_missing_brace_at_end_of_file_points_at_the_end_and_names_the_line():
    err = check('title "x"\nproblem "p" {\n  let a = 1\n  find a\n', "missing `}` to close the problem opened at line 2",
                4, 9)
    text = str(err)
    assert text.splitlines()[0].startswith("t.spec:4:9: error: missing `}`")
    assert text.splitlines()[1] == "    find a"
    assert text.splitlines()[2] == "          ^"


def test_missing_brace_with_trailing_comments_points_after_the_last_statement():
    check('problem "p" {\n  let a = 1\n\n# notes\n\n', "opened at line 1", 2, 12)


def test_missing_brace_before_the_next_problem():
    err = check('problem "p" {\n  let a = 1\nproblem "q" {\n  let b = 2\n}\n',
                "missing `}` to close the problem opened at line 1 before the `problem` at line 3", 2, 12)
    assert "^" in str(err)


def test_sections_do_not_nest():
    check('section "A" {\n  problem "p" { let a = 1 }\nsection "B" {\n}\n', "sections do not nest", 2, 28)


def test_missing_paren_names_where_it_was_opened():
    check('problem "p" {\n  let a = f(1\n}\n', "missing `)` to close the `(` opened at line 2, column 12", 2, 14)


def test_missing_paren_over_several_lines_points_after_the_last_argument():
    check('problem "p" {\n  let a = f(1,\n            2\n}\n', "missing `)`", 3, 14)


def test_missing_bracket():
    check('problem "p" { let a = [1, 2 }', "missing `]` to close the `[` opened at line 1, column 23", 1, 29)


def test_mismatched_closer():
    check('problem "p" { let a = (1 + 2] }', "`]` does not match the `(` opened at line 1, column 23; write `)`",
          1, 29)
    check('problem "p" { find grad(L, W1[1, 1) }', "`)` does not match the `[` opened at line 1, column 30; "
          "write `]`", 1, 35)
    check('problem "p" { let a = [1, 2 }', "missing `]`", 1, 29)


def test_closer_with_nothing_open():
    check('problem "p" {\n  let a = 1\n}\n}\n', "unexpected `}`: no problem or section is open here", 4, 1)
    check('problem "p" { let a = 1 + 2) }', "unexpected `)`: there is no `(` open here", 1, 28)


def test_missing_paren_at_end_of_file():
    check('problem "p" { let a = f(1, 2', "missing `)`", 1, 29)


# ---- statements --------------------------------------------------------------------------

def test_unknown_statement():
    err = check('problem "p" {\n  frobnicate x\n}\n', "unknown statement `frobnicate`", 2, 3)
    assert "a statement starts with a keyword" in err.message
    assert str(err).splitlines()[2] == "    ^^^^^^^^^^"


def test_unknown_statement_did_you_mean():
    check('problem "p" {\n  fnd x\n}\n', "unknown statement `fnd`; did you mean `find`?", 2, 3)
    check('problem "p" {\n  vectr x : (2)\n}\n', "did you mean `vector`?", 2, 3)


def test_statement_outside_a_problem():
    check('let a = 1\n', "belongs inside a `problem", 1, 1)
    check('problem "p" { } extra\n', "belongs inside a `problem", 1, 17)


def test_label_needs_find_text_or_answer():
    check('problem "p" { (a) fnd x }', "after the label `(a)` comes `find`, `text` or `answer`", 1, 19)


def test_space_before_call_parenthesis_reads_as_a_label():
    check('problem "p" {\n  let h = relu (x)\n}\n', "to call a function write `relu(x)` with no space", 2, 16)


# ---- expressions -------------------------------------------------------------------------

def test_expected_an_expression_after_equals():
    check('problem "p" { let a = }', "expected an expression after `=`", 1, 23)
    # at the end of a line, the caret goes just after the `=`
    check('problem "p" {\n  let a =\n}\n', "expected an expression after `=`", 2, 10)


def test_expected_an_expression_after_an_operator():
    check('problem "p" {\n  let a = 1 +\n}\n', "expected an expression after `+`", 2, 14)
    check('problem "p" { let a = 2 * }', "expected an expression after `*`", 1, 27)
    check('problem "p" {\n  find a,\n}\n', "expected an expression after `,`", 2, 10)


def test_missing_operator():
    check('problem "p" {\n  let a = 2 x\n}\n', "missing operator between `2` and `x`", 2, 13)
    check('problem "p" { let a = 1 2 }', "missing operator between `1` and `2`", 1, 25)


def test_if_needs_then_and_else():
    check('problem "p" { let a = if x > 0 then 1 }', "missing `else`", 1, 39)
    check('problem "p" { let a = if 1 2 else 3 }', "missing `then`", 1, 28)


def test_comparisons_do_not_chain():
    check('problem "p" { let a = 1 < 2 < 3 }', "comparisons do not chain", 1, 29)


def test_declarations():
    check('problem "p" { vector x : 3 }', "a shape goes in parentheses", 1, 26)
    check('problem "p" { vector x }', "a declaration needs `:` and a shape", 1, 24)
    check('problem "p" { let = 3 }', "`let` needs a name after it", 1, 19)
    check('problem "p" { input x [1, 2] }', "missing `=` or `:` after `x`", 1, 23)


def test_problem_header():
    check('problem { }', "a problem needs a title in double quotes", 1, 9)
    check('problem "p" let a = 1 }', "missing `{` after the problem's title", 1, 13)


def test_keyword_arguments():
    check('problem "p" { let a = f(x = 1, 2) }', "a positional argument cannot follow a keyword argument", 1, 32)
    check('problem "p" { let a = f(x = 1, x = 2) }', "keyword argument `x` is given twice", 1, 32)


# ---- lexical ------------------------------------------------------------------------------

def test_unterminated_string():
    err = check('problem "p" {\n  let s = "abc\n}\n', "unterminated string", 2, 11)
    assert '"""' in err.message          # the hint for text over several lines


def test_unterminated_long_string_points_at_its_start():
    check('problem "p" {\n  text """abc\n  let a = 1\n}\n', 'this `"""` is never closed', 2, 8)


@pytest.mark.parametrize("char, hint", [
    ("$", "inside a string"), (";", "need no `;`"), ("×", "write `*`"), ("−", "write `-`"),
    ("²", "`^2`"), ("η", "write `eta`"), ("&", "write `and`"), ("\\", "inside strings"),
    ("\u00a0", "non-breaking space"), ("!", "write `not`"), ("%", "no `%` operator"),
])
def test_stray_character_with_a_hint(char, hint):
    err = check(f'problem "p" {{\n  let a = 1 {char} 2\n}}\n', "unexpected character", 2, 13)
    assert hint in err.message


def test_single_quotes():
    check("problem 'p' { }", "double quotes", 1, 9)


def test_scanner_agrees_with_the_grammar_on_valid_specs():
    from pathlib import Path
    seed = Path(__file__).resolve().parents[0]
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "specs" / "seed").is_dir():
            seed = parent / "shared" / "specs" / "seed"
            break
    for path in sorted(seed.glob("*.spec")):
        toks, problem = scan(path.read_text())
        assert problem is None, (path.name, problem)
        assert toks


# ---- the printed form ----------------------------------------------------------------------

def test_error_text_format_with_caret():
    err = error_of('problem "p" {\n\tlet a = f(1\n}\n', "exam.spec")
    lines = str(err).splitlines()
    assert lines[0] == "exam.spec:2:13: error: missing `)` to close the `(` opened at line 2, column 11"
    assert lines[1] == "  \tlet a = f(1"
    assert lines[2] == "  \t           ^"     # tabs are kept so the caret lines up


def test_caret_on_a_very_long_line_shows_a_window():
    text = 'problem "p" { let a = ' + "1 + " * 200 + "$ }"
    err = error_of(text)
    source_line, caret = str(err).splitlines()[1:3]
    assert len(source_line) < 120 and source_line.lstrip().startswith("…")
    assert source_line[caret.index("^")] == "$"


def test_parse_errors_are_derive_errors_with_exit_code_2():
    err = error_of('problem "p" {')
    assert isinstance(err, derive.DeriveError) and err.exit_code == 2


# ---- habits from Python and NumPy ---------------------------------------------------------

@pytest.mark.parametrize("line, fragment, column", [
    ("let a = lambda x: x", "`lambda` is Python; write a lambda as `i -> EXPR`", 11),
    ("let a = sum(i for i in v)", "there are no comprehensions or loops", 17),
    ("let a = 1 if x else 2", "a conditional is written `if c then a else b`", 13),
    ("let a = x[1:2]", "slices are not supported", 14),
    ("find x = 3", "to compare, write `==`", 10),
    ("let a == 1", "missing `=` after `a` (a definition reads `let NAME = EXPR`, with a single `=`)", 8),
    ("let a = 1, let b = 2", "a definition gives one name one value", 12),
    ("symbol a b", "the names of a declaration are separated by commas, as in `symbol a, b`", 12),
    ("vector p q : (2)", "separated by commas, as in `vector p, q`", 12),
    ("let a = np.exp(1)", "a `.` only appears in decimals", 13),
])
def test_python_habits(line, fragment, column):
    check(f'problem "p" {{\n  {line}\n}}\n', fragment, 2, column)


def test_unclosed_bracket_before_the_next_statement_points_at_its_line():
    check('problem "p" {\n  vector x : (2\n  let a = 1\n}\n', "missing `)` to close the `(` opened at line 2, column 14",
          2, 16)
    check('problem "p" {\n  let W = [[1, 2], [3, 4]\n  let a = 1\n}\n', "missing `]` to close the `[` opened at line 2, "
          "column 11", 2, 26)


def test_goals_need_commas_between_them():
    check('problem "p" {\n  find precision(s, l) recall(s, l, threshold = 0.5)\n}\n',
          "missing `,` between the goals `)` and `recall`", 2, 24)


def test_unexpected_token_on_the_next_line_is_pointed_at_itself():
    err = check('problem "p" {\n  let a = (1)\n  3 find a\n}\n', "unexpected `3`", 3, 3)
    assert str(err).splitlines()[1] == "    3 find a"
