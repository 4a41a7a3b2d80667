"""PRISMA 2020 counts: arithmetic checks in words, the PRISMA2020 CSV, the SVG and its renders."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reviewflow.errors import InputError
from reviewflow.reports.prisma import PrismaCounts, check, to_csv
from reviewflow.reports.prisma_svg import text_width, to_svg, write

SVG_NS = "{http://www.w3.org/2000/svg}"
SEED_DATABASES = [
    "Cochrane Database of Systematic Reviews",
    "Cochrane Central Register of Controlled Trials",
    "CINAHL",
    "Cochrane Protocols",
    "Embase",
    "Medline",
    "PsycInfo",
    "Scopus",
    "Web of Science",
]


def consistent() -> PrismaCounts:
    """A small review whose boxes add up, with both columns and six exclusion reasons."""
    return PrismaCounts(
        databases=[("Embase", 1200), ("MEDLINE", 950), ("PsycInfo", 410), ("Scopus", 1800)],
        registers=[("ClinicalTrials.gov", 40)],
        other_methods=[("Citation searching", 25), ("Websites", 12)],
        duplicates_removed=1500,
        excluded_automation=0,
        removed_other=3,
        records_screened=2897,
        records_excluded=2700,
        reports_sought=197,
        reports_not_retrieved=5,
        reports_assessed=192,
        exclusion_reasons=[
            ("Wrong population", 60),
            ("Not UK based", 45),
            ("No social prescribing intervention or referral to a link worker", 40),
            ("Not qualitative", 25),
            ("Conference abstract", 10),
            ("Duplicate publication of an included study", 6),
        ],
        other_reports_sought=37,
        other_reports_not_retrieved=2,
        other_reports_assessed=35,
        other_exclusion_reasons=[("Wrong population", 30), ("Not qualitative", 3)],
        studies_included=6,
        reports_included=8,
        previous_studies=4,
        previous_reports=5,
    )


def seed() -> PrismaCounts:
    """What the seed review states: the rest is unknown, the stated figures declared."""
    return PrismaCounts(
        databases=[(name, None) for name in SEED_DATABASES],
        databases_total=51965,
        other_methods=[("Hand and citation searching", 109)],
        reports_assessed=288,
        studies_included=6,
        reports_included=6,
        declared={"databases_total", "other_methods", "reports_assessed", "studies_included"},
    )


# -- arithmetic checks -------------------------------------------------------------------


def test_consistent_counts_have_no_mismatch() -> None:
    assert check(consistent()) == []


def test_unknown_counts_are_skipped_not_guessed() -> None:
    assert check(seed()) == []
    assert check(PrismaCounts()) == []


def test_records_screened_mismatch_is_one_sentence_with_the_expected_number() -> None:
    c = PrismaCounts(
        databases=[("Embase", 30000), ("MEDLINE", 21965)],
        duplicates_removed=10000,
        excluded_automation=0,
        removed_other=0,
        records_screened=1234,
    )
    assert check(c) == [
        "Records screened (1,234) should equal records identified (51,965) minus duplicates "
        "removed (10,000) minus automation exclusions (0) minus other removals (0) = 41,965"
    ]


def test_other_methods_screened_with_the_databases_count_as_identified() -> None:
    c = PrismaCounts(
        databases=[("Embase", 100)],
        other_methods=[("Citation searching", 9)],
        other_methods_screened=True,
        duplicates_removed=10,
        excluded_automation=0,
        removed_other=0,
        records_screened=90,
    )
    assert check(c) == [
        "Records screened (90) should equal records identified (109: 100 from databases and "
        "registers and 9 from other methods) minus duplicates removed (10) minus automation "
        "exclusions (0) minus other removals (0) = 99"
    ]
    c.records_screened = 99
    assert check(c) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {
                "databases_total": 4360,
                "databases": [("Embase", 1140), ("MEDLINE", 950), ("PsycInfo", 410), ("S", 1800)],
            },
            "Records identified from databases (4,360) should equal the sum of the 4 "
            "per-database counts (4,300)",
        ),
        (
            {"records_excluded": 3000, "reports_sought": 0},
            "Records excluded (3,000) cannot exceed records screened (2,897)",
        ),
        (
            {"reports_sought": 190},
            "Reports sought for retrieval (190) should equal records screened (2,897) minus "
            "records excluded (2,700) = 197",
        ),
        (
            {"reports_assessed": 195},
            "Reports assessed for eligibility (195) should equal reports sought for retrieval "
            "(197) minus reports not retrieved (5) = 192",
        ),
        (
            {"reports_not_retrieved": 200, "reports_assessed": None},
            "Reports not retrieved (200) cannot exceed reports sought for retrieval (197)",
        ),
        (
            {"reports_excluded": 180},
            "The reasons for excluding reports add up to 186, but reports excluded is 180",
        ),
        (
            {"reports_included": 9},
            "Reports of included studies (9) should equal reports assessed for eligibility "
            "(192) minus reports excluded (186) plus reports assessed via other methods (35) "
            "minus reports excluded via other methods (33) = 8",
        ),
        (
            {"studies_included": 9, "reports_included": 8},
            "Studies included in review (9) cannot exceed reports of included studies (8): "
            "every study has at least one report",
        ),
        (
            {"other_reports_sought": 40, "other_reports_not_retrieved": 5},
            "Reports sought for retrieval via other methods (40) cannot exceed records "
            "identified from other methods (37)",
        ),
        (
            {"other_reports_not_retrieved": 1},
            "Reports assessed for eligibility via other methods (35) should equal reports "
            "sought for retrieval via other methods (37) minus reports not retrieved via "
            "other methods (1) = 36",
        ),
        (
            {"previous_studies": 6},
            "Studies included in previous version of review (6) cannot exceed reports of "
            "studies included in previous version of review (5): every study has at least "
            "one report",
        ),
    ],
)
def test_each_inconsistency_is_stated_in_words(change: dict, expected: str) -> None:
    c = consistent()
    for name, value in change.items():
        setattr(c, name, value)
    # the first mismatch is the one caused; boxes further down may disagree in turn
    assert check(c)[0] == expected


def test_negative_counts_are_reported() -> None:
    c = consistent()
    c.removed_other = -3
    problems = check(c)
    assert "Records removed for other reasons cannot be negative (-3)" in problems


# -- PRISMA2020 CSV ----------------------------------------------------------------------

#: (data, node, box) of every row of PRISMA2020's inst/extdata/PRISMA.csv, in order.
TEMPLATE = [
    ("NA", "node4", "prevstud"),
    ("previous_studies", "node5", "box1"),
    ("previous_reports", "NA", "box1"),
    ("NA", "node6", "newstud"),
    ("database_results", "node7", "box2"),
    ("database_specific_results", "NA", "box2"),
    ("register_results", "NA", "box2"),
    ("register_specific_results", "NA", "box2"),
    ("NA", "node16", "othstud"),
    ("website_results", "node17", "box11"),
    ("organisation_results", "", "box11"),
    ("citations_results", "NA", "box11"),
    ("duplicates", "node8", "box3"),
    ("excluded_automatic", "NA", "box3"),
    ("excluded_other", "NA", "box3"),
    ("records_screened", "node9", "box4"),
    ("records_excluded", "node10", "box5"),
    ("dbr_sought_reports", "node11", "box6"),
    ("dbr_notretrieved_reports", "node12", "box7"),
    ("other_sought_reports", "node18", "box12"),
    ("other_notretrieved_reports", "node19", "box13"),
    ("dbr_assessed", "node13", "box8"),
    ("dbr_excluded", "node14", "box9"),
    ("other_assessed", "node20", "box14"),
    ("other_excluded", "node21", "box15"),
    ("new_studies", "node15", "box10"),
    ("new_reports", "NA", "box10"),
    ("total_studies", "node22", "box16"),
    ("total_reports", "NA", "box16"),
    ("identification", "node1", "identification"),
    ("screening", "node2", "screening"),
    ("included", "node3", "included"),
]


def _csv_rows(counts: PrismaCounts) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(to_csv(counts))))


def test_csv_has_the_prisma2020_columns_rows_and_nodes() -> None:
    text = to_csv(consistent())
    assert text.splitlines()[0] == "data,node,box,description,boxtext,tooltips,url,n"
    rows = _csv_rows(consistent())
    assert [(r["data"], r["node"], r["box"]) for r in rows] == TEMPLATE
    by = {r["data"]: r for r in rows}
    assert by["records_screened"]["boxtext"] == "Records screened"
    assert by["records_screened"]["url"] == "records_screened.html"
    assert by["dbr_excluded"]["description"].startswith("Reports excluded (databases and regis")


def test_csv_n_values_in_the_form_the_r_package_parses() -> None:
    by = {r["data"]: r["n"] for r in _csv_rows(consistent())}
    assert by["database_results"] == "4360"
    assert by["database_specific_results"] == (
        "Embase, 1200; MEDLINE, 950; PsycInfo, 410; Scopus, 1800"
    )
    assert by["register_results"] == "40"
    assert by["citations_results"] == "25" and by["website_results"] == "12"
    assert by["organisation_results"] == "NA"
    assert by["duplicates"] == "1500" and by["records_screened"] == "2897"
    assert by["dbr_excluded"].startswith("Wrong population, 60; Not UK based, 45; ")
    assert by["other_excluded"] == "Wrong population, 30; Not qualitative, 3"
    assert (by["new_studies"], by["new_reports"]) == ("6", "8")
    assert (by["total_studies"], by["total_reports"]) == ("10", "13")
    assert by["identification"] == "0"  # title rows keep the template's n


def test_csv_unknown_counts_are_na_and_declared_ones_say_so() -> None:
    rows = {r["data"]: r for r in _csv_rows(seed())}
    assert rows["records_screened"]["n"] == "NA"
    assert rows["database_results"]["n"] == "51965"
    assert rows["database_results"]["tooltips"].endswith("(declared, not derived)")
    assert rows["records_screened"]["tooltips"] == "Records screened (databases and registers)"
    assert rows["database_specific_results"]["n"].startswith(
        "Cochrane Database of Systematic Reviews, NA; Cochrane Central"
    )
    # hand and citation searching share PRISMA2020's citation slot, named as the review names it
    assert rows["citations_results"]["boxtext"] == "Hand and citation searching"
    assert rows["citations_results"]["n"] == "109"
    assert rows["dbr_excluded"]["n"] == "NA"


# -- SVG -------------------------------------------------------------------------------


def _boxes(svg: str) -> dict[str, tuple[tuple[float, float, float, float], list[str]]]:
    root = ET.fromstring(svg.encode("utf-8"))
    out = {}
    for g in root.iter(f"{SVG_NS}g"):
        if not g.get("id", "").startswith("box-"):
            continue
        r = g.find(f"{SVG_NS}rect")
        assert r is not None
        rect = tuple(float(r.get(k, 0)) for k in ("x", "y", "width", "height"))
        lines = [t.text or "" for t in g.iter(f"{SVG_NS}text")]
        out[g.get("id", "")[4:]] = (rect, lines)
    return out


def _text(svg: str, key: str) -> str:
    return " ".join(_boxes(svg)[key][1])


def test_svg_is_valid_xml_with_the_official_box_texts() -> None:
    svg = to_svg(consistent())
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG_NS}svg"
    bars = {g.get("id") for g in root.iter(f"{SVG_NS}g") if g.get("id", "").startswith("bar-")}
    assert bars == {"bar-identification", "bar-screening", "bar-included"}
    assert _text(svg, "header_new") == "Identification of new studies via databases and registers"
    assert _text(svg, "header_other") == "Identification of new studies via other methods"
    assert _text(svg, "identified").startswith("Records identified from: Databases (n = 4,360)")
    assert "Registers (n = 40)" in _text(svg, "identified")
    assert _text(svg, "removed") == (
        "Records removed before screening: Duplicate records removed (n = 1,500) Records "
        "marked as ineligible by automation tools (n = 0) Records removed for other reasons "
        "(n = 3)"
    )
    assert _text(svg, "screened") == "Records screened (n = 2,897)"
    assert _text(svg, "records_excluded") == "Records excluded (n = 2,700)"
    assert _text(svg, "sought") == "Reports sought for retrieval (n = 197)"
    assert _text(svg, "not_retrieved") == "Reports not retrieved (n = 5)"
    assert _text(svg, "assessed") == "Reports assessed for eligibility (n = 192)"
    assert _text(svg, "reports_excluded").startswith("Reports excluded: Wrong population (n = 60)")
    assert _text(svg, "included") == (
        "Studies included in review (n = 6) Reports of included studies (n = 8)"
    )
    assert _text(svg, "other_identified") == (
        "Records identified from: Citation searching (n = 25) Websites (n = 12)"
    )
    assert "Declared, not derived" not in svg


def test_updated_template_adds_previous_studies_and_totals() -> None:
    svg = to_svg(consistent(), template="updated")
    assert _text(svg, "header_previous") == "Previous studies"
    assert _text(svg, "previous") == (
        "Studies included in previous version of review (n = 4) Reports of studies included "
        "in previous version of review (n = 5)"
    )
    assert _text(svg, "included") == (
        "New studies included in review (n = 6) Reports of new included studies (n = 8)"
    )
    assert _text(svg, "total") == (
        "Total studies included in review (n = 10) Reports of total included studies (n = 13)"
    )
    with pytest.raises(InputError, match="unknown PRISMA template"):
        to_svg(consistent(), template="old")


def test_without_other_methods_column() -> None:
    boxes = _boxes(to_svg(consistent(), other_methods=False))
    assert not {"header_other", "other_identified", "other_sought"} & set(boxes)
    # records found by other methods and screened with the rest stay in the identification box
    c = consistent()
    c.other_methods_screened = True
    assert "Other methods (n = 37)" in _text(to_svg(c, other_methods=False), "identified")


def test_declared_counts_carry_a_dagger_and_the_footnote() -> None:
    svg = to_svg(seed())
    assert "Databases (n = 51,965†)" in _text(svg, "identified")
    assert _text(svg, "assessed") == "Reports assessed for eligibility (n = 288†)"
    assert _text(svg, "screened") == "Records screened (n = not reported)"
    assert "† Declared, not derived" in svg


@pytest.mark.parametrize("template", ["new", "updated"])
@pytest.mark.parametrize("counts", [consistent, seed], ids=["constructed", "seed"])
def test_nothing_overlaps_or_overflows(counts, template: str) -> None:
    root = ET.fromstring(to_svg(counts(), template=template).encode("utf-8"))
    rects = {}
    for g in root.iter(f"{SVG_NS}g"):
        if not g.get("id", "").startswith("box-"):
            continue
        r = g.find(f"{SVG_NS}rect")
        x, y, w, h = (float(r.get(k, 0)) for k in ("x", "y", "width", "height"))
        rects[g.get("id")] = (x, y, w, h)
        for t in g.iter(f"{SVG_NS}text"):
            size, bold = float(t.get("font-size", 11)), t.get("font-weight") == "bold"
            width = text_width(t.text or "", size=size, bold=bold)
            tx, ty = float(t.get("x", 0)), float(t.get("y", 0))
            left = tx - width / 2 if t.get("text-anchor") == "middle" else tx
            assert x < left and left + width < x + w, (g.get("id"), t.text)
            assert y < ty - size * 0.75 and ty + size * 0.25 < y + h, (g.get("id"), t.text)
    keys = sorted(rects)
    for i, a in enumerate(keys):
        ax, ay, aw, ah = rects[a]
        for b in keys[i + 1 :]:
            bx, by, bw, bh = rects[b]
            overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
            assert not overlap, (a, b)


def test_width_estimate_is_never_narrower_than_dejavu_sans() -> None:
    font_file = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    ImageFont = pytest.importorskip("PIL.ImageFont")
    if not font_file.exists():
        pytest.skip("DejaVu Sans not installed")
    font = ImageFont.truetype(str(font_file), 110)
    samples = [
        "Cochrane Database of Systematic Reviews",
        "Records marked as ineligible by automation tools (n = 51,965†)",
        "WWW MMM mmm www 0123456789 ()[],;:",
        "Reports of studies included in previous version of review",
    ]
    for s in samples:
        assert text_width(s, size=11) >= font.getlength(s) / 10


def test_png_pdf_svg_csv_files_are_written(tmp_path: Path) -> None:
    paths = write(seed(), tmp_path, stem="flow")
    assert set(paths) == {"svg", "png", "pdf", "csv"}
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
    assert paths["png"].stat().st_size > 20_000
    ET.parse(paths["svg"])
    assert paths["csv"].read_text(encoding="utf-8").startswith("data,node,box,")
    with pytest.raises(InputError, match="unknown PRISMA output format gif"):
        write(seed(), tmp_path, formats=["svg", "gif"])
