"""A django-tasks backend that hands Wagtail's background tasks to Celery.

Wagtail (and modelsearch) enqueue their work through django-tasks. When the hub
has a broker, this backend publishes each one as the ``cms.run_django_task``
Celery task. Publishing waits for the current transaction to commit, because
modelsearch enqueues from ``post_save``: a worker must never look for a row
that is not committed yet.

With the broker away the task runs here and now instead. Raised from an
on_commit hook, the broker's error would fail a request whose page is already
saved, and Django would skip the hooks after it (the page's announcements among
them).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id, normalize_json
from kombu.exceptions import OperationalError as BrokerAway

from cms.tasks import run_django_task

logger = logging.getLogger(__name__)


class CeleryTaskBackend(BaseTaskBackend):
    supports_defer = True
    supports_priority = False

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        result_id = get_random_id()
        options: dict[str, Any] = {"task_id": result_id}
        if task.queue_name and task.queue_name != "default":
            options["queue"] = task.queue_name
        if task.run_after is not None:
            options["eta"] = task.run_after
        payload = [task.module_path, normalize_json(list(args)), normalize_json(dict(kwargs))]

        transaction.on_commit(lambda: _publish_or_run(task, payload, options), using=None)
        return TaskResult(
            task=task,
            id=result_id,
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )


def _publish_or_run(task: Task, payload: list, options: dict[str, Any]) -> None:
    try:
        run_django_task.apply_async(payload, **options)
    except BrokerAway:
        logger.warning("The broker is away: running %s in this process", task.module_path)
        task.call(*payload[1], **payload[2])
