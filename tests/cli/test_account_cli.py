"""``reviewflow account``: the first owner, passwords and invitation links at the
terminal, on both engines; a password is read at a hidden prompt and never printed."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner, Result

from reviewflow import accounts, people
from reviewflow.cli import cli
from reviewflow.project import Project

GOOD = "correct horse battery"


def rf(project: Project, *args: str, input: str | None = None, **env: str) -> Result:
    result = CliRunner().invoke(cli, ["-p", str(project.root), *args], input=input, env=env)
    assert "Traceback" not in result.output
    return result


def _printed(result: Result) -> str:
    return result.stdout + result.stderr


def _login(project: Project, login: str, password: str = GOOD) -> people.User | None:
    with project.session() as s:
        return accounts.authenticate(s.conn, login, password)


def test_create_owner_asks_twice_hidden_and_never_prints_it(project: Project) -> None:
    result = rf(project, "account", "create-owner", "MC", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    assert "New password for MC:" in result.stdout and "Repeat for confirmation" in result.stdout
    assert GOOD not in _printed(result)
    assert "MC owns this project and can log in to the web app as MC." in result.stdout
    assert "reviewflow account invite" in result.stdout
    assert _login(project, "mc") is not None


def test_a_weak_or_mistyped_password_is_asked_again(project: Project) -> None:
    typed = f"tiny1\n{GOOD}\n{GOOD}!\n{GOOD}\n{GOOD}\n"
    result = rf(project, "account", "create-owner", "CJ", "--email", "cj@example.org", input=typed)
    assert result.exit_code == 0, result.output
    assert "Error: the password is shorter than 10 characters" in _printed(result)
    assert "a few unrelated words" in _printed(result)  # and how to choose one
    assert "The two entered values do not match" in _printed(result)
    assert "tiny1" not in _printed(result) and GOOD not in _printed(result)
    assert "as CJ or cj@example.org" in result.stdout
    assert _login(project, "cj@example.org") is not None


def test_create_owner_from_the_environment_and_refused_for_a_second(project: Project) -> None:
    env = {"REVIEWFLOW_PASSWORD": GOOD}
    result = rf(project, "account", "create-owner", "ZZ", "--name", "Zoe Zed", **env)
    assert result.exit_code == 0, result.output
    assert "New password" not in result.stdout and GOOD not in _printed(result)
    with project.session(write=False) as s:
        assert people.require_user(s.conn, "ZZ").roles == {"owner"}
    result = rf(project, "account", "create-owner", "CJ", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 1
    assert "already has an owner who can log in" in result.stderr
    assert "Ask them to invite you: reviewflow account invite --role owner" in result.stderr
    assert "New password" not in result.stdout  # refused before asking


def test_a_weak_password_from_the_environment_is_an_error(project: Project) -> None:
    result = rf(project, "account", "set-password", "CJ", REVIEWFLOW_PASSWORD="cj")
    assert result.exit_code == 1
    assert "Error: the password is shorter than 10 characters" in result.stderr
    with project.session(write=False) as s:
        assert not accounts.has_password(s.conn, "CJ")


def test_set_password_changes_the_stamp_and_knows_the_team(project: Project) -> None:
    assert rf(project, "account", "set-password", "CJ", input=f"{GOOD}\n{GOOD}\n").exit_code == 0
    with project.session(write=False) as s:
        cj = people.require_user(s.conn, "CJ")
        first = accounts.credential_stamp(s.conn, cj.id)
    other = "another long phrase"
    result = rf(project, "account", "set-password", "CJ", input=f"{other}\n{other}\n")
    assert result.exit_code == 0, result.output
    assert "Password set for CJ" in result.stdout and other not in _printed(result)
    with project.session(write=False) as s:
        assert accounts.credential_stamp(s.conn, cj.id) not in (None, first)
    assert _login(project, "CJ", other) is not None and _login(project, "CJ") is None
    result = rf(project, "account", "set-password", "QQ", input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 1 and "unknown reviewer 'QQ'" in result.stderr
    assert "New password" not in result.stdout


def _token(result: Result) -> str:
    found = re.search(r"/invite/(\S+)", result.stdout)
    assert found, result.stdout
    return found.group(1)


def test_invite_prints_a_link_that_works_once(project: Project) -> None:
    result = rf(project, "account", "invite", "--role", "arbiter", "--role", "reviewer",
                "--email", "gus@example.org", "--name", "Gus Hale", "--days", "7",
                "--base-url", "https://review.example.org/", "--reviewer", "MC")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "https://review.example.org/p/review/invite/" in result.stdout
    assert "Gus Hale <gus@example.org> as arbiter, reviewer, valid 7 days" in result.stdout
    token = _token(result)
    user = accounts.accept_invitation(project, token, initials="GH", name="Gus Hale",
                                      password=GOOD)  # fmt: skip
    assert user.roles == {"arbiter", "reviewer"}
    listed = rf(project, "account", "invitations", "--json")
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.stdout)
    assert (row["state"], row["used_by"], row["created_by"]) == ("used", "GH", "MC")
    assert token not in listed.stdout


def test_invitations_list_and_revoke(project: Project) -> None:
    assert "No invitations yet" in rf(project, "account", "invitations").stdout
    first = rf(project, "account", "invite")
    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:8000/p/review/invite/" in first.stdout
    assert "someone as reviewer, valid 14 days" in first.stdout
    assert rf(project, "account", "invite", "--role", "viewer", "--name", "Vi").exit_code == 0
    result = rf(project, "account", "revoke", "1")
    assert result.exit_code == 0 and "no longer works" in result.stdout
    lines = rf(project, "account", "invitations").stdout.splitlines()
    assert lines[0] == "1  revoked  reviewer"
    assert lines[1].startswith("2  open  until ") and lines[1].endswith("UTC  viewer  Vi")
    with pytest.raises(Exception, match="withdrawn"):
        accounts.accept_invitation(project, _token(first), initials="GH", name="G",
                                   password=GOOD)  # fmt: skip
    result = rf(project, "account", "revoke", "7")
    assert result.exit_code == 1 and "no invitation 7" in result.stderr


def test_an_unknown_role_is_a_usage_error(project: Project) -> None:
    result = rf(project, "account", "invite", "--role", "admin")
    assert result.exit_code == 2 and "'admin' is not one of" in result.output
