"""Ranked title/abstract screening and the statistical stopping rule on a project."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_screening_setup import SEED_SCREENING, seed_team

from reviewflow.errors import StateError
from reviewflow.project import Project
from reviewflow.records import Record
from reviewflow.reports.prisma_project import counts_from_project
from reviewflow.stages import screening, status
from reviewflow.stages.dedup import links as dedup_links
from reviewflow.store import queries

RANKED = {**SEED_SCREENING, "ta": {**SEED_SCREENING["ta"], "ranking": True}}
#: Ranked, with the random-sampling test deciding (the default is the arrival rule).
SAMPLING = {**SEED_SCREENING, "ta": {**RANKED["ta"], "stopping_rule": "sampling"}}

ON_TOPIC = "link worker social prescribing mental health loneliness community referral"
OFF_TOPIC = "knee arthroplasty implant survival orthopaedic surgery revision"


def _add(project: Project, titles: list[str]) -> list[int]:
    items = [Record(title=t, abstract=t, raw=t) for t in titles]
    with project.db.transaction() as conn:
        iid = queries.insert_import(
            conn,
            values={"file_name": "x.ris", "file_sha256": "1" * 64, "format": "ris",
                    "records_read": len(items), "warnings": []},
        )  # fmt: skip
        queries.insert_records(conn, import_id=iid, items=items)
    with project.db.connect() as conn:
        return dedup_links.canonical_record_ids(conn)


def _keys(text: str) -> Callable[[], str]:
    it = iter(text)
    return lambda: next(it)


def test_ranked_session_shows_the_most_relevant_record_next(project: Project) -> None:
    seed_team(project, screening=RANKED)
    titles = [f"{OFF_TOPIC} {i}" for i in range(30)]
    titles[0] = f"{ON_TOPIC} study A"
    titles[1] = f"{OFF_TOPIC} trial B"
    titles[25] = f"{ON_TOPIC} study C"  # far down in id order
    ids = _add(project, titles)
    views: list[screening.View] = []
    screening.screen_loop(
        project, stage="ta", reviewer="MC", read_key=_keys("ieq"), show=views.append
    )
    # after one include and one exclude, the on-topic record jumps the queue
    assert [v.item_id for v in views[:3]] == [ids[0], ids[1], ids[25]]


def test_ranking_leaves_the_random_double_screen_sample_alone(project: Project) -> None:
    seed_team(project)
    ids = _add(project, [f"{OFF_TOPIC} {i}" for i in range(200)])
    with project.db.connect() as conn:
        plain = screening.load_state(conn, project, "ta").assigned
    seed_team(project, screening=RANKED)
    with project.db.connect() as conn:
        ranked = screening.load_state(conn, project, "ta").assigned
    assert plain == ranked and len(plain) == len(ids)


def _screen_in_order(project: Project, ids: list[int], relevant: set[int]) -> None:
    screening.record(
        project,
        [screening.Decision("ta", i, "MC", "include" if i in relevant else "exclude") for i in ids],
    )


def test_stopping_rule_waits_then_justifies_and_prisma_counts_automation(
    project: Project,
) -> None:
    seed_team(project, screening=SAMPLING)
    ids = _add(project, [f"record {i}" for i in range(400)])
    relevant = set(ids[:5])
    _screen_in_order(project, ids[:40], relevant)
    early = screening.stopping_status(project)
    assert not early.switched and early.irrelevant_in_a_row == 35

    _screen_in_order(project, ids[40:100], relevant)
    mid = screening.stopping_status(project)
    assert mid.switched and mid.sample_size == 45 and not mid.stop_justified
    assert mid.to_sample and mid.to_sample > 100  # one include left unseen is still possible
    with pytest.raises(StateError, match="does not justify stopping yet"):
        screening.stop(project, reviewer="LA")

    _screen_in_order(project, ids[100:390], relevant)
    late = screening.stopping_status(project)
    assert late.stop_justified and late.p_value is not None and late.p_value < 0.05
    screening.stop(project, reviewer="LA")
    assert screening.automation_excluded(project) == 10

    prisma = counts_from_project(project)
    assert prisma.excluded_automation == 10
    assert prisma.records_screened == 390
    assert status.run(project).stages["records excluded by automation (stopping rule)"] == 10

    screening.resume(project, reviewer="LA")
    assert screening.automation_excluded(project) == 0


def test_the_stopping_panel_shows_recall_with_its_interval_and_what_the_rule_says(
    project: Project,
) -> None:
    seed_team(project, screening=SAMPLING)
    ids = _add(project, [f"record {i}" for i in range(400)])
    relevant = set(ids[:5])
    _screen_in_order(project, ids[:40], relevant)
    early = screening.stopping_status(project).to_dict()
    assert early["phase"] == "ranking" and early["recall_low"] is None
    assert early["irrelevant_in_a_row"] == 35 and "starts after 50" in early["summary"]

    _screen_in_order(project, ids[40:100], relevant)
    mid = screening.stopping_status(project)
    assert mid.phase == "sampling"
    assert mid.recall_low is not None and mid.recall_high is not None
    assert mid.estimated_recall is not None
    assert mid.recall_low <= mid.estimated_recall <= mid.recall_high == 1.0
    assert "est. recall" in mid.to_dict()["summary"]

    _screen_in_order(project, ids[100:390], relevant)
    late = screening.stopping_status(project)
    assert late.phase == "justified" and late.recall_low > mid.recall_low  # type: ignore[operator]
    screening.stop(project, reviewer="LA")
    assert screening.stopping_status(project).to_dict()["phase"] == "stopped"


def test_after_the_switch_open_records_come_in_a_seeded_random_order(project: Project) -> None:
    seed_team(project, screening=SAMPLING)
    ids = _add(project, [f"{OFF_TOPIC} {i}" for i in range(120)])
    relevant = set(ids[:2])
    _screen_in_order(project, ids[:60], relevant)  # 58 irrelevant in a row: switched
    assert screening.stopping_status(project).switched
    seen: list[screening.View] = []
    screening.screen_loop(project, stage="ta", reviewer="MC", read_key=_keys("q"), show=seen.append)
    again: list[screening.View] = []
    screening.screen_loop(
        project, stage="ta", reviewer="MC", read_key=_keys("q"), show=again.append
    )
    first_open = seen[0].item_id
    assert first_open == again[0].item_id  # reproducible
    assert first_open in ids[60:] and first_open != ids[60]  # not id order


def test_by_default_the_arrival_rule_decides_and_the_sampling_test_is_shown_beside_it(
    project: Project,
) -> None:
    seed_team(project, screening=RANKED)
    ids = _add(project, [f"record {i}" for i in range(2000)])
    relevant = set(ids[:30])
    _screen_in_order(project, ids[:60], relevant)
    early = screening.stopping_status(project)
    assert early.rule == "arrival" and not early.stop_justified  # floor: 10 % not screened
    rules = early.to_dict()["rules"]
    assert rules["arrival"]["says"] == "continue" and rules["arrival"]["more_records"] > 0
    assert rules["sampling"]["says"] == "wait"  # 30 irrelevant in a row: not yet
    assert early.estimated_recall is not None and early.recall_low is not None

    _screen_in_order(project, ids[60:700], relevant)
    late = screening.stopping_status(project)
    assert late.phase == "justified" and late.stop_justified
    assert late.to_dict()["rules"]["arrival"]["more_records"] == 0
    # the sampling test on the same ranked records still wants far more of the remainder
    assert not late.sampling_stop and late.to_sample and late.to_sample > 400
    assert "arrival rule: stopping is justified" in late.summary()
    assert "sampling test (ranked sample): p = " in late.summary()
    assert late.plain is None  # 30 found: one may be missed at 95 %
    screening.stop(project, reviewer="LA")
    assert screening.automation_excluded(project) == 1300
    text = screening.stopping_methods_text(project)
    assert "Cox process" in text and "Callaghan" in text and "1,300 left" in text
    assert 'ineligible by automation tools" (arrival rule)' in text
    assert text in counts_from_project(project).notes


def test_under_the_arrival_rule_screening_stays_ranked_after_a_run_of_excludes(
    project: Project,
) -> None:
    seed_team(project, screening=RANKED)
    titles = [f"{ON_TOPIC} {i}" for i in range(2)] + [f"{OFF_TOPIC} {i}" for i in range(118)]
    ids = _add(project, [*titles, *(f"{ON_TOPIC} late {i}" for i in range(3))])
    _screen_in_order(project, ids[:60], set(ids[:2]))  # 58 irrelevant in a row
    report = screening.stopping_status(project)
    assert report.switched and not report.samples_randomly and report.phase != "sampling"
    seen: list[screening.View] = []
    screening.screen_loop(project, stage="ta", reviewer="MC", read_key=_keys("q"), show=seen.append)
    assert seen[0].item_id in ids[-3:]  # the ranker's pick, not a random one


def test_few_includes_found_says_that_the_target_means_finding_all(project: Project) -> None:
    seed_team(project, screening=RANKED)
    ids = _add(project, [f"record {i}" for i in range(300)])
    _screen_in_order(project, ids[:80], set(ids[:6]))
    report = screening.stopping_status(project)
    assert report.plain and "95% recall means finding all of them" in report.plain
    assert "finding all of them" in report.summary()


def test_a_plan_changed_after_screening_began_is_refused_until_accepted(
    project: Project,
) -> None:
    seed_team(project)
    ids = _add(project, [f"record {i}" for i in range(20)])
    screening.decide(project, stage="ta", item_id=ids[0], reviewer="MC", decision="exclude")
    changed = {**SEED_SCREENING, "ta": {**SEED_SCREENING["ta"], "seed": 7}}
    seed_team(project, screening=changed)
    with pytest.raises(StateError, match=r"seed 2022 -> 7") as err:
        screening.decide(project, stage="ta", item_id=ids[1], reviewer="MC", decision="exclude")
    assert "screen replan" in str(err.value)
    assert screening.votes(project, stage="ta", item_id=ids[1], reviewer="MC") == {}
    screening.replan(project, stage="ta", reviewer="LA")
    screening.decide(project, stage="ta", item_id=ids[1], reviewer="MC", decision="exclude")


def test_ranking_features_are_kept_between_sessions_and_rebuilt_when_records_change(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Building the features of 50,000 records takes about a minute; a team restarting its
    # session must not wait for that again unless the records changed.
    from reviewflow.ranking import Ranker
    from reviewflow.stages.screening import prioritise

    docs = [f"{ON_TOPIC} {i}" if i % 3 else f"{OFF_TOPIC} {i}" for i in range(40)]
    items = list(range(100, 140))
    built: list[int] = []
    real = Ranker.from_texts.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Ranker], texts: list[str]) -> Ranker:
        built.append(len(texts))
        return real(cls, texts)

    monkeypatch.setattr(Ranker, "from_texts", classmethod(counting))
    first = prioritise.cached_ranker(tmp_path, items, docs)
    again = prioritise.cached_ranker(tmp_path, items, docs)
    assert built == [40]  # the second session read the cache
    assert (again.features != first.features).nnz == 0
    assert (again.char_features != first.char_features).nnz == 0
    labelled, y = [0, 1, 2, 4], [0, 1, 0, 1]
    assert list(again.fit(labelled, y).rank()) == list(first.fit(labelled, y).rank())

    changed = [*docs[:-1], "a record corrected after import"]
    prioritise.cached_ranker(tmp_path, items, changed)
    assert built == [40, 40]  # new text, new features

    for f in tmp_path.rglob("chars.data.npy"):
        f.write_bytes(b"damaged")  # a broken cache is rebuilt, never an error
    prioritise.cached_ranker(tmp_path, items, docs)
    assert built == [40, 40, 40]


def test_a_refit_in_the_child_process_gives_the_same_order_and_survives_its_death(
    tmp_path: Path,
) -> None:
    # A server fits in a child process (refits.py) so that requests never wait behind a
    # fit; the reviewer must get the very order a fit in the server would give, and a
    # killed child must cost nothing but a fit done here.
    import os
    import signal

    from reviewflow.stages.screening import prioritise, refits

    docs = [f"{ON_TOPIC} {i}" if i % 3 else f"{OFF_TOPIC} {i}" for i in range(60)]
    items = list(range(500, 560))
    ranker, folder = prioritise.cached_features(tmp_path, items, docs)
    assert folder is not None
    labelled, y = [0, 1, 2, 4, 5], [0, 1, 0, 1, 1]
    here = list(ranker.fit(labelled, y).rank())
    try:
        there = refits.rank(folder, labelled, y, None)
        assert there is not None and list(there) == here
        some = [3, 6, 7, 9, 12]
        assert list(refits.rank(folder, labelled, y, some)) == list(ranker.rank(some))
        pool = refits._POOL
        assert pool is not None
        for pid in list(pool._processes):  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)
        answers = [refits.rank(folder, labelled, y, None) for _ in range(2)]
        assert answers[0] is None or list(answers[0]) == here  # died: the caller fits
        assert answers[1] is not None and list(answers[1]) == here  # a new child serves
    finally:
        refits.shutdown()
