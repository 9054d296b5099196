"""Thin Celery tasks for analysis: ids in, one service call."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache

from consultations.locks import task_lock
from consultations.models import ConsultationPage
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
