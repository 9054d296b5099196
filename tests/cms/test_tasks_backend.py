"""The Celery backend for django-tasks while the broker is away."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import transaction
from django_tasks import task
from kombu.exceptions import OperationalError

from cms.tasks import run_django_task
from cms.tasks_backend import CeleryTaskBackend

CALLS: list[str] = []


@task()
def note_call(value: str) -> None:
    CALLS.append(value)


@pytest.mark.django_db
def test_with_the_broker_away_the_task_runs_here_and_later_hooks_still_run(
    django_capture_on_commit_callbacks, caplog
):
    CALLS.clear()
    broker_away = OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    with (
        mock.patch.object(run_django_task, "apply_async", side_effect=broker_away) as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        CeleryTaskBackend("celery", {}).enqueue(note_call, ["indexed"], {})
        transaction.on_commit(lambda: CALLS.append("announcements enqueued"))

    assert publish.call_count == 1
    assert CALLS == ["indexed", "announcements enqueued"]
    assert "broker is away" in caplog.text


@pytest.mark.django_db
def test_with_the_broker_there_the_task_is_only_published(django_capture_on_commit_callbacks):
    CALLS.clear()
    with (
        mock.patch.object(run_django_task, "apply_async") as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        CeleryTaskBackend("celery", {}).enqueue(note_call, ["indexed"], {})

    assert publish.call_args.args[0] == [note_call.module_path, ["indexed"], {}]
    assert CALLS == []
