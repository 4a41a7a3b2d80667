"""Record text that looks like terminal markup or escape codes is shown, never obeyed.

A title with ``[/]`` once crashed ``fulltext reports`` (rich MarkupError), ``[link=...]``
became a clickable terminal link and ESC bytes reached the terminal raw; the report's
Markdown carried raw HTML from record text.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reviewflow.cli import cli

DATA = Path(__file__).parent.parent / "data" / "newreview"
EVIL = "Evil [/] [link=http://x]click[/link] \x1b]8;;http://x\x1b\\ \x1b[31m <script>x</script>"


class Review:
    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, *args: str, input: str | None = None) -> Result:
        result = CliRunner(env={"COLUMNS": "400"}).invoke(
            cli, ["-p", str(self.root), *args], input=input
        )
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.output,
            result.exception,
        )
        assert result.exit_code == 0, result.output
        return result


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory) -> Review:
    work = tmp_path_factory.mktemp("hostile")
    for name in ("embase.ris", "medline.nbib", "wos.txt"):  # every title starts with EVIL
        text = (DATA / name).read_text(encoding="utf-8")
        text = re.sub(r"^(T1  - |TI  - |TI )", lambda m: f"{m[1]}{EVIL} ", text, flags=re.M)
        (work / name).write_text(text, encoding="utf-8")
    root = work / "p"
    init = CliRunner().invoke(cli, [
        "init", str(root), "--title", f"Carers {EVIL}",
        "--reviewer", "AB:Ann Baker", "--reviewer", "CD:Chris Dale", "--reviewer", "EF:Eve Fox",
        "--ta-reviewers", "AB", "--ta-second", "CD", "--ta-share", "1", "--ta-arbiter", "EF",
        "--ta-rule", "unanimous_else_arbiter", "--ft-reviewers", "AB", "--ft-arbiter", "EF",
        "--reasons", "not carers",
    ])  # fmt: skip
    assert init.exit_code == 0, init.output
    rf = Review(root)
    for name in ("embase.ris", "medline.nbib", "wos.txt"):
        rf("import", str(work / name))
    rf("dedup")
    rf("screen", "export", "--stage", "ta", "--reviewer", "AB", "-o", str(work / "ab.csv"))
    rf.session = rf("screen", "--stage", "ta", "--reviewer", "AB", input="q")  # type: ignore[attr-defined]
    with (work / "ab.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    evil = [int(r["item_id"]) for r in rows if "Evil" in r["title"]]
    rf.items = evil  # type: ignore[attr-defined]
    for item in evil:
        cd = "exclude" if item == evil[0] else "include"
        rf("screen", "decide", str(item), "--stage", "ta", "--reviewer", "AB", "--decision",
           "include")  # fmt: skip
        rf("screen", "decide", str(item), "--stage", "ta", "--reviewer", "CD", "--decision", cd,
           *(["--reason", "not carers"] if cd == "exclude" else []))  # fmt: skip
    rf("fulltext", "reports", "--create")
    rf("fulltext", "retrieve", str(evil[1]), "--not-retrieved", "no access", "--reviewer", "AB")
    (work / "paper.pdf").write_bytes(b"%PDF-1.4\n% not much of a paper\n%%EOF\n")
    rf("fulltext", "retrieve", str(evil[2]), "--file", str(work / "paper.pdf"), "--reviewer", "AB")
    rf("screen", "decide", str(evil[2]), "--stage", "ft", "--reviewer", "AB", "--decision",
       "include")  # fmt: skip
    study = next(s for s in json.loads(rf("studies", "list", "--json").output)
                 if s["id"] == evil[2])  # fmt: skip
    rf("studies", "rename", str(study["id"]), f"Study {EVIL}")
    findings = work / "findings.md"
    findings.write_text(f"# Paper\n\n## Findings\n\n### Theme\n\nCarers said {EVIL}.\n",
                        encoding="utf-8")  # fmt: skip
    rf("code", "import-findings", str(study["id"]), str(findings))
    with (root / "review.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[extraction.forms]]\nsource = "social_prescribing"\n')
    rf.study = study["id"]  # type: ignore[attr-defined]
    return rf


def _clean(output: str) -> None:
    assert "\x1b" not in output
    assert "\x1b]8;" not in output


def test_fulltext_reports_show_the_title_literally(review: Review) -> None:
    out = review("fulltext", "reports").output
    _clean(out)
    assert "Evil [/] [link=http://x]click[/link]" in out


def test_conflicts_show_the_title_literally(review: Review) -> None:
    out = review("conflicts", "--stage", "ta", "--reviewer", "EF").output
    _clean(out)
    assert "Evil [/]" in out


def test_dedup_groups_status_and_session(review: Review) -> None:
    for args in (("dedup", "groups"), ("status",)):
        out = review(*args).output
        _clean(out)
        assert "Evil [/]" in out, args
    session = review.session  # type: ignore[attr-defined]
    _clean(session.output)
    assert "[link=http://x]click[/link]" in session.output


@pytest.mark.parametrize(
    "args",
    [
        ("studies", "list"),
        ("code", "segments"),
        ("extract", "show", "STUDY"),
        # plain lines (click.echo), not rich tables: cleaned in cli._output.echo
        ("code", "studies"),
    ],
)
def test_studies_segments_and_extraction_show_text_literally(
    review: Review, args: tuple[str, ...]
) -> None:
    args = tuple(str(review.study) if a == "STUDY" else a for a in args)  # type: ignore[attr-defined]
    out = review(*args).output
    _clean(out)
    assert "[link=http://x]click[/link]" in out, out


def test_markdown_report_shows_html_as_text(review: Review, tmp_path: Path) -> None:
    review("report", "--out", str(tmp_path))
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in md and "&lt;script>x&lt;/script>" in md  # shown as text
    assert "\x1b" not in md and (tmp_path / "report.docx").stat().st_size > 0
