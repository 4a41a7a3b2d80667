"""The jobs page: the owner queues heavy work, everyone follows it, the owner cancels.

A server hosting a SQLite project runs its jobs in its own process; one on PostgreSQL
leaves them to ``reviewflow worker`` (Procrastinate), which the test runs by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from webkit import SLUG, csrf_of, signed_in_clients

from reviewflow import jobs
from reviewflow.project import Project

Client = Callable[[str], TestClient]
HX = {"HX-Request": "true"}


@pytest.fixture
def client_for(team_project: Project) -> Iterator[Client]:
    with signed_in_clients(team_project.root) as make:
        yield make


def _until_ended(project: Project, job_id: int) -> jobs.Job:
    if jobs.uses_queue_server(project):
        from reviewflow.jobs import pgqueue

        pgqueue.work(project, drain=True)
    deadline = time.monotonic() + 60
    while not (job := jobs.get(project, job_id)).ended and time.monotonic() < deadline:
        time.sleep(0.1)
    return job


def test_the_owner_queues_a_job_and_the_team_sees_it_run_and_end(
    client_for: Client, team_project: Project
) -> None:
    owner, reviewer = client_for("OW"), client_for("AB")
    page = owner.get(f"/p/{SLUG}/jobs")
    assert page.status_code == 200 and "No jobs yet" in page.text
    assert 'value="dedup"' in page.text  # the owner's buttons
    answer = owner.post(
        f"/p/{SLUG}/jobs", data={"kind": "dedup", "csrf_token": csrf_of(owner)}, headers=HX
    )
    assert answer.status_code == 200 and "Find duplicates" in answer.text
    (job,) = jobs.list_jobs(team_project)
    assert job.requested_by == "OW"
    ended = _until_ended(team_project, job.id)
    assert ended.status == "done", ended.message
    seen = reviewer.get(f"/p/{SLUG}/jobs")
    assert seen.status_code == 200
    assert 'value="dedup"' not in seen.text  # a reviewer follows, the owner queues
    assert "done" in seen.text and "duplicates linked" in seen.text
    assert 'hx-trigger="every 2s"' not in seen.text  # nothing left to follow
    api = reviewer.get(f"/api/p/{SLUG}/jobs/{job.id}").json()
    assert (api["status"], api["percent"], api["requested_by"]) == ("done", 100, "OW")
    refused = reviewer.post(
        f"/p/{SLUG}/jobs", data={"kind": "dedup", "csrf_token": csrf_of(reviewer)}
    )
    assert refused.status_code == 403


def test_a_queued_job_is_followed_live_and_can_be_cancelled(
    client_for: Client, team_project: Project
) -> None:
    owner = client_for("OW")
    with jobs_held(team_project):
        job = jobs.submit(team_project, "report", {"formats": ["md"]}, by="OW")
        listed = owner.get(f"/p/{SLUG}/jobs/list", headers=HX)
        assert 'hx-trigger="every 2s"' in listed.text and "waiting for a worker" in listed.text
        answer = owner.post(
            f"/p/{SLUG}/jobs/{job.id}/cancel", data={"csrf_token": csrf_of(owner)}, headers=HX
        )
    assert answer.status_code == 200 and "cancelled" in answer.text
    assert jobs.get(team_project, job.id).status == "cancelled"
    again = owner.post(f"/api/p/{SLUG}/jobs/{job.id}/cancel")
    assert again.status_code == 409 and "already ended" in again.text


def test_the_api_queues_only_what_the_page_offers_and_never_a_server_path(
    client_for: Client, team_project: Project, tmp_path
) -> None:
    owner = client_for("OW")
    bad = owner.post(
        f"/api/p/{SLUG}/jobs", json={"kind": "import", "params": {"path": "/etc/passwd"}}
    )
    assert bad.status_code == 422 and "upload" in bad.text
    out = tmp_path / "elsewhere"
    made = owner.post(
        f"/api/p/{SLUG}/jobs",
        json={"kind": "report", "params": {"formats": ["md"], "out_dir": str(out)}},
    )
    assert made.status_code == 200
    ended = _until_ended(team_project, made.json()["id"])
    assert ended.status == "done", ended.message
    assert not out.exists()  # written to the project's reports folder, not where asked
    assert ended.result is not None
    assert all(str(team_project.root) in path for path in ended.result["files"].values())


class jobs_held:
    """Keep the in-process worker from taking jobs for a while (a busy worker)."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def __enter__(self) -> None:
        import reviewflow.jobs as api

        self._real = api.run_next
        api.run_next = lambda project, worker=None: None  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        import reviewflow.jobs as api

        api.run_next = self._real  # type: ignore[assignment]
