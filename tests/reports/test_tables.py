"""Report tables: the figures a reader sees under each table, and the warnings beside it."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from reviewflow.reports import tables, tree
from reviewflow.stages.appraisal.checklists import builtin_checklist, make_appraisal
from reviewflow.stages.appraisal.scoring import scheme
from reviewflow.stages.extraction.forms import builtin_form, make_extraction

FORM = builtin_form("social_prescribing")
SVG = "{http://www.w3.org/2000/svg}"


def _answers(**studies: dict) -> dict:
    return {sid: make_extraction(FORM, sid, "MC", a).answers for sid, a in studies.items()}


BASE = {"country": "England", "model": "Link worker", "timing": "After engagement"}
ANSWERS = _answers(
    a={**BASE, "sample_size": 10, "female_percent": 60, "male_percent": 40,
       "employment": "Employed = 4; Retired = 6", "age_mean": 50.5},
    b={**BASE, "country": "Wales", "sample_size": 20, "female_percent": 63,
       "male_percent": 32, "employment": "Employed = 25", "age_mean": "Not reported",
       "model": "Direct referral"},
)  # fmt: skip
LABELS = {"a": "Alpha 2020", "b": "Beta 2021"}


def test_table1_rows_columns_and_aggregates() -> None:
    t = tables.study_characteristics(
        FORM, ANSWERS, LABELS, columns=["country", "sample_size", "age_mean", "model"]
    )
    assert t.columns == ["Study", "Country", "Sample size", "Age, years (mean)",
                         "Model of social prescribing (Husk et al.)"]  # fmt: skip
    assert t.rows[1] == ["Beta 2021", "Wales", "20", "Not reported", "Direct referral"]
    figures = " ".join(t.figures)
    assert "Sample size: total 30, range 10–20." in figures
    assert "Age, years (mean): range 50.5–50.5 (not reported by 1 of 2)." in figures
    assert "Link worker 1, Direct referral 1" in figures


def test_table1_warns_on_sums_rows_and_stated_total() -> None:
    t = tables.study_characteristics(
        FORM, ANSWERS, LABELS, columns=["sample_size", "employment"], stated={"sample_size": 31}
    )
    warnings = "\n".join(t.warnings)
    assert "Beta 2021: female_percent 63 + male_percent 32 = 95, not 100" in warnings
    assert "Beta 2021: employment counts add up to 25, sample_size is 20" in warnings
    assert "Beta 2021: Employment status (n per status) 'Employed' n=25 exceeds N=20." in warnings
    assert "states a total sample size of 31; the 2 studies add up to 30" in warnings
    assert not any(w.startswith("Alpha") for w in t.warnings)
    assert "summed: Employed 29, Retired 6 (total 35)" in " ".join(t.figures)


def test_table1_consistent_data_has_no_warnings() -> None:
    t = tables.study_characteristics(FORM, {"a": ANSWERS["a"]}, LABELS, stated={"sample_size": 10})
    assert t.warnings == []


def test_table1_extra_column() -> None:
    t = tables.study_characteristics(
        FORM, ANSWERS, LABELS, columns=["country"], extra={"Quality": {"a": "19 [very valuable]"}}
    )
    assert t.column("Quality") == ["19 [very valuable]", ""]


CHECKLIST = builtin_checklist("casp_qualitative")
SCHEME = scheme(CHECKLIST, "seed")


def _appraisal(study: str, **answers: str):
    full = {i: "yes" for i in CHECKLIST.item_ids} | answers
    return make_appraisal(CHECKLIST, study, "MC", full)


def test_appraisal_table_scores_bands_and_published_mismatch() -> None:
    apps = {"a": _appraisal("a", q6="no"), "b": _appraisal("b", q6="no", q7="cant_tell", q8="no")}
    t = tables.appraisal_table(
        CHECKLIST, SCHEME, apps, LABELS, published={"a": (18, "very valuable"), "b": (16, "x")}
    )
    assert t.rows[0][-2:] == ["18", "very valuable"]
    assert t.rows[1][-2:] == ["15", "valuable"]
    assert t.rows[1][6] == "No"  # Q6 column
    assert t.warnings == ["Beta 2021: computed 15 [valuable], published 16 [x]."]
    assert "Scores range from 15 to 18" in t.figures[0]
    assert "Q6 answered Yes for 0 of 2." in t.figures


def test_traffic_light_is_valid_svg_with_one_dot_per_answer() -> None:
    apps = {"a": _appraisal("a", q6="no"), "b": _appraisal("b", q7="cant_tell")}
    root = ElementTree.fromstring(tables.traffic_light_svg(CHECKLIST, apps, LABELS))
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == 2 * 10 + 3  # dots + legend
    fills = [c.get("fill") for c in circles[:20]]
    assert fills.count(tables.LIGHTS["no"]) == 1 and fills.count(tables.LIGHTS["cant_tell"]) == 1
    assert "Alpha 2020" in [t.text for t in root.iter(f"{SVG}text")]


def test_search_log_table_and_missing_counts_note() -> None:
    t = tables.search_log_table(
        [
            {"id": 1, "source": "Embase", "method": "database", "platform": "Ovid",
             "date_searched": "2022-03-21", "query": "social prescri*", "records_returned": 1234,
             "file_name": "embase.ris", "file_sha256": "ab" * 32},
            {"id": 2, "source": "Scopus", "method": "database"},
        ]
    )  # fmt: skip
    assert t.rows[0][7] == "1,234" and t.rows[0][8].startswith("embase.ris (sha256 abababab")
    assert t.rows[1][3:5] == ["Not reported", "Not reported"]
    assert t.notes == ["Records returned not logged for 1 of 2 searches: Scopus."]


TREE = [
    {
        "label": "1", "name": "Person-centred care", "kind": "analytical", "studies": [1, 2],
        "codes": [], "quotes": [], "reported_studies": [1, 2, 3],
        "themes": [
            {"label": "1.1", "name": "Therapeutic relationships", "kind": "descriptive",
             "studies": [1], "codes": ["trust", "feeling at ease"], "reported_studies": None,
             "quotes": [{"text": "felt at ease", "study_id": 1, "study": "Alpha 2020"}]},
        ],
    }
]  # fmt: skip


def test_theme_summary_rows_and_reported_vs_derived_note() -> None:
    t = tables.theme_summary(TREE, {1: "Alpha 2020", 2: "Beta 2021"})
    assert t.rows[0][:3] == ["1 Person-centred care", "analytical", "2: Alpha 2020; Beta 2021"]
    assert t.rows[1][3] == "trust; feeling at ease"
    assert t.rows[1][4] == "“felt at ease” (Alpha 2020)"
    assert t.notes == ["Theme 1: the text reports 3 studies, the coded quotes support 2."]


def test_tree_svg_has_every_node_with_its_studies() -> None:
    svg = tree.to_svg(
        TREE, {1: "Alpha et al. 2020 [7]", 2: "Beta 2021"}, code_studies={"trust": [1]}
    )
    root = ElementTree.fromstring(svg.encode())
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for expected in ("1 Person-centred care", "1.1 Therapeutic", "trust", "feeling at ease",
                     "Studies (2): Alpha 2020, Beta 2021", "Studies: none coded"):  # fmt: skip
        assert expected in texts
    boxes = [g.find(f"{SVG}rect") for g in root.iter(f"{SVG}g")]
    width = float(root.get("width"))
    assert all(float(b.get("x")) + float(b.get("width")) <= width for b in boxes)
    assert len(boxes) == 4


@pytest.mark.parametrize(
    ("label", "short"),
    [("Kellezi et al. 2019 [7]", "Kellezi 2019"), ("Roberts et al, 2020", "Roberts 2020")],
)
def test_short_label(label: str, short: str) -> None:
    assert tree.short_label(label) == short


def test_soqf_without_findings_says_so() -> None:
    assert tables.soqf_table([]).notes == ["No CERQual assessment is recorded in this project."]
