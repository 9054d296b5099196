"""Thin Celery tasks for the record: one service call each."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from engagement.record.retention import retention_apply, retention_plan

# Longer than a run over a large backlog, so two runs never overlap.
RETENTION_LOCK_SECONDS = 60 * 60


@shared_task(name="engagement.record.apply_retention", acks_late=True)
def apply_retention() -> dict[str, int]:
    """Beat: expire what each department's retention schedule no longer keeps."""
    lock = "hub:record:retention"
    # A run under way does this run's work too; skip rather than queue behind it.
    if not cache.add(lock, "1", RETENTION_LOCK_SECONDS):
        return {"busy": 1}
    try:
        result = retention_apply(plan=retention_plan(), source="schedule")
    finally:
        cache.delete(lock)
    return {f"{kind} {store}": rows for (kind, store), rows in result.totals().items()}
