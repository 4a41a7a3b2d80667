"""The ``reviewflow code|themes|cerqual`` commands, end to end on a project folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from reviewflow.cli import cli
from reviewflow.project import Project
from reviewflow.stages import retrieval
from reviewflow.stages.synthesis import findings

DATA = Path(__file__).parents[2] / "data" / "synthesis"


def _run(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--project", str(root), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_import_code_theme_and_judge_from_the_command_line(tmp_path: Path) -> None:
    root = tmp_path / "r"
    _run(tmp_path, "init", str(root), "--title", "T")
    _run(root, "code", "studies", "--add", "Kellezi 2019")
    out = json.loads(
        _run(
            root,
            "code",
            "import-findings",
            "Kellezi 2019",
            str(DATA / "kellezi_like.txt"),
            "--json",
        )
    )
    assert (out["segments"], out["quotes"]) == (7, 2)
    segs = json.loads(_run(root, "code", "segments", "--in-scope", "--json"))
    first = segs[0]["id"]
    _run(root, "code", "new", "at ease", "--memo", "Relaxed with the LW", "--reviewer", "MC")
    applied = _run(root, "code", "apply", str(first), "at ease", "--coder", "MC")
    assert applied.strip() == f"Applied 'at ease' to segment {first} (Kellezi 2019)"
    _run(
        root,
        "themes",
        "add",
        "Person-centred",
        "--kind",
        "analytical",
        "--label",
        "1",
        "--description",
        "d",
    )
    _run(
        root,
        "themes",
        "add",
        "Relationship",
        "--kind",
        "descriptive",
        "--label",
        "1.1",
        "--parent",
        "1",
        "--description",
        "d",
        "--code",
        "at ease",
    )
    _run(root, "themes", "quote", "1.1", "--segment", str(segs[1]["id"]))
    matrix = json.loads(_run(root, "themes", "matrix", "--json"))
    assert [(r["label"], r["studies"]) for r in matrix] == [("1", [1]), ("1.1", [1])]
    _run(root, "cerqual", "add", "Relationship mattered", "--theme", "1.1", "--label", "F1")
    _run(root, "cerqual", "judge", "F1", "overall", "low", "--explanation", "one study")
    table = json.loads(_run(root, "cerqual", "table", "--json"))
    assert (table[0]["overall"], table[0]["study_labels"]) == ("low", ["Kellezi 2019"])
    qdc = _run(root, "code", "export", "--format", "qdc")
    assert 'name="at ease"' in qdc


def test_codings_sheet_round_trip_and_annotated_text(tmp_path: Path) -> None:
    root = tmp_path / "r"
    _run(tmp_path, "init", str(root), "--title", "T")
    _run(root, "code", "studies", "--add", "Wildman 2019")
    _run(root, "code", "import-findings", "1", str(DATA / "wildman_like.md"))
    sheet = tmp_path / "sheet.csv"
    _run(root, "code", "export", "--format", "sheet", "-o", str(sheet))
    lines = sheet.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "segment_id,study,key,page,text,codes"
    lines[1] += "health shocks; engagement"
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _run(root, "code", "import-codings", str(sheet), "--coder", "JS")
    annotated = tmp_path / "mc.txt"
    annotated.write_text(
        "# study: Wildman 2019\n"
        "Unanticipated health shocks reduced engagement. {health shocks}\n"
        "Goals were realistic and set together with the link worker.\n",
        encoding="utf-8",
    )
    _run(root, "code", "import-codings", str(annotated), "--coder", "MC")
    bank = {c["name"]: c for c in json.loads(_run(root, "code", "list", "--json"))}
    assert bank["health shocks"]["coders"] == ["JS", "MC"]
    assert bank["engagement"]["coders"] == ["JS"]
    compared = json.loads(_run(root, "code", "compare", "MC", "JS", "--json"))
    assert compared["overall"]["only_second"] == 1  # "engagement" coded by JS only


def test_user_errors_exit_1_with_a_hint(tmp_path: Path) -> None:
    root = tmp_path / "r"
    CliRunner().invoke(cli, ["init", str(root), "--title", "T"])
    bad = tmp_path / "bad.txt"
    bad.write_text("# study: Nobody\nText {code}\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["-p", str(root), "code", "import-codings", str(bad), "--coder", "MC"]
    )
    assert result.exit_code == 1
    assert "bad.txt:1" in result.output and "no study 'Nobody'" in result.output
    result = CliRunner().invoke(
        cli, ["-p", str(root), "cerqual", "judge", "F9", "overall", "high", "--explanation", "x"]
    )
    assert result.exit_code == 1 and "no review finding" in result.output


def _full_text_study(tmp_path: Path, reports: int = 1) -> tuple[Path, list[int]]:
    """A fresh review whose first included records have full texts attached, from a
    downloads folder deleted afterwards (the project keeps its own copies)."""
    root = tmp_path / "r"
    _run(tmp_path, "init", str(root), "--title", "T", "--reviewer", "MC:M Cooper")
    with (root / "review.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[screening.ta]\nreviewers = ["MC"]\n')
    _run(root, "import", str(DATA.parent / "newreview" / "embase.ris"))
    for item in range(1, reports + 1):
        _run(root, "screen", "decide", str(item), "--stage", "ta", "--reviewer", "MC",
             "--decision", "include")  # fmt: skip
    ids = [r["id"] for r in json.loads(_run(root, "fulltext", "reports", "--create", "--json"))]
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    shutil.copy(DATA / "kellezi_like.txt", downloads)
    for rid in ids:
        _run(root, "fulltext", "retrieve", str(rid), "--file", str(downloads / "kellezi_like.txt"),
             "--reviewer", "MC")  # fmt: skip
    shutil.rmtree(downloads)
    return root, ids


def test_import_findings_reads_the_full_text_already_attached(tmp_path: Path) -> None:
    root, (rid,) = _full_text_study(tmp_path)
    study = json.loads(_run(root, "fulltext", "reports", "--json"))[0]["study_id"]
    out = _run(root, "code", "import-findings", str(study))
    assert f"Read the full text attached to report {rid}: kellezi_like.txt" in out
    assert "kellezi_like.txt: 7 segments" in out
    segs = json.loads(_run(root, "code", "segments", "--study", str(study), "--json"))
    assert len(segs) == 7


def test_findings_are_read_from_an_uploaded_pdf_full_text(tmp_path: Path) -> None:
    """A full text that came as bytes (a web upload) is read like an attached file."""
    root, (rid,) = _full_text_study(tmp_path)
    project = Project.open(root)
    try:
        upload = (DATA / "findings.pdf").read_bytes()
        report = retrieval.attach_bytes(
            project, rid, upload, file_name="C:\\Users\\mc\\Greenwood 2013.pdf", reviewer="MC"
        )
        assert report.file_name == "Greenwood 2013.pdf" and report.file_path is None
        (text,) = findings.attached_full_texts(project, report.study_id)
        assert text.path is not None and text.path.read_bytes() == upload
        result = findings.import_findings(project, report.study_id)
    finally:
        project.close()
    assert result.attached_report == rid and result.format == "pdf" and result.segments > 0
    assert result.file == "Greenwood 2013.pdf"


def test_import_findings_without_a_file_and_nothing_attached_says_what_to_do(
    tmp_path: Path,
) -> None:
    root = tmp_path / "r"
    _run(tmp_path, "init", str(root), "--title", "T")
    _run(root, "code", "studies", "--add", "Kellezi 2019")
    result = CliRunner().invoke(cli, ["-p", str(root), "code", "import-findings", "Kellezi 2019"])
    assert result.exit_code == 1
    assert "has no full text attached" in result.stderr
    assert "reviewflow fulltext retrieve" in result.stderr and "Traceback" not in result.output


def test_import_findings_of_a_study_with_several_reports_uses_the_main_one(
    tmp_path: Path,
) -> None:
    root, ids = _full_text_study(tmp_path, reports=2)
    _run(root, "fulltext", "group", *map(str, ids))
    study = json.loads(_run(root, "fulltext", "reports", "--json"))[0]["study_id"]
    result = CliRunner().invoke(cli, ["-p", str(root), "code", "import-findings", str(study)])
    assert result.exit_code == 1 and "2 full texts attached" in result.stderr
    assert "fulltext kind" in result.stderr
    _run(root, "fulltext", "kind", str(ids[1]), "main")
    out = _run(root, "code", "import-findings", str(study))
    assert f"attached to report {ids[1]}: kellezi_like.txt" in out


def test_code_apply_says_what_was_applied_where(tmp_path: Path) -> None:
    root = tmp_path / "r"
    _run(tmp_path, "init", str(root), "--title", "T")
    _run(root, "code", "studies", "--add", "Greenwood 2013")
    _run(root, "code", "import-findings", "Greenwood 2013", str(DATA / "findings.pdf"))
    seg = next(
        s
        for s in json.loads(_run(root, "code", "segments", "--json"))
        if s["page"] is not None and s["in_scope"]
    )
    _run(root, "code", "new", "peer understanding", "--reviewer", "MC")
    code_id = json.loads(_run(root, "code", "list", "--json"))[0]["id"]
    out = _run(root, "code", "apply", str(seg["id"]), str(code_id), "--coder", "MC",
               "--span", "0:5")  # fmt: skip
    assert out.strip() == (
        f"Applied 'peer understanding' to characters 0–5 of segment {seg['id']} "
        f"(Greenwood 2013, p.{seg['page']})"
    )
