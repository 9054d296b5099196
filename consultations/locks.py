"""One run at a time of a periodic task, across every worker: a lock in the shared cache.

Beat enqueues on a clock, whatever the workers are doing: after an outage, or when a run
takes longer than its interval, a second run would start beside the first and do its work
again (enqueue the same sweeps, publish the same pages). ``cache.add`` is atomic in Redis
(``SET NX``), so of two runs one gets the lock and the other returns at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache


@contextmanager
def task_lock(name: str, *, seconds: int) -> Iterator[bool]:
    """Yield whether this run holds the lock ``name``; it lapses after ``seconds`` (a worker
    killed mid-run does not hold it for ever) and is released when the run ends."""
    key = f"hub:task-lock:{name}"
    token = uuid.uuid4().hex
    held = bool(cache.add(key, token, seconds))
    try:
        yield held
    finally:
        # Only our own: past ``seconds`` the lock may already be another run's.
        if held and cache.get(key) == token:
            cache.delete(key)
