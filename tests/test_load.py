"""load("w.csv") / load("w.npy"): exact values, confinement, and errors with positions."""
from __future__ import annotations

import os
import re
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

import derive
from derive.errors import DeriveError, LimitError, SpecError
from derive.model import loading

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _solve(folder: Path, body: str, name: str = "p.spec"):
    spec = folder / name
    spec.write_text('problem "p" {\n' + body + "\n}\n")
    return derive.solve(str(spec))


def _answer(sol) -> sp.Basic:
    (r,) = sol.results
    assert r.error is None, r.error
    return r.answer.expr


def _error(folder: Path, body: str) -> DeriveError:
    with pytest.raises(DeriveError) as info:
        sol = _solve(folder, body)
        (r,) = sol.results             # (an error may also come back as a goal's result)
        raise SpecError(r.error.message) if r.error else AssertionError("no error")
    return info.value


def test_csv_values_are_exact_and_shaped_as_written(tmp_path):
    (tmp_path / "w.csv").write_text("0.1, -2.5e-1\n+3, .5\n\n")      # a blank last line is fine
    (tmp_path / "v.csv").write_text("1\r\n-0.125\r\n")                 # CRLF, one entry per line
    W = _answer(_solve(tmp_path, '  let W = load("w.csv")\n  find W'))
    assert W.shape == (2, 2)
    assert [[Fraction(int(e.p), int(e.q)) for e in row] for row in W.tolist()] == \
        [[Fraction(1, 10), Fraction(-1, 4)], [Fraction(3), Fraction(1, 2)]]
    v = _answer(_solve(tmp_path, '  let v = load("v.csv")\n  find v'))
    assert v.shape == (2, 1) and list(v) == [1, sp.Rational(-1, 8)]


def test_the_networks_docs_example_runs(tmp_path):
    text = (DOCS / "networks.md").read_text()
    spec = re.search(r"<!-- example: load -->\n```text\n(.*?)```", text, re.DOTALL).group(1)
    (tmp_path / "w1.csv").write_text("0.5, -1\n2, 0.25\n")
    (tmp_path / "x.csv").write_text("1\n2\n")
    (tmp_path / "ex.spec").write_text(spec)
    got = _answer(derive.solve(str(tmp_path / "ex.spec")))
    # by hand, in Fractions: z = W1 x + b1, h = relu(z), o = W2 h + b2, L = (o - 3)^2
    W1 = [[Fraction(1, 2), Fraction(-1)], [Fraction(2), Fraction(1, 4)]]
    x, b1, W2 = [Fraction(1), Fraction(2)], [Fraction(0), Fraction(1)], [Fraction(1), Fraction(2)]
    z = [sum(w * xi for w, xi in zip(row, x)) + b for row, b in zip(W1, b1)]
    h = [max(zi, Fraction(0)) for zi in z]
    o = sum(w * hi for w, hi in zip(W2, h))
    dL_dW21 = 2 * (o - 3) * W2[1] * (1 if z[1] > 0 else 0) * x[0]
    assert got == sp.Rational(dL_dW21.numerator, dL_dW21.denominator) == 16


def test_npy_integers_floats_and_vectors(tmp_path):
    np = pytest.importorskip("numpy", reason="numpy is needed to write .npy files")
    np.save(tmp_path / "a.npy", np.array([[1, -2], [3, 4]], dtype=np.int64))
    np.save(tmp_path / "f.npy", np.array([0.1, -2.75, 1e-3]))
    A = _answer(_solve(tmp_path, '  let A = load("a.npy")\n  find A'))
    assert A == sp.ImmutableMatrix([[1, -2], [3, 4]])
    f = _answer(_solve(tmp_path, '  let f = load("f.npy")\n  find f'))
    assert f.shape == (3, 1) and list(f) == [sp.Rational(1, 10), sp.Rational(-11, 4), sp.Rational(1, 1000)]


