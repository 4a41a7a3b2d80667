"""Accounts for the team web app, on both engines: passwords, log-in, invitations, the
first owner, and the migration that adds their tables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import inspect, select, text

from reviewflow import accounts, people, protocol, team
from reviewflow.errors import InputError, NotFoundError, StateError
from reviewflow.project import Project
from reviewflow.settings import CONFIG_NAME, Settings, dump_settings
from reviewflow.store import HEAD_REVISION, Database, resolve_url
from reviewflow.store.migrate import _config, current_revision, upgrade
from reviewflow.store.schema import credentials, invitations, membership_events

GOOD = "correct horse battery"
OTHER = "a different passphrase"


def _set(project: Project, initials: str, password: str = GOOD) -> None:
    with project.session() as s:
        accounts.set_password(s.conn, initials, password)


def _login(project: Project, login: str, password: str = GOOD) -> people.User | None:
    with project.session() as s:
        return accounts.authenticate(s.conn, login, password)


def _hash(project: Project, initials: str) -> str:
    with project.session(write=False) as s:
        user = people.require_user(s.conn, initials)
        return s.conn.execute(
            select(credentials.c.password_hash).where(credentials.c.user_id == user.id)
        ).scalar_one()


# -- passwords and log-in ------------------------------------------------------------------


def test_the_right_password_logs_in_and_nothing_else_does(project: Project) -> None:
    _set(project, "MC")
    user = _login(project, "MC")
    assert user is not None and user.initials == "MC" and "owner" in user.roles
    assert _login(project, "MC", "correct horse battery!") is None
    assert _login(project, "MC", "") is None
    assert _login(project, "ZZ") is None  # unknown user
    assert _login(project, "CJ") is None  # a member without a password
    assert _login(project, "") is None


def test_initials_log_in_without_case_and_e_mail_too(project: Project) -> None:
    team.add_member(project, "GH", name="Gus Hale", email="Gus.Hale@example.org")
    _set(project, "GH")
    for login in ("gh", "Gh", " GH ", "gus.hale@example.org", "GUS.HALE@EXAMPLE.ORG"):
        found = _login(project, login)
        assert found is not None and found.initials == "GH", login
    assert _login(project, "hale@example.org") is None
    team.update_member(project, "GH", email="")  # an address taken out of the protocol
    assert _login(project, "gus.hale@example.org") is None and _login(project, "GH")


def test_a_login_naming_two_users_needs_their_exact_spelling(project: Project) -> None:
    with project.session() as s:  # a hand-edited review.toml can hold both spellings
        people.ensure_user(s.conn, "cj")
        people.grant(s.conn, "cj", ["reviewer"])
    _set(project, "CJ")
    _set(project, "cj", OTHER)
    assert _login(project, "CJ").initials == "CJ"  # type: ignore[union-attr]
    assert _login(project, "cj", OTHER).initials == "cj"  # type: ignore[union-attr]
    assert _login(project, "Cj") is None and _login(project, "Cj", OTHER) is None


def test_an_unknown_login_still_spends_a_hash_verification(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = accounts._verify

    def counting(stored: str, password: str) -> bool:
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(accounts, "_verify", counting)
    assert _login(project, "nobody") is None
    assert _login(project, "CJ") is None  # on the team, but no password
    assert len(calls) == 2 and all(c.startswith("$argon2id$") for c in calls)


def test_a_removed_member_cannot_log_in_until_they_are_back(project: Project) -> None:
    _set(project, "CJ")
    assert _login(project, "CJ") is not None
    team.remove_member(project, "CJ")
    assert _login(project, "CJ") is None
    team.add_member(project, "CJ")
    assert _login(project, "CJ") is not None


def test_an_old_hash_is_rehashed_at_log_in_and_the_stamp_stays(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8192))
        _set(project, "MC")
    old = _hash(project, "MC")
    assert accounts._HASHER.check_needs_rehash(old)
    with project.session(write=False) as s:
        stamp = accounts.credential_stamp(s.conn, people.require_user(s.conn, "MC").id)
        assert accounts.authenticate(s.conn, "MC", GOOD, rehash=False) is not None
    assert _hash(project, "MC") == old  # a read-only session leaves it
    assert _login(project, "MC") is not None
    new = _hash(project, "MC")
    assert new != old and not accounts._HASHER.check_needs_rehash(new)
    with project.session(write=False) as s:
        assert accounts.credential_stamp(s.conn, people.require_user(s.conn, "MC").id) == stamp
    assert _login(project, "MC") is not None and _hash(project, "MC") == new


def test_every_password_change_makes_a_new_stamp(project: Project) -> None:
    with project.session() as s:
        mc = people.require_user(s.conn, "MC")
        assert accounts.credential_stamp(s.conn, mc.id) is None
        assert not accounts.has_password(s.conn, "MC")
        accounts.set_password(s.conn, "MC", GOOD)
        first = accounts.credential_stamp(s.conn, mc.id)
        accounts.set_password(s.conn, "MC", GOOD)  # even to the same password
        second = accounts.credential_stamp(s.conn, mc.id)
        assert accounts.has_password(s.conn, "MC") and not accounts.has_password(s.conn, "ZZ")
    assert first and second and first != second
    assert _login(project, "MC") is not None


def test_a_stored_hash_is_argon2_never_the_password_and_names_who_set_it(
    project: Project,
) -> None:
    with project.session(actor="MC") as s:
        accounts.set_password(s.conn, "CJ", GOOD)
    stored = _hash(project, "CJ")
    assert stored.startswith("$argon2id$") and GOOD not in stored
    with project.session(write=False) as s:
        assert s.conn.execute(select(credentials.c.changed_by)).scalar_one() == "MC"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "shorter than 10"),
        ("x" * 1025 + "yz", "longer than 1024"),
        ("MCMCMCMCMCMC", "repeats one or two"),
        ("          ", "repeats one or two"),
        ("1234567890", "run of the alphabet"),
        ("QwertyUiop", "run of the alphabet"),
        ("Password123!", "most common"),
        ("letmein2024", "most common"),
    ],
)
def test_weak_passwords_are_refused_without_repeating_them(password: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as exc:
        accounts.check_new_password(password, initials="MC")
    assert password.strip() not in str(exc.value) or not password.strip()
    assert exc.value.hint is not None and "at least 10 characters" in exc.value.hint


def test_a_password_equal_to_the_initials_is_refused() -> None:
    with pytest.raises(InputError, match="same as the initials"):
        accounts.check_new_password("mxzqkwhvbr", initials="MXZQKWHVBR")
    accounts.check_new_password(GOOD, initials="MC")


def test_set_password_refuses_a_weak_one_and_an_unknown_user(project: Project) -> None:
    with project.session() as s:
        with pytest.raises(InputError, match="shorter"):
            accounts.set_password(s.conn, "MC", "short")
        assert not accounts.has_password(s.conn, "MC")
        with pytest.raises(NotFoundError, match="unknown reviewer 'ZZ'"):
            accounts.set_password(s.conn, "ZZ", GOOD)


# -- the first owner -----------------------------------------------------------------------


def test_create_owner_gives_the_existing_owner_a_password(project: Project) -> None:
    versions = len(_history(project))
    user = accounts.create_owner(project, "mc", name="", password=GOOD)
    assert (user.initials, user.name) == ("MC", "M Cooper") and "owner" in user.roles
    assert len(_history(project)) == versions  # the team already says so
    assert _login(project, "MC") is not None
    with project.session(write=False) as s:
        assert [u.initials for u in accounts.owners_with_password(s.conn)] == ["MC"]


def test_create_owner_refuses_once_an_owner_can_log_in(project: Project) -> None:
    accounts.create_owner(project, "MC", name="M Cooper", password=GOOD)
    versions = len(_history(project))
    for who in ("CJ", "ZZ", "MC"):
        with pytest.raises(StateError, match="already has an owner who can log in") as exc:
            accounts.create_owner(project, who, name="Someone", password=OTHER)
        assert exc.value.next is not None
        assert exc.value.next.command == "reviewflow account invite --role owner"
    assert len(_history(project)) == versions
    assert _login(project, "MC") is not None and _login(project, "CJ", OTHER) is None


def test_create_owner_makes_a_member_or_a_newcomer_owner(project: Project) -> None:
    user = accounts.create_owner(
        project, "CJ", name="Cara Jordan", password=GOOD, email="cj@example.org"
    )
    assert user.roles == {"owner", "reviewer"}  # MC was an owner without a password
    assert (user.name, user.email) == ("Cara Jordan", "cj@example.org")
    assert 'email = "cj@example.org"' in project.config_path.read_text(encoding="utf-8")
    with project.session(write=False) as s:
        assert [u.initials for u in accounts.owners_with_password(s.conn)] == ["CJ"]


def test_create_owner_adds_someone_new_to_the_team(tmp_path: Path, database_url: str) -> None:
    bare = Project.create(tmp_path / "bare", title="T", database_url=database_url)
    try:
        with pytest.raises(InputError, match="shorter"):
            accounts.create_owner(bare, "AB", name="Ann Baker", password="short")
        assert bare.settings.reviewers == []  # refused before the team changed
        user = accounts.create_owner(
            bare, "AB", name="Ann Baker", password=GOOD, email="ann@example.org"
        )
        assert (user.name, user.email, user.roles) == ("Ann Baker", "ann@example.org", {"owner"})
        assert 'roles = ["owner"]' in bare.config_path.read_text(encoding="utf-8")
        with bare.session() as s:
            assert accounts.authenticate(s.conn, "ann@example.org", GOOD) == user
    finally:
        bare.close()


def _history(project: Project) -> list[protocol.Version]:
    with project.session(write=False) as s:
        return protocol.history(s.conn)


# -- invitations ---------------------------------------------------------------------------


def test_an_invitation_is_stored_as_a_hash_and_found_by_its_token(project: Project) -> None:
    token = accounts.create_invitation(
        project, roles=["arbiter", "reviewer"], email="gus@example.org", name="Gus", by="MC"
    )
    assert len(token) >= 40
    with project.session(write=False) as s:
        found = accounts.find_invitation(s.conn, token)
        rows = s.conn.execute(select(invitations)).all()
        assert accounts.find_invitation(s.conn, token + "x") is None
        assert accounts.find_invitation(s.conn, "") is None
        assert accounts.list_invitations(s.conn) == [found]
    assert found is not None and found.state() == "open" and found.is_open
    assert (found.roles, found.email, found.name, found.created_by) == (
        ("reviewer", "arbiter"), "gus@example.org", "Gus", "MC",
    )  # fmt: skip
    assert found.expires_at - found.created_at == timedelta(days=14)
    assert token not in repr(rows)


def test_accepting_adds_the_member_by_the_inviter_and_works_once(project: Project) -> None:
    token = accounts.create_invitation(project, roles=["arbiter"], email="g@h.org", by="MC")
    user = accounts.accept_invitation(project, token, initials="GH", name="Gus Hale",
                                      password=GOOD)  # fmt: skip
    assert (user.initials, user.name, user.email, user.roles) == (
        "GH", "Gus Hale", "g@h.org", {"arbiter"},
    )  # fmt: skip
    assert _login(project, "gh") == user
    newest = _history(project)[-1]
    assert (newest.changed_by, newest.source) == ("MC", "invitation")
    with project.session(write=False) as s:
        by = s.conn.execute(
            select(membership_events.c.by).where(membership_events.c.user_id == user.id)
        ).scalars()
        assert list(by) == ["MC"]
        used = accounts.find_invitation(s.conn, token)
    assert used is not None and used.state() == "used" and used.used_by == "GH"
    with pytest.raises(StateError, match="used already") as exc:
        accounts.accept_invitation(project, token, initials="IJ", name="Ivy", password=OTHER)
    assert exc.value.hint == "Ask the project's owner for a new invitation link."


def test_an_expired_or_revoked_invitation_is_refused(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    late = accounts.create_invitation(project, days=1)
    gone = accounts.create_invitation(project)
    accounts.revoke_invitation(project, 2, by="MC")
    accounts.revoke_invitation(project, 2)  # again: nothing more happens
    later = accounts._now() + timedelta(days=1, seconds=1)
    monkeypatch.setattr(accounts, "_now", lambda: later)
    with project.session(write=False) as s:
        expired = accounts.find_invitation(s.conn, late)
        revoked = accounts.find_invitation(s.conn, gone)
    assert revoked is not None and revoked.state() == "revoked"
    assert expired is not None and expired.state() == "expired" and not expired.is_open
    for token, message in ((late, "has expired"), (gone, "withdrawn"), ("nonsense", "not valid")):
        with pytest.raises(StateError, match=message) as exc:
            accounts.accept_invitation(project, token, initials="GH", name="Gus", password=GOOD)
        assert exc.value.hint is not None and "new invitation link" in exc.value.hint
    with project.session(write=False) as s:
        assert people.get_user(s.conn, "GH") is None


def test_a_refused_acceptance_changes_nothing(project: Project) -> None:
    token = accounts.create_invitation(project)
    cases = [({"initials": "mc"}, InputError, "initials MC are taken"),
             ({"password": "short"}, InputError, "shorter than 10"),
             ({"initials": "G H"}, InputError, "only letters"),
             ({"name": ""}, InputError, "give your name"),
             ({"email": "Gus@Example.org"}, InputError, "already someone's")]  # fmt: skip
    team.add_member(project, "GS", email="gus@example.org")
    before, versions = project.config_path.read_bytes(), len(_history(project))
    for change, error, message in cases:
        given = {"initials": "GH", "name": "Gus", "password": GOOD, **change}
        with pytest.raises(error, match=message):
            accounts.accept_invitation(project, token, **given)  # type: ignore[arg-type]
    assert project.config_path.read_bytes() == before and len(_history(project)) == versions
    with project.session(write=False) as s:
        assert accounts.find_invitation(s.conn, token).is_open  # type: ignore[union-attr]


def test_revoking_a_used_or_unknown_invitation_is_refused(project: Project) -> None:
    token = accounts.create_invitation(project, name="Gus")
    accounts.accept_invitation(project, token, initials="GH", name="", password=GOOD)
    with project.session(write=False) as s:
        assert people.require_user(s.conn, "GH").name == "Gus"  # the invitation's name
    with pytest.raises(StateError, match="used by GH") as exc:
        accounts.revoke_invitation(project, 1)
    assert exc.value.next is not None
    assert exc.value.next.command == "reviewflow reviewer remove GH"
    with pytest.raises(NotFoundError, match="no invitation 9"):
        accounts.revoke_invitation(project, 9)


def test_invitation_roles_and_days_are_checked(project: Project) -> None:
    with pytest.raises(InputError, match="unknown role 'admin'"):
        accounts.create_invitation(project, roles=["admin"])
    with pytest.raises(InputError, match="at least one role"):
        accounts.create_invitation(project, roles=[])
    with pytest.raises(InputError, match="at least one day"):
        accounts.create_invitation(project, days=0)
    with project.session(write=False) as s:
        assert accounts.list_invitations(s.conn) == []


def test_an_owner_invitation_makes_an_owner(project: Project) -> None:
    token = accounts.create_invitation(project, roles=["owner", "reviewer"])
    user = accounts.accept_invitation(project, token, initials="GH", name="Gus", password=GOOD)
    assert user.roles == {"owner", "reviewer"}


# -- the migration -------------------------------------------------------------------------


def test_upgrading_a_0009_database_adds_the_account_tables_and_keeps_users(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "old"
    root.mkdir()
    db = Database(resolve_url(database_url, base=root))
    upgrade(db.engine, "0009")
    with db.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO users (initials, name, created_at) VALUES ('MC', 'M', :t)"),
            {"t": accounts._now()},
        )
    upgrade(db.engine)
    assert current_revision(db.engine) == HEAD_REVISION
    tables = set(inspect(db.engine).get_table_names())
    assert {"credentials", "invitations", "users"} <= tables
    settings = Settings(title="Old review")
    settings.database.url = database_url
    (root / CONFIG_NAME).write_text(dump_settings(settings), encoding="utf-8")
    project = Project.open(root)
    try:
        with project.session() as s:
            accounts.set_password(s.conn, "MC", GOOD)
    finally:
        project.close()
    cfg = _config()
    with db.engine.connect() as conn:  # and back down, for a team that must
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0009")
        conn.commit()
    assert not {"credentials", "invitations"} & set(inspect(db.engine).get_table_names())
    db.dispose()
