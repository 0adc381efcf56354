"""Nothing from a spec drives the terminal: control characters (ESC, BEL, C1 such as
CSI U+009B, but not newline and tab) are shown, never sent, in every output and every
error message of the CLI; JSON keeps their value as \\u escapes.  A user template that
raises is the user's error (exit 2, naming the template)."""
import json

import pytest

from derive import cli

ESC_SPEC = ('problem "T\x1b[2Jitle\u009b31m" {\n  text "x\x1b]0;pwned\x07 y"\n  let a = 1\n  find a\n'
            '  find b + "\x1b[31m"\n}\n')
RAW = [chr(c) for c in [*range(32), 127, *range(0x80, 0xA0)] if c not in (9, 10)]


def solve(tmp_path, capsys, text, *args):
    path = tmp_path / "esc.spec"
    path.write_text(text, encoding="utf-8")
    code = cli.main(["solve", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["text", "md", "latex", "html"])
def test_control_characters_never_reach_the_terminal(tmp_path, capsys, fmt):
    code, out, err = solve(tmp_path, capsys, ESC_SPEC, "--format", fmt)
    assert code == 1
    for text in (out, err):
        assert not any(c in text for c in RAW), [c for c in RAW if c in text]
    assert "unknown name `b`" in err and "\u241b[31m" in err          # shown as ␛


def test_text_output_never_carries_them(tmp_path, capsys):
    """The renderers drop control characters from every output (derive.prose.clean); the
    CLI would show any that remained as symbols."""
    _, out, _ = solve(tmp_path, capsys, ESC_SPEC, "--format", "text")
    assert not any(c in out for c in RAW) and "T[2Jitle31m" in out and "]0;pwned" in out


def test_json_keeps_the_value_as_escapes(tmp_path, capsys):
    _, out, _ = solve(tmp_path, capsys, ESC_SPEC, "--format", "json")
    assert not any(c in out for c in RAW)
    doc = json.loads(out)
    assert doc["problems"][0]["title"] == "T\x1b[2Jitle\u009b31m"
    assert doc["problems"][0]["text"] == "x\x1b]0;pwned\x07 y"


def test_an_error_that_stops_the_spec_is_shown_too(tmp_path, capsys):
    code, out, err = solve(tmp_path, capsys, 'problem "p" {\n  let a = (1 + "\x1b[5m"\n}\n')
    assert code == 2 and out == ""
    assert "\x1b" not in err and "\u241b[5m" in err


def test_visible_leaves_ordinary_text_alone():
    text = "Größe: ∑ᵢ wᵢ xᵢ\n\tα → β ✓ «»"
    assert cli.visible(text) == text and cli.visible(text, "json") == text


def test_a_user_template_that_raises_is_exit_2_naming_it(tmp_path, capsys):
    (tmp_path / "tpl" / "text").mkdir(parents=True)
    (tmp_path / "tpl" / "text" / "solution.j2").write_text("hello\n{{ 1 // 0 }}\n")
    code, out, err = solve(tmp_path, capsys, 'problem "p" {\n  find 1\n}\n', "--format", "text",
                           "--templates", str(tmp_path / "tpl"))
    assert code == 2 and out == ""
    assert "the template text/solution.j2 (line 2) failed: ZeroDivisionError" in err
    assert "internal error" not in err


def test_norms_and_absolute_values_read_as_maths_in_text():
    """The text format printed ‖w‖ as `lVert w rVert` (a LaTeX macro the Unicode converter
    did not know) and |x| with box-drawing bars (│0.8│)."""
    import derive
    sol = derive.solve('problem "n" {\n  vector w : (3)\n  symbol lambda : positive\n'
                       '  L = lambda * norm(w)^2 + norm(w)\n  find grad(L, w)\n  let a = 0.8\n  find abs(a - 2)\n}\n')
    text = sol.render("text")
    assert "Vert" not in text and "│" not in text
    assert "‖w‖" in text and "|-6/5| = 6/5" in text
