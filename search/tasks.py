"""Thin Celery task: drain the search outbox (beat runs it; commits request it)."""

from __future__ import annotations

import logging

from celery import shared_task

from search.services import search_index_drain

logger = logging.getLogger(__name__)


@shared_task(name="search.drain_search_index", acks_late=True, ignore_result=True)
def drain_search_index() -> dict:
    # No retry here: what failed stays queued and the next beat tick drains it.
    result = search_index_drain()
    if result.failed:
        logger.warning("Search index unreachable; %d changes wait in the queue", result.left)
    return {"indexed": result.indexed, "removed": result.removed, "left": result.left}
