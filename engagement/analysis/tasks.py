"""Thin Celery tasks for analysis: ids in, one service call."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from consultations.locks import task_lock
from consultations.models import ConsultationPage
from engagement.analysis import summaries
from engagement.analysis.services import analysis_run, consultations_needing_analysis

logger = logging.getLogger(__name__)

# Longer than a 10,000-response first run (~5 minutes), so two runs never overlap.
LOCK_SECONDS = 30 * 60


@shared_task(acks_late=True)
def analyse_consultation(consultation_id: int) -> str:
    consultation = ConsultationPage.objects.filter(pk=consultation_id).first()
    if consultation is None:
        return "gone"
    lock = f"hub:analysis:{consultation_id}"
    # A run already under way will be followed by the next beat; skip rather than queue.
    if not cache.add(lock, "1", LOCK_SECONDS):
        return "busy"
    try:
        run = analysis_run(consultation=consultation, seed=settings.HUB_ANALYSIS_SEED)
    finally:
        cache.delete(lock)
    return run.status


@shared_task
def analyse_due() -> int:
    """Beat: analyse each consultation with new or changed responses (debounced by the beat).
    A run under way enqueues them: a second would queue each consultation's run twice."""
    with task_lock("analysis:analyse-due", seconds=LOCK_SECONDS) as held:
        if not held:
            return 0
        due = consultations_needing_analysis()
        for consultation_id in due:
            analyse_consultation.delay(consultation_id)
        return len(due)


# Longer than a recompute at a million responses (~3 minutes): two never overlap.
SUMMARY_LOCK_SECONDS = 30 * 60


@shared_task(acks_late=True)
def summary_recompute(consultation_id: int) -> str:
    """Recompute one public summary (engagement.analysis.summaries); if it changed meanwhile,
    enqueue the next, so a busy consultation always has exactly one on the way."""
    consultation = ConsultationPage.objects.filter(pk=consultation_id).first()
    if consultation is None:
        return "gone"
    lock = f"hub:summary:{consultation_id}"
    # One under way: it enqueues the next itself if the summary moved while it ran.
    if not cache.add(lock, "1", SUMMARY_LOCK_SECONDS):
        return "busy"
    try:
        recomputed = summaries.summary_recompute(consultation=consultation)
    finally:
        cache.delete(lock)
    if recomputed.current:
        return "current"
    summaries.summary_recompute_request(consultation_ids=[consultation_id], again=True)
    return "again"


@shared_task
def summaries_recompute_due() -> int:
    """Beat: enqueue a recompute of every summary left out of date (its task lost)."""
    with task_lock("analysis:summaries-due", seconds=SUMMARY_LOCK_SECONDS) as held:
        if not held:
            return 0
        due = summaries.summaries_recompute_due()
        return summaries.summary_recompute_request(consultation_ids=due, again=True)
