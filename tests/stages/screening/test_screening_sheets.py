"""Screening in spreadsheets: export a reviewer's sheet, fill it in, import it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from test_screening_setup import add_records, seed_team

from reviewflow.errors import InputError, NotFoundError, StateError
from reviewflow.project import Project
from reviewflow.stages import screening
from reviewflow.store import queries

DATA = Path(__file__).parents[2] / "data" / "screening"


def _decisions(project: Project) -> int:
    with project.db.connect() as conn:
        return queries.table_counts(conn)["screening_decisions"]


def _fill(sheet: str, decide: dict[str, str]) -> str:
    rows = list(csv.DictReader(io.StringIO(sheet)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    for row in rows:
        row.update(decide.get(row["item_id"], {}))  # type: ignore[arg-type]
        writer.writerow(row)
    return out.getvalue()


def test_export_fill_import_roundtrip(project: Project, tmp_path: Path) -> None:
    seed_team(project)
    ids = add_records(project, 6)
    sheet = screening.export_sheet(project, stage="ta", reviewer="MC")
    assert sheet.splitlines()[0].startswith("stage,item_id,reviewer,title")
    assert len(sheet.splitlines()) == 7
    filled = _fill(
        sheet,
        {
            str(ids[0]): {"decision": "include"},
            str(ids[1]): {"decision": "E", "reason": "not adults", "note": "children"},
            str(ids[2]): {"decision": "maybe"},
        },
    )
    path = tmp_path / "mc.csv"
    path.write_text(filled, encoding="utf-8-sig")  # Excel writes a BOM
    result = screening.import_sheet(project, path)
    assert (result.rows, result.recorded, result.blank) == (6, 3, 3)
    vote = screening.votes(project, stage="ta", item_id=ids[1], reviewer="MC")["MC"]
    assert (vote.decision, vote.reason, vote.note) == ("exclude", "not adults", "children")
    again = screening.import_sheet(project, path)
    assert (again.recorded, again.unchanged) == (0, 3)
    assert _decisions(project) == 3
    # the re-exported sheet shows the reviewer's own votes
    assert ",exclude,not adults,children" in screening.export_sheet(
        project, stage="ta", reviewer="MC"
    )


def test_sheet_with_wrong_columns_is_refused(project: Project) -> None:
    seed_team(project)
    add_records(project, 1)
    with pytest.raises(InputError, match=r"wrong_columns.csv:1: missing column\(s\) decision"):
        screening.import_sheet(project, DATA / "wrong_columns.csv", stage="ta")
    assert _decisions(project) == 0


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        ("ta,{id},ZZ,include,,", NotFoundError, "mc.csv:3: unknown reviewer 'ZZ'"),
        ("ta,{id},MC,exclude,too old,", InputError, "mc.csv:3: reason 'too old'"),
        ("ta,{id},MC,yes,,", InputError, "mc.csv:3: decision 'yes'"),
        ("ta,x{id},MC,include,,", InputError, "mc.csv:3: item_id"),
        ("ta,{id}99,MC,include,,", NotFoundError, "mc.csv:3: record"),
        ("ft,{id},MC,include,,", NotFoundError, "mc.csv:3: report"),
        ("ta,{id},LA,include,,", StateError, "mc.csv:3: record .* not a conflict"),
        ("ta,{id},MC,include,a, b,c", InputError, "mc.csv:3: more cells than the header"),
    ],
)
def test_one_bad_row_records_nothing(
    project: Project, tmp_path: Path, row: str, error: type[Exception], message: str
) -> None:
    seed_team(project)
    a, b = add_records(project, 2)
    path = tmp_path / "mc.csv"
    path.write_text(
        f"stage,item_id,reviewer,decision,reason,note\nta,{a},MC,include,,\n"
        + row.format(id=b)
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(error, match=message):
        screening.import_sheet(project, path)
    assert _decisions(project) == 0


def test_sheet_of_the_second_reviewer_holds_only_the_sample(project: Project) -> None:
    seed_team(project)
    ids = add_records(project, 50)
    with project.db.connect() as conn:
        state = screening.load_state(conn, project, "ta")
    sample = {i for i in ids if "CJ" in state.assigned[i]}
    rows = list(
        csv.DictReader(io.StringIO(screening.export_sheet(project, stage="ta", reviewer="CJ")))
    )
    assert {int(r["item_id"]) for r in rows} == sample


def test_a_large_sheet_keeps_every_vote_and_its_order(project: Project, tmp_path: Path) -> None:
    # Hundreds of rows go through PostgreSQL's COPY: each vote, reason and note must
    # arrive as written, as events in the sheet's order, and a second import adds none.
    seed_team(project)
    ids = add_records(project, 300)
    decide = {
        str(i): {"decision": "include" if n % 7 == 0 else "exclude"} for n, i in enumerate(ids)
    }
    note = 'Ärzte, "Tab"\t'
    decide[str(ids[5])] = {"decision": "exclude", "reason": "not adults", "note": note}
    path = tmp_path / "mc.csv"
    path.write_text(_fill(screening.export_sheet(project, stage="ta", reviewer="MC"), decide))
    assert screening.import_sheet(project, path).recorded == 300
    vote = screening.votes(project, stage="ta", item_id=ids[5], reviewer="MC")["MC"]
    assert (vote.decision, vote.reason, vote.note) == ("exclude", "not adults", 'Ärzte, "Tab"')
    with project.db.connect() as conn:
        from reviewflow.store import screening_queries as sq

        events = sq.decision_events(conn, stage="ta")
    assert [e["item_id"] for e in events] == ids
    assert sum(e["decision"] == "include" for e in events) == len(ids[::7])
    assert screening.import_sheet(project, path).recorded == 0
    assert _decisions(project) == 300
