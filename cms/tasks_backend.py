"""A django-tasks backend that hands Wagtail's background tasks to Celery.

Wagtail (and modelsearch) enqueue their work through django-tasks. When the hub
has a broker, this backend publishes each one as the ``cms.run_django_task``
Celery task. Publishing waits for the current transaction to commit, because
modelsearch enqueues from ``post_save``: a worker must never look for a row
that is not committed yet.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id, normalize_json

from cms.tasks import run_django_task


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

        transaction.on_commit(lambda: run_django_task.apply_async(payload, **options), using=None)
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
