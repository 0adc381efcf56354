"""The QTI export validated against IMS's own schemas (tests/schemas/README.md says where
they come from and under which licence): the assessment against QTI ASI 1.2, the manifest
against IMS Content Packaging, for the seed exam and for a batch of variants (question
groups), with maths as MathML and as TeX.  A document the schema must refuse is refused,
so the validator is not a no-op."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from derive.export import solutions_of, write_export

xmlschema = pytest.importorskip("xmlschema")

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "tests" / "schemas"


@pytest.fixture(scope="module")
def schemas():
    return (xmlschema.XMLSchema(str(SCHEMAS / "qti12" / "ims_qtiasiv1p2.xsd")),
            xmlschema.XMLSchema(str(SCHEMAS / "imscp_v1p2.xsd")))


def _errors(schema, text: str) -> list[str]:
    return [f"{e.path}: {e.reason}" for e in schema.iter_errors(text)]


def _parts(path: Path) -> tuple[str, str]:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert names[0] == "imsmanifest.xml" and len(names) == 2
        return z.read(names[0]).decode(), z.read(names[1]).decode()


@pytest.mark.parametrize("spec, n, maths", [("seed-exam.spec", None, "tex"),
                                            ("seed-exam-variants.spec", 2, "mathml")])
def test_the_qti_export_is_valid_qti_1_2(schemas, tmp_path, spec, n, maths):
    qti, cp = schemas
    out = tmp_path / "quiz.zip"
    write_export(solutions_of(ROOT / "examples" / spec, n=n), "qti", out, math=maths)
    manifest, assessment = _parts(out)
    assert _errors(cp, manifest) == []
    assert _errors(qti, assessment) == []
    kinds = set(re.findall(r"<fieldentry>(\w+_question)</fieldentry>", assessment))
    assert {"numerical_question", "essay_question"} <= kinds
    if n:
        assert "<selection_number>1</selection_number>" in assessment    # the variants' groups
    else:
        assert "multiple_choice_question" in kinds                       # (the bag problem)


def test_the_schemas_refuse_what_qti_does_not_allow(schemas, tmp_path):
    qti, cp = schemas
    out = tmp_path / "quiz.zip"
    write_export(solutions_of(ROOT / "examples" / "seed" / "part2-mlp.spec"), "qti", out)
    manifest, assessment = _parts(out)
    no_condition = re.sub(r"<conditionvar>\s*<other\s*/>\s*</conditionvar>", "", assessment, count=1)
    assert no_condition != assessment and _errors(qti, no_condition)     # a respcondition needs one
    assert _errors(qti, assessment.replace("<presentation>", "<presentation><bogus/>", 1))
    assert _errors(cp, manifest.replace("<resources>", "<resources><resource/>", 1))  # no identifier, type
