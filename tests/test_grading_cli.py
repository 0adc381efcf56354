"""`derive grade SPEC RESPONSES`: JSON / JSON Lines / CSV in, grades or a gradebook out;
problems in the responses file reported with their line, the rest still graded."""
from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pytest

from derive import cli

MLP = (Path(__file__).resolve().parents[1] / "examples" / "seed" / "part2-mlp.spec").read_text()


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["grade", *args, "--max-memory", "0"])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture()
def spec(tmp_path):
    path = tmp_path / "mlp.spec"
    path.write_text(MLP)
    return path


def test_json_lines_with_problems_are_graded_around_them(spec, tmp_path):
    responses = tmp_path / "r.jsonl"
    responses.write_text('{"student": "ada", "answers": {"1(b)": "24", "1(c)": "81"}}\n'
                         'this is not JSON\n'
                         '{"student": "bob", "answers": {"1(b)": "23", "1(c)": "64", "1(q)": "1"}}\n'
                         '{"student": "ada", "answers": {}}\n'
                         '{"student": "cy", "answers": {"1(b)": "__import__(\'os\')", "1(d)": 18}}\n')
    code, out, err = run([str(spec), str(responses)])
    assert code == 1
    doc = json.loads(out)
    assert [s["student"] for s in doc["students"]] == ["ada", "bob", "cy"]
    ada, bob, cy = ({g["id"]: g for g in s["grades"]} for s in doc["students"])
    assert ada["1(b)"]["status"] == "correct" and ada["1(b)"]["points"] == 4      # (b) [4]
    assert bob["1(c)"]["status"] == "correct" and bob["1(c)"]["ecf"]["expected"] == "64"
    assert cy["1(b)"]["status"] == "invalid" and cy["1(d)"]["status"] == "correct"   # a JSON number is read
    assert doc["students"][0]["points"] == 6 and doc["students"][0]["max_points"] == 20
    assert f"{responses}:2:1: not JSON" in err
    assert f"{responses}:3: unknown id '1(q)'" in err
    assert f"{responses}:4: student 'ada' appears again (first on line 1)" in err
    (b,) = [s for s in doc["summary"] if s["id"] == "1(b)"]
    assert b["n"] == 3 and b["mean_score"] == pytest.approx(1 / 3) and b["statuses"]["invalid"] == 1


def test_a_json_list_and_a_csv_gradebook(spec, tmp_path):
    responses = tmp_path / "r.json"
    responses.write_text(json.dumps([{"student": "=cmd", "answers": {"1(b)": "24"}},
                                     {"student": "eve", "answers": {"1(b)": "25"}}], indent=1))
    target = tmp_path / "book.csv"
    code, out, err = run([str(spec), str(responses), "-o", str(target)])
    assert code == 0 and err == ""
    rows = list(csv.reader(target.read_text().splitlines()))
    assert rows[0] == ["student", "1(a)", "1(b)", "1(c)", "1(d)", "1(e)", "total", "max"]
    assert rows[1][0] == "'=cmd" and rows[1][2] == "4" and rows[2][2] == "0"       # no formula in a cell


def test_csv_responses(spec, tmp_path):
    responses = tmp_path / "r.csv"
    responses.write_text('student,1(b),1(c),1(e)\nada,24,81,-0.8\nbob,23,64,\n')
    code, out, _ = run([str(spec), str(responses), "--jobs", "2"])
    assert code == 0
    doc = json.loads(out)
    assert [s["points"] for s in doc["students"]] == [8, 2]      # ada: 4 + 2 + 2; bob: (c) by ECF


def test_an_unreadable_responses_file_is_exit_2_with_its_position(spec, tmp_path):
    responses = tmp_path / "r.json"
    responses.write_text('{"student": "ada", "answers": ')
    code, out, err = run([str(spec), str(responses)])
    assert code == 2 and out == "" and f"{responses}:1:" in err and "not JSON" in err
    bad_csv = tmp_path / "r.csv"
    bad_csv.write_text("name,1(b)\nada,24\n")
    code, _, err = run([str(spec), str(bad_csv)])
    assert code == 2 and "header `student" in err
    code, _, err = run([str(spec), str(tmp_path / "missing.json")])
    assert code == 2 and "cannot read the responses" in err


def test_a_sheet_that_breaks_the_grader_does_not_stop_the_batch(spec, tmp_path, monkeypatch):
    from derive.grading import sheet
    real = sheet.grade_solution

    def flaky(solution, answers, **kw):
        if answers.get("1(b)") == "boom":
            raise RuntimeError("a grader bug")
        return real(solution, answers, **kw)
    monkeypatch.setattr(sheet, "grade_solution", flaky)
    responses = tmp_path / "r.jsonl"
    responses.write_text('{"student": "ada", "answers": {"1(b)": "boom"}}\n'
                         '{"student": "bob", "answers": {"1(b)": "24"}}\n')
    code, out, err = run([str(spec), str(responses)])
    doc = json.loads(out)
    assert code == 1 and "student 'ada' could not be graded: RuntimeError: a grader bug" in err
    assert doc["students"][0] == {"student": "ada", "error": "RuntimeError: a grader bug"}
    assert doc["students"][1]["points"] == 4


def test_a_pool_of_graders_works_whatever_the_default_start_method():
    """The seed exam's Solution does not survive pickling (layer tables hold classes made
    at run time), so the graders are forked, never spawned: with "spawn" as the default
    (macOS, and Linux from Python 3.14) `jobs = 2` gives the grades of one process."""
    import multiprocessing

    import derive
    from derive.grading.batch import Sheet, grade_sheets
    sol = derive.solve(str(Path(__file__).resolve().parents[1] / "examples" / "seed-exam.spec"))
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    sheets = [Sheet("ada", {"II.1(b)": "24"}, 1), Sheet("bob", {"II.1(b)": "25"}, 2), Sheet("cy", {}, 3)]
    alone = grade_sheets(sol, sheets, jobs=1)
    before = multiprocessing.get_start_method(allow_none=True)
    multiprocessing.set_start_method("spawn", force=True)
    try:
        assert grade_sheets(sol, sheets, jobs=2) == alone
    finally:
        multiprocessing.set_start_method(before, force=True)
    assert [g["status"] for g in alone[0]["grades"] if g["id"] == "II.1(b)"] == ["correct"]
