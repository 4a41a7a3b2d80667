"""Sessions: one transaction and one actor for everything an operation does."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reviewflow import people
from reviewflow.errors import NotFoundError, StateError
from reviewflow.project import Project
from reviewflow.stages.searches import SearchEntry, add
from reviewflow.store import current_actor
from reviewflow.store.schema import searches


def _count(project: Project) -> int:
    with project.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(searches)).scalar_one())


def test_operations_in_one_session_commit_together(project: Project) -> None:
    with project.session(actor=None) as s:
        add(project, SearchEntry(source="Embase"))
        add(project, SearchEntry(source="MEDLINE"))
        # reads inside the session see its own writes before they are committed
        assert _count(project) == 2
        assert s.conn is not None
    assert _count(project) == 2


def test_a_failing_session_leaves_the_project_as_it_was(project: Project) -> None:
    with pytest.raises(RuntimeError), project.session() as _s:
        add(project, SearchEntry(source="Embase"))
        raise RuntimeError("the command failed half-way")
    assert _count(project) == 0


def test_a_failed_operation_inside_a_session_rolls_back_alone(project: Project) -> None:
    with project.session():
        add(project, SearchEntry(source="Embase"))
        with pytest.raises(ZeroDivisionError), project.db.transaction():
            add(project, SearchEntry(source="MEDLINE"))
            1 / 0  # noqa: B018
        add(project, SearchEntry(source="CINAHL"))
    with project.db.connect() as conn:
        names = sorted(r[0] for r in conn.execute(select(searches.c.source)))
    assert names == ["CINAHL", "Embase"]


def test_a_read_session_refuses_to_write(project: Project) -> None:
    with pytest.raises(StateError, match="read-only"), project.session(write=False):
        add(project, SearchEntry(source="Embase"))
    assert _count(project) == 0


def test_the_actor_is_known_and_holds_roles(project: Project) -> None:
    with project.session() as s:
        people.ensure_user(s.conn, "MC", name="M Cooper")
        people.grant(s.conn, "MC", ["owner"])
        people.ensure_user(s.conn, "KA", name="K A")
        people.grant(s.conn, "KA", ["viewer"])
    with project.session(actor="KA") as s:
        assert current_actor() == "KA"
        assert s.roles == {"viewer"}
        with pytest.raises(StateError, match="needs the role reviewer"):
            s.require("reviewer")
    with project.session(actor="MC") as s:
        s.require("reviewer")  # owners may do everything
    assert current_actor() is None
    with pytest.raises(NotFoundError, match="unknown reviewer 'ZZ'"), project.session(actor="ZZ"):
        pass


def test_role_changes_are_events_and_removal_keeps_the_user(project: Project) -> None:
    with project.session(actor=None) as s:
        people.ensure_user(s.conn, "CJ")
        people.grant(s.conn, "CJ", ["reviewer", "arbiter"])
        people.revoke(s.conn, "CJ", ["arbiter"])
        assert people.require_user(s.conn, "CJ").roles == {"reviewer"}
        people.revoke(s.conn, "CJ")
        assert people.get_user(s.conn, "CJ") is not None
        # CJ is a user still, but no longer a member (MC, the project's owner, is)
        assert "CJ" not in [u.initials for u in people.list_users(s.conn, members_only=True)]
