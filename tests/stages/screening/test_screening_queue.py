"""The web app's screening questions: next record, one record's view, the list, progress,
and the owner's blindness switch; blind throughout."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from test_screening_setup import SEED_SCREENING, seed_team

from reviewflow.errors import InputError, StateError
from reviewflow.project import Project
from reviewflow.records import Record
from reviewflow.stages import screening
from reviewflow.stages.screening import live, queue
from reviewflow.store import queries
from reviewflow.store.schema import screening_stage_events

ON_TOPIC = "link worker social prescribing mental health loneliness community referral"
OFF_TOPIC = "knee arthroplasty implant survival orthopaedic surgery revision"

#: Everyone screens every record at title/abstract: CJ's votes fall on MC's items too.
BOTH = {**SEED_SCREENING, "ta": {**SEED_SCREENING["ta"], "double_share": 1.0}}
RANKED = {**BOTH, "ta": {**BOTH["ta"], "ranking": True}}


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    yield
    queue.clear()


def _add(project: Project, titles: list[str], *, authors: list[str] | None = None) -> list[int]:
    items = [
        Record(title=t, abstract=f"Abstract of {t}", authors=[authors[n] if authors else "Hall, J"],
               year=2010 + n % 10, raw=t)
        for n, t in enumerate(titles)
    ]  # fmt: skip
    with project.db.transaction() as conn:
        iid = queries.insert_import(
            conn,
            values={"file_name": f"{len(titles)}-{titles[0][:8]}.ris", "file_sha256": "1" * 64,
                    "format": "ris", "records_read": len(items), "warnings": []},
        )  # fmt: skip
        queries.insert_records(conn, import_id=iid, items=items)
    with project.db.connect() as conn:
        return [r.id for r in queries.iter_records(conn, import_id=iid)]  # type: ignore[misc]


def _decide(project: Project, item: int, decision: str, reviewer: str = "MC", **kw: str) -> None:
    screening.decide(project, stage="ta", item_id=item, reviewer=reviewer, decision=decision, **kw)


def _next(project: Project, reviewer: str = "MC", **kw: object) -> int | None:
    return screening.next_item(project, stage="ta", reviewer=reviewer, **kw)  # type: ignore[arg-type]


def _topical(project: Project) -> list[int]:
    titles = [f"{OFF_TOPIC} {i}" for i in range(30)]
    titles[0] = f"{ON_TOPIC} study A"
    titles[1] = f"{OFF_TOPIC} trial B"
    titles[25] = f"{ON_TOPIC} study C"  # far down in id order
    return _add(project, titles)


# -- next_item ---------------------------------------------------------------------------


def test_without_ranking_the_next_item_is_the_first_open_one_in_id_order(
    project: Project,
) -> None:
    seed_team(project)
    ids = _add(project, [f"record {i}" for i in range(5)])
    assert _next(project) == ids[0]
    _decide(project, ids[0], "include")
    _decide(project, ids[2], "exclude")
    assert _next(project) == ids[1]
    assert _next(project, skip=[ids[1]]) == ids[3]
    assert _next(project, skip=ids[1:]) is None
    screening.withdraw(project, stage="ta", item_id=ids[0], reviewer="MC")
    assert _next(project) == ids[0]  # an undone vote makes the item open again
    assert _next(project, reviewer="LA") is None  # the arbiter screens nothing
    for i in ids:
        _decide(project, i, "exclude")
    assert _next(project) is None


def test_items_imported_later_appear(project: Project) -> None:
    seed_team(project)
    ids = _add(project, [f"record {i}" for i in range(3)])
    for i in ids:
        _decide(project, i, "exclude")
    assert _next(project) is None
    (new,) = _add(project, ["an update search's record"])
    assert _next(project) == new


def test_a_closed_stage_has_no_next_item(project: Project) -> None:
    seed_team(project)
    ids = _add(project, [f"record {i}" for i in range(3)])
    screening.close_stage(project, stage="ta", reviewer="LA", force=True)
    assert _next(project) is None
    screening.reopen_stage(project, stage="ta", reviewer="LA")
    assert _next(project) == ids[0]


def test_ranked_the_next_item_is_a_relevant_one_after_a_few_own_votes(
    project: Project,
) -> None:
    seed_team(project, screening=RANKED)
    ids = _topical(project)
    assert _next(project) == ids[0]  # nothing to learn from yet: id order
    _decide(project, ids[0], "include")
    assert _next(project) == ids[1]  # one include alone: still id order
    _decide(project, ids[1], "exclude")
    assert _next(project) == ids[25]  # the on-topic record jumps the queue
    assert _next(project, skip=[ids[25]]) not in (ids[25], None)


def test_ranked_new_items_are_ranked_too(project: Project) -> None:
    seed_team(project, screening=RANKED)
    ids = _topical(project)
    _decide(project, ids[0], "include")
    _decide(project, ids[1], "exclude")
    _decide(project, ids[25], "include")
    old_open = [i for i in ids if i not in (ids[0], ids[1], ids[25])]
    (new,) = _add(project, [f"{ON_TOPIC} study D"])
    assert _next(project, skip=old_open) == new  # at once: after the ranked ones at worst
    screening.warm(project, stage="ta", reviewer="MC")  # its features built, and refitted
    assert _next(project) == new


def test_another_reviewers_votes_never_change_my_order_or_my_view(project: Project) -> None:
    seed_team(project, screening=RANKED)
    ids = _topical(project)
    _decide(project, ids[0], "include")
    _decide(project, ids[1], "exclude")
    mine_before = [_next(project, skip=[])]
    mine_before.append(_next(project, skip=mine_before))
    view_before = screening.item_view(project, stage="ta", item_id=ids[25], reviewer="MC")
    # CJ votes the other way round: includes the off-topic records, excludes on-topic ones
    for i in ids[2:20]:
        _decide(project, i, "include", reviewer="CJ")
    _decide(project, ids[25], "exclude", reviewer="CJ", reason="not UK-based")
    mine_after = [_next(project, skip=[])]
    mine_after.append(_next(project, skip=mine_after))
    assert mine_after == mine_before
    view = screening.item_view(project, stage="ta", item_id=ids[25], reviewer="MC")
    assert view.vote is None and view.visible_votes == {} and view.reason is None
    assert (view.done, view.total) == (view_before.done, view_before.total) == (2, 30)
    # blindness off: the votes are visible, and still only mine steer my queue
    screening.set_blind(project, stage="ta", blind=False, reviewer="MC")
    opened = screening.item_view(project, stage="ta", item_id=ids[25], reviewer="MC")
    assert set(opened.visible_votes) == {"CJ"} and opened.vote is None
    assert _next(project) == mine_before[0]


def test_the_view_holds_my_own_vote_reason_and_note(project: Project) -> None:
    seed_team(project, screening=BOTH)
    ids = _add(project, ["Carers and link workers", "Knee surgery"])
    _decide(project, ids[1], "exclude", reason="not mental health", note="knees #ortho #uk")
    _decide(project, ids[1], "include", reviewer="CJ")
    view = screening.item_view(project, stage="ta", item_id=ids[1], reviewer="MC")
    assert (view.vote, view.reason) == ("exclude", "not mental health")
    assert (view.saved_note, view.saved_tags) == ("knees", ("ortho", "uk"))
    assert set(view.visible_votes) == {"MC"}
    assert view.title == "Knee surgery" and view.year == "2011"
    assert (view.done, view.total) == (1, 2)
    cj = screening.item_view(project, stage="ta", item_id=ids[1], reviewer="CJ")
    assert cj.vote == "include" and cj.saved_note == "" and set(cj.visible_votes) == {"CJ"}
    with pytest.raises(Exception, match="not an item"):
        screening.item_view(project, stage="ta", item_id=99_999, reviewer="MC")


def test_deciding_and_asking_in_one_write_session_and_a_rolled_back_one(
    project: Project,
) -> None:
    seed_team(project)
    ids = _add(project, [f"record {i}" for i in range(3)])
    with project.session(actor="MC"):
        _decide(project, ids[0], "include")
        assert _next(project) == ids[1]  # the session's own decision counts
    with pytest.raises(RuntimeError), project.session(actor="MC"):
        _decide(project, ids[1], "include")
        assert _next(project) == ids[2]
        raise RuntimeError("the request failed after the decision")
    assert _next(project) == ids[1]  # rolled back: open again, whatever was cached


def test_background_refits_answer_from_the_previous_order_meanwhile(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_team(project, screening=RANKED)
    ids = _topical(project)
    monkeypatch.setattr(live, "INLINE_S", 0.0)  # every refit goes to the background
    release = threading.Event()
    real = screening.prioritise.SessionRanker.refit

    def slow(self, votes, items=None, **kw):  # type: ignore[no-untyped-def]
        release.wait(timeout=30)
        return real(self, votes, items, **kw)

    monkeypatch.setattr(screening.prioritise.SessionRanker, "refit", slow)
    release.set()
    screening.warm(project, stage="ta", reviewer="MC")
    release.clear()
    _decide(project, ids[0], "include")
    _decide(project, ids[1], "exclude")
    assert _next(project) == ids[2]  # the refit is running: the previous (id) order
    release.set()
    screening.warm(project, stage="ta", reviewer="MC")
    assert _next(project) == ids[25]


def test_many_threads_asking_at_once_get_open_items(project: Project) -> None:
    seed_team(project, screening=RANKED)
    ids = _topical(project)
    _decide(project, ids[0], "include")
    _decide(project, ids[1], "exclude")
    answers: list[int | None] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            for _ in range(5):
                answers.append(_next(project, reviewer="CJ"))
                answers.append(_next(project))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert set(answers) <= set(ids[2:]) | {ids[0], ids[1]} and None not in answers
    assert ids[0] in answers  # CJ has no vote yet: their first item in id order


# -- list --------------------------------------------------------------------------------


def test_the_list_filters_by_search_own_vote_and_tag_and_pages(project: Project) -> None:
    seed_team(project, screening=BOTH)
    titles = ["Carers and LINK workers", "Knee surgery", "Loneliness in Zürich", "Link workers 2"]
    ids = _add(project, titles, authors=["Hall, J", "Müller, A", "Okafor, N", "Hall, K"])
    _decide(project, ids[0], "include", note="#peer-support good")
    _decide(project, ids[1], "exclude", note="knees #Ortho")
    _decide(project, ids[3], "include", reviewer="CJ")

    def listed(**kw: object) -> list[int]:
        page = screening.list_items(project, stage="ta", reviewer="MC", **kw)  # type: ignore[arg-type]
        return [row.item_id for row in page.items]

    assert listed() == ids
    assert listed(query="link") == [ids[0], ids[3]]  # case-insensitive, in the title
    assert listed(query="abstract of knee") == [ids[1]]  # the abstract
    assert listed(query="hall") == [ids[0], ids[3]]  # the authors
    assert listed(query="MÜLLER") == [ids[1]] and listed(query="zür") == [ids[2]]
    assert listed(query="100%") == []
    assert listed(vote="include") == [ids[0]]  # CJ's include on ids[3] is not mine
    assert listed(vote="none") == [ids[2], ids[3]]
    assert listed(tag="ortho") == [ids[1]] and listed(tag="#peer-support") == [ids[0]]
    assert listed(query="link", vote="none") == [ids[3]]
    page = screening.list_items(project, stage="ta", reviewer="MC", offset=1, limit=2)
    assert [r.item_id for r in page.items] == ids[1:3] and page.total == 4
    row = page.items[0]
    assert (row.vote, row.note, row.tags, row.year) == ("exclude", "knees", ("Ortho",), 2011)
    assert row.authors == ("Müller, A",)
    cj = screening.list_items(project, stage="ta", reviewer="CJ")
    assert [r.vote for r in cj.items] == [None, None, None, "include"]  # never MC's votes
    with pytest.raises(InputError, match="vote filter"):
        screening.list_items(project, stage="ta", reviewer="MC", vote="yes")


# -- blindness switch --------------------------------------------------------------------


def test_only_an_owner_switches_blindness_and_each_switch_is_logged(project: Project) -> None:
    seed_team(project, screening=BOTH)
    (item,) = _add(project, ["Carers and link workers"])
    _decide(project, item, "include", reviewer="CJ")
    assert screening.votes(project, stage="ta", item_id=item, reviewer="MC") == {}
    with pytest.raises(StateError, match="needs the role owner"):
        screening.set_blind(project, stage="ta", blind=False, reviewer="CJ")
    with pytest.raises(StateError, match="needs the role owner"), project.session(actor="CJ"):
        screening.set_blind(project, stage="ta", blind=False, reviewer="MC")  # CJ acts
    with project.session(actor="MC"):
        screening.set_blind(project, stage="ta", blind=False)
    assert set(screening.votes(project, stage="ta", item_id=item, reviewer="MC")) == {"CJ"}
    with project.db.connect() as conn:
        assert screening.load_state(conn, project, "ta").blind is False
        assert screening.load_state(conn, project, "ft").blind is True  # per stage
    with pytest.raises(StateError, match="already not blind"):
        screening.set_blind(project, stage="ta", blind=False, reviewer="MC")
    screening.set_blind(project, stage="ta", blind=True, reviewer="MC")
    assert screening.votes(project, stage="ta", item_id=item, reviewer="MC") == {}
    with project.db.connect() as conn:
        cols = screening_stage_events.c
        log = conn.execute(
            select(cols.action, cols.reviewer).where(cols.action.in_(["blind", "unblind"]))
        ).all()
    assert [tuple(r) for r in log] == [("unblind", "MC"), ("blind", "MC")]


# -- progress ----------------------------------------------------------------------------


def test_progress_counts_mine_and_the_teams_and_hides_conflicts_from_screeners(
    project: Project,
) -> None:
    plan = {**BOTH, "ta": {**BOTH["ta"], "rule": "unanimous_else_arbiter", "ranking": True}}
    seed_team(project, screening=plan)
    ids = _topical(project)
    _decide(project, ids[0], "include")
    _decide(project, ids[1], "exclude")
    _decide(project, ids[2], "exclude")
    _decide(project, ids[0], "exclude", reviewer="CJ")  # a conflict
    _decide(project, ids[1], "exclude", reviewer="CJ")
    mc = screening.progress(project, stage="ta", reviewer="MC")
    assert (mc.mine_done, mc.mine_total, mc.team_total) == (3, 30, 30)
    assert mc.team_done == 2 and mc.conflicts is None
    assert mc.since_last_include == 2
    la = screening.progress(project, stage="ta", reviewer="LA")
    assert (la.mine_done, la.mine_total, la.team_done, la.conflicts) == (0, 0, 2, 1)
    screening.resolve(project, stage="ta", item_id=ids[0], reviewer="LA", decision="include")
    cj = screening.progress(project, stage="ta", reviewer="CJ")
    assert (cj.mine_done, cj.team_done, cj.since_last_include) == (2, 2, 2)
    screening.set_blind(project, stage="ta", blind=False, reviewer="MC")
    assert screening.progress(project, stage="ta", reviewer="MC").conflicts == 0
    assert screening.progress(project, stage="ft", reviewer="MC").since_last_include is None
