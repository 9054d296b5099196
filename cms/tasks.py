"""Celery tasks that belong to the project itself rather than to one app."""

import os
import socket

from celery import shared_task
from django.utils.module_loading import import_string

from cms.observability import current_request_id


@shared_task(name="cms.worker_identity")
def worker_identity(token: str) -> dict[str, object]:
    """Echo a token with the identity of the process that ran it, and the request it ran for.

    Used by health checks and tests to prove a task crossed the broker into a
    separate worker process, carrying the id of the request that sent it.
    """
    return {
        "token": token,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "request_id": current_request_id(),
    }


@shared_task(name="cms.run_django_task", bind=True, acks_late=True)
def run_django_task(self, module_path: str, args: list, kwargs: dict):
    """Run a django-tasks task (Wagtail's indexing and housekeeping) in the worker.

    ``module_path`` names the task object; the task function is looked up
    afresh so the worker always runs its own code, never a pickled callable.
    """
    task = import_string(module_path)
    return task.call(*args, **kwargs)