def test_npy_refuses_nan_objects_and_3d(tmp_path):
    np = pytest.importorskip("numpy", reason="numpy is needed to write .npy files")
    np.save(tmp_path / "n.npy", np.array([1.0, float("nan")]))
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    np.save(tmp_path / "c.npy", np.zeros((2, 2, 2)))
    np.save(tmp_path / "o.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    for name, needle in (("n", "NaN"), ("s", "integers and reals"), ("c", "1-D or 2-D"), ("o", "not a .npy")):
        err = _error(tmp_path, f'  let a = load("{name}.npy")\n  find a')
        assert needle in err.message and err.line == 2


def test_npy_without_numpy_says_so(tmp_path, monkeypatch):
    (tmp_path / "a.npy").write_bytes(b"\x93NUMPY")
    monkeypatch.setitem(sys.modules, "numpy", None)          # `import numpy` now fails
    err = _error(tmp_path, '  let a = load("a.npy")\n  find a')
    assert "needs numpy" in err.message and "csv" in err.message


def test_malformed_csv_is_reported_at_its_line_and_column(tmp_path):
    (tmp_path / "bad.csv").write_text("1, 2\n3,  x7\n")
    err = _error(tmp_path, '  let W = load("bad.csv")\n  find W')
    assert err.pos.file.endswith("bad.csv") and (err.line, err.column) == (2, 5)
    assert "x7" in err.message and "p.spec:2" in err.message
    assert "^^" in str(err) and "3,  x7" in str(err)
    (tmp_path / "ragged.csv").write_text("1, 2\n3\n")
    err = _error(tmp_path, '  let W = load("ragged.csv")\n  find W')
    assert err.line == 2 and "1 entries, the first row 2" in err.message
    (tmp_path / "empty.csv").write_text("1,,2\n")
    err = _error(tmp_path, '  let W = load("empty.csv")\n  find W')
    assert (err.line, err.column) == (1, 3) and "empty entry" in err.message


def test_paths_outside_the_folder_are_refused_without_their_content(tmp_path):
    inner = tmp_path / "spec"
    inner.mkdir()
    secret = tmp_path / "secret.csv"
    secret.write_text("SECRET, 1\n")
    (inner / "link.csv").symlink_to(secret)
    for name in ("../secret.csv", str(secret), "link.csv", "/dev/zero", "/proc/self/environ"):
        err = _error(inner, f'  let W = load("{name}")\n  find W')
        assert "outside the spec's folder" in err.message, name
        assert "SECRET" not in str(err) and err.line == 2


def test_devices_fifos_and_large_files_are_refused(tmp_path, monkeypatch):
    os.mkfifo(tmp_path / "fifo.csv")                       # opening it must not hang
    err = _error(tmp_path, '  let W = load("fifo.csv")\n  find W')
    assert "not a regular file" in err.message
    (tmp_path / "dev.csv").symlink_to("/dev/zero")
    err = _error(tmp_path, '  let W = load("dev.csv")\n  find W')
    assert "outside" in err.message                        # (resolved: /dev is not under the folder)
    monkeypatch.setattr(loading, "MAX_LOAD_BYTES", 64)
    (tmp_path / "big.csv").write_text("1, 2\n" * 40)
    with pytest.raises(LimitError) as info:
        _solve(tmp_path, '  let W = load("big.csv")\n  find W')
    assert "at most 64" in info.value.message and info.value.line == 2


def test_other_bad_calls(tmp_path):
    (tmp_path / "w.txt").write_text("1\n")
    (tmp_path / "latin.csv").write_bytes(b"1, \xe9\n")
    cases = [('load("w.txt")', ".csv or .npy"), ('load("latin.csv")', "not UTF-8"),
             ('load("missing.csv")', "cannot open"), ("load(3)", "file name in quotes"),
             ('load("")', "needs a file name")]
    for call, needle in cases:
        err = _error(tmp_path, f"  let W = {call}\n  find W")
        assert needle in err.message, (call, err.message)


def test_stdin_specs_load_from_the_working_folder(tmp_path, monkeypatch):
    (tmp_path / "w.csv").write_text("2, 3\n")
    monkeypatch.chdir(tmp_path)
    sol = derive.solve('problem "p" {\n  let W = load("w.csv")\n  find W\n}\n', "<stdin>")
    assert _answer(sol) == sp.ImmutableMatrix([[2, 3]])


def test_load_reads_from_an_include_path_folder_as_include_does(tmp_path):
    """`--include-path DIR` (and `include_path=` of the library) lets `load` read files kept
    in DIR, as it lets `include` read specs there; anything else outside stays refused."""
    (tmp_path / "spec").mkdir()
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "w.csv").write_text("1,2\n3,4\n")
    (tmp_path / "secret.csv").write_text("0.987654321\n")
    spec = tmp_path / "spec" / "p.spec"
    spec.write_text('problem "p" {\n  let W = load("w.csv")\n  find W @ [1, 1]\n}\n')
    with pytest.raises(SpecError, match="cannot open 'w.csv'"):          # not beside the spec
        derive.solve(str(spec))
    sol = derive.solve(str(spec), include_path=[tmp_path / "weights"])
    assert _answer(sol) == sp.Matrix([3, 7])
    spec.write_text('problem "p" {\n  let W = load("../secret.csv")\n  find W\n}\n')
    with pytest.raises(SpecError, match="outside") as info:
        derive.solve(str(spec), include_path=[tmp_path / "weights"])
    assert "987654321" not in str(info.value)      # (the message names folders: a bare digit may be in one)
    from derive import cli
    spec.write_text('problem "p" {\n  let W = load("w.csv")\n  find W @ [1, 1]\n}\n')
    assert cli.main(["solve", str(spec), "--include-path", str(tmp_path / "weights"), "-f", "json"]) == 0
