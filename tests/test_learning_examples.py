"""Every worked example of examples/learning/ solves, every step checked or a definition,
in every output format, and a few of their answers agree with scikit-learn."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import derive

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples" / "learning").glob("*.spec"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_solves_in_every_format(path):
    solution = derive.solve(path)
    assert solution.ok, [(r.label, r.error) for r in solution.results if r.error]
    for r in solution.results:
        assert all(s.checked in (True, None) for top in r.steps for s in top.walk())
        assert any(s.checked for top in r.steps for s in top.walk())          # something was checked
    for fmt in ("md", "latex", "html", "text"):
        assert solution.render(fmt)
    assert solution.to_json()["problems"]


def test_the_kmeans_and_pca_examples_agree_with_scikit_learn():
    pytest.importorskip("sklearn")
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    X = np.array([[1, 1], [1.5, 2], [3, 4], [5, 7], [3.5, 5], [4.5, 5]])
    km = KMeans(2, init=np.array([[1, 1], [1.5, 2]]), n_init=1, max_iter=3, tol=0).fit(X)
    got = derive.solve(ROOT / "examples/learning/kmeans.spec").results[0].answer.expr
    np.testing.assert_allclose(np.array(got.tolist(), dtype=float), km.cluster_centers_, atol=1e-12)
    P = np.array([[2, 0], [0, 2], [3, 1], [1, 3]])
    got = derive.solve(ROOT / "examples/learning/pca.spec").results[0].answer.expr
    np.testing.assert_allclose(np.array(got.evalf().tolist(), dtype=float), PCA(1).fit(P).components_, atol=1e-12)


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_the_examples_compile_with_pdflatex(tmp_path):
    """All examples in one LaTeX document (a name such as X̃ must reach TeX as \\tilde{X})."""
    spec = tmp_path / "all.spec"
    spec.write_text("\n".join(p.read_text(encoding="utf-8") for p in EXAMPLES), encoding="utf-8")
    (tmp_path / "all.tex").write_text(derive.solve(spec).render("latex"), encoding="utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "all.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:]
