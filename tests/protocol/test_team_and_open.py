"""People and roles follow the protocol's team; opening a project is cheap and never
writes review.toml; projects from before the stored protocol get version 1 on open."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, event, select

from reviewflow import people, protocol
from reviewflow.cli import cli
from reviewflow.project import Project
from reviewflow.store.schema import membership_events, protocol_versions, users

TEAM = ["--reviewer", "AB:Ann Baker", "--reviewer", "CD:Chris Dale", "--reviewer", "EF:Eve Ford"]


def rf(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-p", str(root), *args])


@pytest.fixture
def proj(tmp_path: Path, database_url: str) -> Path:
    root = tmp_path / "r"
    plan = ["--ta-reviewers", "AB", "--ta-second", "CD", "--ta-share", "0.2", "--ta-arbiter", "EF"]
    args = ["init", str(root), "--title", "T", *TEAM, *plan, "--database-url", database_url]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return root


def roles(root: Path) -> dict[str, list[str]]:
    result = rf(root, "reviewer", "list", "--json")
    assert result.exit_code == 0, result.output
    return {r["initials"]: r["roles"] for r in json.loads(result.stdout)}


def test_the_team_becomes_users_with_roles(proj: Path) -> None:
    # the first reviewer given at init owns the project; the plan's arbiter arbitrates
    assert roles(proj) == {
        "AB": ["owner", "reviewer"],
        "CD": ["reviewer"],
        "EF": ["arbiter", "reviewer"],
    }
    result = rf(proj, "reviewer", "add", "GH:Gus Hale", "--role", "viewer", "--email", "g@h.org")
    assert result.exit_code == 0, result.output
    assert "Added reviewer GH (Gus Hale): viewer" in result.output
    project = Project.open(proj)
    try:
        with project.db.connect() as conn:
            gus = people.require_user(conn, "GH")
        assert (gus.name, gus.email, gus.roles) == ("Gus Hale", "g@h.org", {"viewer"})
    finally:
        project.close()
    assert 'roles = ["viewer"]' in (proj / "review.toml").read_text(encoding="utf-8")


def test_reviewer_add_role_grants_and_remove_revokes_keeping_decisions(proj: Path) -> None:
    assert rf(proj, "reviewer", "add", "CD", "--role", "owner").exit_code == 0
    assert roles(proj)["CD"] == ["owner", "reviewer"]
    assert rf(proj, "reviewer", "remove", "CD", "--role", "owner").exit_code == 0
    assert roles(proj)["CD"] == ["reviewer"]
    assert rf(proj, "reviewer", "add", "GH:Gus Hale").exit_code == 0
    project = Project.open(proj)
    try:
        with project.db.transaction() as conn:
            from reviewflow.store import screening_queries as sq

            sq.insert_study(conn, label="Smith 2020")
    finally:
        project.close()
    result = rf(proj, "reviewer", "remove", "GH")
    assert result.exit_code == 0, result.output
    assert "GH" not in roles(proj)
    project = Project.open(proj)
    try:
        with project.db.connect() as conn:
            gus = people.require_user(conn, "GH")  # still a user: their history names them
            grants = conn.execute(
                select(membership_events.c.action).where(membership_events.c.user_id == gus.id)
            ).scalars()
            assert list(grants) == ["grant", "revoke"]
        assert gus.roles == frozenset()
    finally:
        project.close()


def test_who_are_you_names_the_team_from_the_store(proj: Path) -> None:
    result = rf(proj, "screen", "export", "--stage", "ta")
    assert result.exit_code == 1
    assert "Who are you?" in result.output
    assert "(reviewers of this project: AB, CD, EF)" in result.output


def test_demo_has_the_seed_reviews_six_users_and_never_rewrites_its_file(tmp_path: Path) -> None:
    root = tmp_path / "d"
    result = CliRunner().invoke(cli, ["demo", str(root), "--format", "md"])
    assert result.exit_code == 0, result.output
    config = root / "review.toml"
    before, mtime = config.read_bytes(), config.stat().st_mtime_ns
    project = Project.open(root)
    try:
        with project.db.connect() as conn:
            team = {u.initials: u for u in people.team(conn)}
            versions = protocol.history(conn)
    finally:
        project.close()
    expected = {
        "MC": ("M Cooper", {"owner", "reviewer"}),
        "CJ": ("C Jordan", {"reviewer"}),
        "DF": ("D Flynn", {"reviewer"}),
        "JS": ("J Scott", {"reviewer"}),
        "LA": ("L Avery", {"arbiter"}),
        "KA": ("K Ashley", {"reviewer"}),
    }
    for initials, (name, held) in expected.items():
        assert (team[initials].name, set(team[initials].roles)) == (name, held), initials
    # the whole protocol (plans, form, scheme, declared counts) is version 1
    assert [v.source for v in versions] == ["init"]
    assert versions[0].document["report"]["declared"]["reports_assessed"] == 288
    for args in (["report", "--format", "md", "--out", str(tmp_path / "o")],
                 ["prisma", "--declare", "previous_studies=4", "--out", str(tmp_path / "o")],
                 ["status"], ["protocol", "show"], ["reviewer", "list"]):  # fmt: skip
        result = rf(root, *args)
        assert result.exit_code == 0, (args, result.output)
    assert config.read_bytes() == before and config.stat().st_mtime_ns == mtime


def test_opening_in_sync_is_one_protocol_query_and_no_write(proj: Path) -> None:
    first = Project.open(proj)  # the engine, made once per process
    first.close()
    statements: list[str] = []

    def seen(conn: object, cursor: object, sql: str, *args: object) -> None:
        statements.append(sql)

    event.listen(first.db.engine, "before_cursor_execute", seen)
    try:
        project = Project.open(proj)
        project.close()
    finally:
        event.remove(first.db.engine, "before_cursor_execute", seen)
    protocol_reads = [s for s in statements if "protocol_versions" in s]
    assert len(protocol_reads) == 1, statements
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    queries = [s for s in statements if s.strip().upper() != "BEGIN"]
    assert len(queries) <= 3, queries  # the schema version check (two) and the protocol


def test_a_project_from_before_gets_version_1_from_its_file(proj: Path) -> None:
    project = Project.open(proj)
    with project.db.transaction() as conn:  # as a project made before the protocol was stored
        conn.execute(delete(protocol_versions))
        conn.execute(delete(membership_events))
        conn.execute(delete(users))
    project.close()
    before = (proj / "review.toml").read_bytes()
    result = rf(proj, "status")
    assert result.exit_code == 0, result.output
    assert "Stored the protocol of review.toml in the project database as version 1" in (
        result.stderr
    )
    assert roles(proj)["EF"] == ["arbiter", "reviewer"]
    assert (proj / "review.toml").read_bytes() == before
    assert "Stored the protocol" not in rf(proj, "status").stderr


def _open_in_child(root: str, queue: multiprocessing.Queue[list[str]]) -> None:
    project = Project.open(root)
    queue.put(project.notices)
    project.close()


def test_two_processes_opening_after_a_hand_edit_apply_it_once(proj: Path) -> None:
    config = proj / "review.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("seed = 0", "seed = 11", 1), encoding="utf-8"
    )
    ctx = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[list[str]] = ctx.Queue()
    children = [ctx.Process(target=_open_in_child, args=(str(proj), queue)) for _ in range(4)]
    for child in children:
        child.start()
    notices = [queue.get(timeout=60) for _ in children]
    for child in children:
        child.join(timeout=60)
        assert child.exitcode == 0
    applied = [n for ns in notices for n in ns if "applied as protocol version" in n]
    assert len(applied) == 1, notices
    project = Project.open(proj)
    try:
        with project.db.connect() as conn:
            assert [v.version for v in protocol.history(conn)] == [1, 2]
    finally:
        project.close()


def test_upgrade_of_an_older_database_stores_the_file_as_version_1(
    tmp_path: Path, database_url: str
) -> None:
    from reviewflow.settings import CONFIG_NAME, Reviewer, Settings, dump_settings
    from reviewflow.store import Database, resolve_url
    from reviewflow.store.migrate import upgrade

    root = tmp_path / "old"
    root.mkdir()
    db = Database(resolve_url(database_url, base=root))
    upgrade(db.engine, "0007")  # before people and the protocol were stored
    db.dispose()
    settings = Settings(title="Old review", reviewers=[Reviewer(initials="MC", name="M C")])
    settings.database.url = database_url
    (root / CONFIG_NAME).write_text(dump_settings(settings) + "# ours\n", encoding="utf-8")
    before = (root / CONFIG_NAME).read_bytes()
    result = rf(root, "upgrade")
    assert result.exit_code == 0, result.output
    project = Project.open(root)
    try:
        assert project.notices == []  # version 1 was stored by the upgrade
        with project.db.connect() as conn:
            (first,) = protocol.history(conn)
            assert first.document["title"] == "Old review"
            assert people.require_user(conn, "MC").roles == {"reviewer"}
    finally:
        project.close()
    assert (root / CONFIG_NAME).read_bytes() == before


def test_the_first_member_of_a_team_without_an_owner_owns_it(tmp_path: Path) -> None:
    root = tmp_path / "r"
    assert CliRunner().invoke(cli, ["init", str(root), "--title", "T"]).exit_code == 0
    result = rf(root, "reviewer", "add", "AB:Ann Baker", "CD:Chris Dale")
    assert result.exit_code == 0, result.output
    assert "Added reviewer AB (Ann Baker): owner, reviewer" in result.output
    assert roles(root) == {"AB": ["owner", "reviewer"], "CD": ["reviewer"]}
