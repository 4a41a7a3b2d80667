"""Team changes as core functions: every one is a protocol version, review.toml follows,
the store's users and roles follow, and the rules hold for the CLI and the web alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewflow import people, protocol, team
from reviewflow.errors import InputError, NotFoundError, StateError
from reviewflow.project import Project
from reviewflow.stages.synthesis import codes


def _versions(project: Project) -> list[protocol.Version]:
    with project.db.connect() as conn:
        return protocol.history(conn)


def _toml(project: Project) -> str:
    return project.config_path.read_text(encoding="utf-8")


def test_add_member_is_a_protocol_version_and_a_user_with_roles(project: Project) -> None:
    before = len(_versions(project))
    user = team.add_member(
        project, "GH", name="Gus Hale", roles=["arbiter", "reviewer"], email="g@h.org",
        what="information scientist", by="MC",
    )  # fmt: skip
    assert (user.initials, user.name, user.email) == ("GH", "Gus Hale", "g@h.org")
    assert user.roles == {"reviewer", "arbiter"}
    history = _versions(project)
    assert len(history) == before + 1
    assert history[-1].changed_by == "MC" and history[-1].source == "reviewer add"
    text = _toml(project)
    assert 'initials = "GH"' in text and 'role = "information scientist"' in text
    assert 'roles = ["reviewer", "arbiter"]' in text
    assert project.settings.reviewer("GH") is not None  # the project in memory follows too


def test_a_default_member_writes_no_roles_and_holds_reviewer(project: Project) -> None:
    user = team.add_member(project, "GH", name="Gus Hale")
    assert user.roles == {"reviewer"}
    entry = _toml(project).split('initials = "GH"')[1]
    assert "roles" not in entry


def test_the_first_member_of_a_team_without_an_owner_owns_it(
    tmp_path: Path, database_url: str
) -> None:
    bare = Project.create(tmp_path / "bare", title="T", database_url=database_url)
    try:
        first = team.add_member(bare, "AB", name="Ann Baker")
        second = team.add_member(bare, "CD", name="Chris Dale")
        assert first.roles == {"owner", "reviewer"}
        assert second.roles == {"reviewer"}
    finally:
        bare.close()


def test_an_invited_member_does_not_become_owner_of_an_ownerless_team(
    tmp_path: Path, database_url: str
) -> None:
    bare = Project.create(tmp_path / "bare", title="T", database_url=database_url)
    try:
        assert team.add_member(bare, "AB", owner_if_none=False).roles == {"reviewer"}
    finally:
        bare.close()


def test_several_members_are_one_version(project: Project) -> None:
    before = len(_versions(project))
    added = team.add_members(project, [team.member("GH"), team.member("IJ", name="Ivy Jones")])
    assert [u.initials for u in added] == ["GH", "IJ"]
    assert len(_versions(project)) == before + 1


def test_adding_roles_to_a_member_and_refusing_a_plain_re_add(project: Project) -> None:
    assert team.add_member(project, "CJ", roles=["arbiter"]).roles == {"reviewer", "arbiter"}
    with pytest.raises(InputError, match="CJ is already a reviewer"):
        team.add_member(project, "CJ")
    with pytest.raises(InputError, match="unknown role 'admin'"):
        team.add_member(project, "GH", roles=["admin"])
    with pytest.raises(InputError, match="only letters, digits"):
        team.add_member(project, "G H")


def test_initials_that_differ_only_in_case_are_refused(project: Project) -> None:
    before = _toml(project)
    with pytest.raises(InputError, match="differs only in case from MC") as exc:
        team.add_member(project, "mc", name="Someone Else")
    assert exc.value.hint == "Use MC itself, or choose other initials."
    assert _toml(project) == before


def test_set_roles_gives_exactly_those(project: Project) -> None:
    user = team.set_roles(project, "CJ", ["viewer", "arbiter"], by="MC")
    assert user.roles == {"arbiter", "viewer"}
    assert 'roles = ["arbiter", "viewer"]' in _toml(project)
    assert team.set_roles(project, "CJ", ["reviewer"]).roles == {"reviewer"}
    assert "roles =" not in _toml(project).split('initials = "CJ"')[1]
    with pytest.raises(InputError, match="at least one role") as exc:
        team.set_roles(project, "CJ", [])
    assert exc.value.next is not None and exc.value.next.command == "reviewflow reviewer remove CJ"
    with pytest.raises(NotFoundError, match="ZZ is not a reviewer"):
        team.set_roles(project, "ZZ", ["viewer"])


def test_set_roles_refuses_dropping_a_plan_arbiter(project: Project) -> None:
    from reviewflow.config_edit import set_stage_plan

    protocol.change(
        project, lambda doc: set_stage_plan(doc, "ft", reviewers=["MC"], arbiter="CJ"),
        source="plan set",
    )  # fmt: skip
    with pytest.raises(InputError, match="arbiter of the full-text screening plan"):
        team.set_roles(project, "CJ", ["reviewer"])
    assert team.set_roles(project, "CJ", ["arbiter"]).roles == {"arbiter"}


def test_the_last_owner_keeps_the_role(project: Project) -> None:
    before, versions = _toml(project), len(_versions(project))
    for attempt in (
        lambda: team.set_roles(project, "MC", ["reviewer"]),
        lambda: team.remove_member(project, "MC"),
        lambda: team.remove_member(project, "MC", roles=["owner"]),
    ):
        with pytest.raises(StateError, match="MC is the project's last owner") as exc:
            attempt()
        assert exc.value.hint is not None and "--role owner" in exc.value.hint
    assert _toml(project) == before and len(_versions(project)) == versions
    with project.db.connect() as conn:
        assert "owner" in people.require_user(conn, "MC").roles
    team.add_member(project, "CJ", roles=["owner"])  # with a second owner, MC may go
    assert team.remove_member(project, "MC").roles == frozenset()


def test_remove_member_keeps_the_user_and_their_decisions(project: Project) -> None:
    code = codes.create_code(project, "trust in the link worker", reviewer="CJ")
    gone = team.remove_member(project, "CJ", by="MC")
    assert gone.initials == "CJ" and gone.roles == frozenset() and not gone.is_member
    with project.db.connect() as conn:
        assert people.get_user(conn, "CJ") is not None
        assert [u.initials for u in people.team(conn)] == ["MC"]
    assert 'initials = "CJ"' not in _toml(project)
    events = codes.history(project, code)
    assert [e["reviewer"] for e in events] == ["CJ"]
    back = team.add_member(project, "CJ", name="C Jordan")  # may come back, same user
    assert (back.id, back.roles) == (gone.id, {"reviewer"})


def test_remove_one_role(project: Project) -> None:
    team.add_member(project, "CJ", roles=["arbiter"])
    assert team.remove_member(project, "CJ", roles=["arbiter"]).roles == {"reviewer"}
    with pytest.raises(InputError, match="would hold no role"):
        team.remove_member(project, "CJ", roles=["reviewer"])


def test_changes_join_the_open_session_and_its_actor(project: Project) -> None:
    with project.session(actor="MC") as s:
        user = team.add_member(project, "GH", name="Gus Hale")
        assert people.require_user(s.conn, "GH") == user
    with project.db.connect() as conn:
        assert people.require_user(conn, "GH").roles == {"reviewer"}
        assert protocol.latest(conn).changed_by == "MC"  # type: ignore[union-attr]


def test_update_member_changes_name_email_and_what_they_do(project: Project) -> None:
    user = team.update_member(project, "CJ", name="Cara Jordan", email="cj@example.org",
                              what="information scientist")  # fmt: skip
    assert (user.name, user.email) == ("Cara Jordan", "cj@example.org")
    assert project.settings.reviewer("CJ").role == "information scientist"  # type: ignore[union-attr]
    assert team.update_member(project, "CJ", email="").email is None
    assert "cj@example.org" not in _toml(project)
    with pytest.raises(NotFoundError, match="ZZ is not a reviewer"):
        team.update_member(project, "ZZ", name="Nobody")
