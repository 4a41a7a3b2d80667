"""``protocol export`` edits review.toml in place for every kind of stored change: the
file then says exactly the stored protocol, and the team's comments are still there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewflow import protocol
from reviewflow.project import Project
from reviewflow.settings import (
    AppraisalSettings,
    DeclaredCounts,
    ReportSettings,
    Reviewer,
    ScreeningSettings,
    Settings,
    load_settings,
)

COMMENTS = ("# why we chose this title", "# screening notes: pilot first", "# the end")

Edit = Callable[[Settings], None]


def _plan(s: Settings) -> ScreeningSettings:
    assert s.screening is not None
    return s.screening


def _declare(s: Settings) -> None:
    s.report = ReportSettings(
        declared=DeclaredCounts(
            duplicates_removed=10234,
            records_screened="not reported",
            exclusion_reasons=[("not UK", 120), ("not qualitative", 98)],
        )
    )


CASES: list[tuple[str, str, Edit]] = [
    ("share", "a number in a stage plan", lambda s: setattr(_plan(s).ta, "double_share", 0.3)),
    ("reasons", "a long list becomes multi-line",
     lambda s: setattr(_plan(s), "reasons", ["not UK", "not adults", "not qualitative"])),
    ("no-arbiter", "a key removed", lambda s: setattr(_plan(s).ta, "arbiter", None)),
    ("ft-plan", "a stage the file never spelled out",
     lambda s: setattr(_plan(s).ft, "reviewers", ["MC", "CJ"])),
    ("appraisal", "a section added", lambda s: setattr(s, "appraisal",
                                                       AppraisalSettings(scheme="count_yes"))),
    ("no-screening", "a section removed", lambda s: setattr(s, "screening", None)),
    ("declared", "declared counts with [name, n] pairs", _declare),
    ("member-added", "a reviewer added",
     lambda s: s.reviewers.append(Reviewer(initials="KA", name="K Ashley", roles=["viewer"]))),
    ("member-renamed", "a reviewer's name and e-mail",
     lambda s: setattr(s, "reviewers", [s.reviewers[0].model_copy(
         update={"name": "Mary Cooper", "email": "mc@example.org"}), *s.reviewers[1:]])),
    ("title", "a top-level value", lambda s: setattr(s, "title", "Social prescribing (v2)")),
]  # fmt: skip


def _commented(project: Project) -> None:
    """The team's own review.toml: a plan, and comments in three places."""
    path = project.config_path
    text = path.read_text(encoding="utf-8").replace(
        'question = "', f'{COMMENTS[0]}\nquestion = "', 1
    )
    text += (
        f'\n[screening]\n{COMMENTS[1]}\nreasons = ["not UK"]\n\n[screening.ta]\n'
        'reviewers = ["MC"]\nsecond_reviewers = ["CJ"]\ndouble_share = 0.2\narbiter = "LA"\n'
        f"\n{COMMENTS[2]}\n"
    )
    text = text.replace(
        "[database]", '[[reviewers]]\ninitials = "LA"\nname = "L Avery"\n\n[database]', 1
    )
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("case", "note", "change"), CASES, ids=[c[0] for c in CASES])
def test_export_writes_the_stored_change_and_keeps_comments(
    project: Project, case: str, note: str, change: Edit
) -> None:
    _commented(project)
    project = Project.open(project.root)  # the hand-written plan becomes version 2
    try:
        stored = project.settings.model_copy(deep=True)
        change(stored)
        with project.db.transaction() as conn:  # as the web app would: store only
            assert protocol.save(conn, stored, source="web") is not None, note
        protocol.export(project)
        on_file = load_settings(project.config_path)
        assert protocol.document_of(on_file) == protocol.document_of(stored), note
        text = project.config_path.read_text(encoding="utf-8")
        kept = [c for c in COMMENTS if c in text]
        # a section removed takes its own comments (the last one sits in [screening.ta])
        expected = COMMENTS[:1] if case == "no-screening" else COMMENTS
        assert set(expected) <= set(kept), (note, text)
        assert Project.open(project.root).notices == []  # file and store match now
    finally:
        project.close()


def test_export_to_a_new_file_writes_the_whole_protocol(project: Project, tmp_path: Path) -> None:
    target = tmp_path / "protocol-v1.toml"
    protocol.export(project, target)
    assert protocol.document_of(load_settings(target)) == protocol.document_of(project.settings)
