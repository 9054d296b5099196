"""A request id for every request, carried into the log lines it writes and the tasks it enqueues.

One web request can enqueue deliveries, collections and index updates that run later in
other processes. The request id ties them together in the logs: the web process sets it
(or takes the one the load balancer sent), every log record carries it as ``request_id``,
Celery sends it in the task's headers, and the worker sets it again before the task runs.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from celery import signals
from django.core.signals import request_finished
from django.dispatch import receiver

REQUEST_ID_HEADER = "X-Request-ID"
# A load balancer's id is kept only if it looks like one: a header is attacker-controlled,
# and a log line must not be forged through it (newlines, quotes, kilobytes of text).
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
_TASK_HEADER = "hub_request_id"

_request_id: ContextVar[str] = ContextVar("hub_request_id", default="")


def current_request_id() -> str:
    """The id of the request (or of the request that enqueued this task); "" outside both."""
    return _request_id.get()


@contextmanager
def request_id_bound(request_id: str) -> Iterator[str]:
    """Log lines written and tasks enqueued inside the block carry ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield request_id
    finally:
        _request_id.reset(token)


def request_id_middleware(get_response):
    """Give each request an id, and answer with it so a citizen's error report can quote it.

    The id stays set until the response is closed (``request_finished``), not only while the
    middleware runs: Django logs a 4xx or 5xx answer after the middleware chain returns.
    """

    def middleware(request):
        given = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = given if _ACCEPTABLE_ID.fullmatch(given) else uuid.uuid4().hex
        _request_id.set(request_id)
        response = get_response(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response

    return middleware


@receiver(request_finished)
def _forget_request_id_after_the_response(**kwargs) -> None:
    _request_id.set("")


class RequestIdFilter(logging.Filter):
    """Put ``request_id`` on every log record, so formatters can name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


@signals.before_task_publish.connect
def _send_request_id_with_the_task(headers=None, **kwargs) -> None:
    request_id = _request_id.get()
    if request_id and headers is not None:
        headers.setdefault(_TASK_HEADER, request_id)


@signals.task_prerun.connect
def _take_request_id_from_the_task(task=None, **kwargs) -> None:
    # Eager tasks run inside the request, whose id is already set.
    given = getattr(task.request, _TASK_HEADER, None) if task is not None else None
    if given:
        _request_id.set(given)


@signals.task_postrun.connect
def _forget_request_id_after_the_task(task=None, **kwargs) -> None:
    # A worker process runs one task after another: the next must not inherit this one's id.
    if task is not None and not task.request.is_eager:
        _request_id.set("")
