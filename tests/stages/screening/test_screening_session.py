"""The keyboard screening loop, driven by a list of keys instead of a terminal."""

from __future__ import annotations

from collections.abc import Callable

from test_screening_setup import add_records, seed_team

from reviewflow.project import Project
from reviewflow.stages import screening


def _keys(text: str) -> Callable[[], str]:
    it = iter(text)
    return lambda: next(it)


def _run(project: Project, keys: str, views: list) -> screening.SessionResult:
    return screening.screen_loop(
        project, stage="ta", reviewer="MC", read_key=_keys(keys), show=views.append
    )


def test_session_records_keys_and_resumes_at_first_unscreened(project: Project) -> None:
    seed_team(project)
    ids = add_records(project, 5)
    views: list[screening.View] = []
    result = _run(project, "iem r3q", views)
    assert result.decided == 4 and result.remaining == 1
    assert "unknown key ' '" in views[4].message
    assert any(v.choosing_reason for v in views)
    cur = {i: screening.votes(project, stage="ta", item_id=i, reviewer="MC") for i in ids}
    assert [cur[i]["MC"].decision for i in ids[:4]] == ["include", "exclude", "maybe", "exclude"]
    assert cur[ids[3]]["MC"].reason == "no qualitative data"
    assert cur[ids[4]] == {}
    views.clear()
    again = _run(project, "i", views)
    assert views[0].item_id == ids[4] and views[0].done == 4 and views[0].total == 5
    assert again.decided == 1 and again.remaining == 0


def test_undo_withdraws_the_last_vote_and_goes_back(project: Project) -> None:
    seed_team(project)
    ids = add_records(project, 3)
    views: list[screening.View] = []
    result = _run(project, "iueq", views)
    assert views[2].item_id == ids[0] and "withdrawn" in views[2].message
    assert result.undone == 1
    assert screening.votes(project, stage="ta", item_id=ids[0], reviewer="MC")["MC"].decision == (
        "exclude"
    )
    assert screening.counts(project)["records_pending"] == 2


def test_escape_from_the_reason_menu_records_nothing(project: Project) -> None:
    seed_team(project)
    (item,) = add_records(project, 1)
    result = _run(project, "r\x1bq", [])
    assert result.decided == 0
    assert screening.votes(project, stage="ta", item_id=item, reviewer="MC") == {}


def test_each_decision_is_committed_while_the_reviewer_reads_the_next(project: Project) -> None:
    """One session per action: another process sees a decision as soon as it is made, and
    can write while the reviewer reads (no write lock held between keys)."""
    seed_team(project)
    ids = add_records(project, 3)
    seen: list[dict] = []
    keys = iter("iiq")

    def read_key() -> str:
        other = Project.open(project.root)  # a second process, in effect
        try:
            seen.append(
                {i: screening.votes(other, stage="ta", item_id=i, reviewer="MC") for i in ids}
            )
            with other.session(actor="CJ"):  # the write lock is free
                pass
        finally:
            other.close()
        return next(keys)

    screening.screen_loop(
        project, stage="ta", reviewer="MC", read_key=read_key, show=lambda v: None
    )
    committed = [sum(bool(v) for v in votes.values()) for votes in seen]
    assert committed == [0, 1, 2]
