"""The LaTeX output compiles with a stock pdflatex: every seed spec, our golden specs, a
fixture with every construct, and the body-only form inside a minimal host document.

Skipped when pdflatex is not on PATH (.ci/run installs it).  A compile error fails the
test with the log's error lines.  With pdffonts (poppler-utils) on PATH the PDF is also
checked for bitmap (Type 3) fonts, which would mean a glyph outside the stock Type 1 fonts.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from derive.render import render

from render_fixtures import stress_solution
from solved import solved

PDFLATEX = shutil.which("pdflatex")
pytestmark = pytest.mark.skipif(PDFLATEX is None, reason="pdflatex is not installed")

ROOT = Path(__file__).resolve().parent.parent


def _find_seed() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        cand = parent / "shared" / "specs" / "seed"
        if cand.is_dir():
            return cand
    return None


SEED = _find_seed()
SPECS = (sorted(SEED.glob("*.spec")) if SEED else []) + sorted((ROOT / "tests" / "specs").glob("*.spec"))


def compile_tex(tex: str, workdir: Path, name: str = "doc", type1_only: bool = True) -> Path:
    """Compile `tex` with pdflatex in `workdir`; fail with the log's errors if it does not."""
    src = workdir / f"{name}.tex"
    src.write_text(tex, encoding="utf-8")
    proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                           src.name], cwd=workdir, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    log = (workdir / f"{name}.log").read_text(encoding="latin-1") if (workdir / f"{name}.log").exists() else ""
    errors = [line for line in log.splitlines() if line.startswith("!")]
    assert proc.returncode == 0 and not errors, "pdflatex failed:\n" + "\n".join(errors or log.splitlines()[-30:])
    pdf = workdir / f"{name}.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 1000
    overfull = re.findall(r"Overfull \\hbox \((\d+\.\d+)pt too wide\)", log)
    assert not [w for w in overfull if float(w) > 20], f"lines overflow the margin by {overfull} pt"
    if type1_only and shutil.which("pdffonts"):
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        assert "Type 3" not in fonts, f"bitmap fonts in the PDF:\n{fonts}"
    return pdf


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.name)
def test_spec_compiles(spec, tmp_path):
    solution = solved(spec)
    compile_tex(render(solution, "latex"), tmp_path)


EXAM = ROOT / "examples" / "seed-exam.spec"


@pytest.fixture(scope="module")
def seed_exam():
    return solved(EXAM)


@pytest.mark.parametrize("view", ["solutions", "paper", "key"])
def test_seed_exam_compiles_in_every_view(seed_exam, view, tmp_path):
    """The whole exam (includes, sections, sub-questions, not-derived goals) as a document."""
    pdf = compile_tex(render(seed_exam, "latex", view=view), tmp_path, name=f"exam-{view}")
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        assert pages >= 5, f"{view}: only {pages} pages"


def test_every_construct_compiles(tmp_path):
    compile_tex(render(stress_solution(), "latex"), tmp_path)


@pytest.mark.parametrize("view", ["paper", "key"])
def test_views_compile(view, tmp_path):
    compile_tex(render(stress_solution(), "latex", view=view), tmp_path)


def test_body_compiles_inside_a_host_document(tmp_path):
    """standalone=False (Jupyter's _repr_latex_, \\input): needs only the packages it names."""
    body = stress_solution()._repr_latex_()
    assert r"\documentclass" not in body and r"\begin{document}" not in body
    host = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb,graphicx,booktabs}\n\\begin{document}\n"
            + body + "\n" + body + "\n\\end{document}\n")          # twice: its macros may be defined twice
    compile_tex(host, tmp_path, type1_only=False)   # the host's own list bullets may be bitmaps


def test_the_seed_exam_needs_no_scaling(seed_exam, tmp_path):
    """Long maths and wide tables are broken or wrapped, never shrunk (issue 9 §7): the
    seed exam's solutions compile without `\\derivefit` scaling anything down."""
    tex = render(seed_exam, "latex")
    scale = r"\ifdim\wd0>#1\relax\resizebox"
    assert scale in tex
    compile_tex(tex.replace(scale, r"\ifdim\wd0>#1\relax\typeout{DERIVEFIT}\resizebox"), tmp_path, name="fit")
    assert "DERIVEFIT" not in (tmp_path / "fit.log").read_text(encoding="latin-1")
