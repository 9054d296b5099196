"""Thin Celery tasks for cross-posting: ids in, one service call, retries at the network's pace."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from connectors.collection import collection_claim, replies_collect, responses_sweep
from connectors.crypto import CredentialsUnreadable
from connectors.exceptions import ConnectorError, RateLimited, TransientError
from connectors.metrics import post_metrics_refresh
from connectors.models import ChannelAccount, Delivery, DeliveryStatus
from connectors.outcomes import outcome_replies_schedule
from connectors.respondent_replies import respondent_replies_schedule
from connectors.selectors import collection_due, sweep_pairs
from connectors.services import (
    deliveries_enqueue_due,
    deliveries_take_over_abandoned,
    delivery_give_up,
    delivery_retry_planned,
    delivery_send,
)
from consultations.locks import task_lock
from consultations.models import ConsultationPage

logger = logging.getLogger(__name__)

MAX_RETRIES = 10
MAX_BACKOFF_SECONDS = 3600
# Longer than a beat run takes to enqueue its work: a second run beside it skips.
BEAT_LOCK_SECONDS = 300


def retry_countdown(error: TransientError, retries: int) -> float:
    """Seconds to wait: until the rate-limit reset, or exponential backoff with jitter."""
    if isinstance(error, RateLimited):
        wait = (error.reset_at - datetime.now(tz=UTC)).total_seconds()
        return max(1.0, wait + 1.0)
    base = settings.HUB_DELIVERY_RETRY_BASE * (2**retries)
    return min(MAX_BACKOFF_SECONDS, base) * random.uniform(0.8, 1.2)  # noqa: S311


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def deliver(self, delivery_id: int) -> str:
    try:
        return delivery_send(delivery_id=delivery_id).status
    except Delivery.DoesNotExist:
        logger.warning("Delivery %s no longer exists; nothing to send", delivery_id)
        return "missing"
    except TransientError as error:
        if self.request.retries >= self.max_retries:
            delivery_give_up(
                delivery_id=delivery_id,
                reason=f"gave up after {self.request.retries + 1} attempts: {error}",
            )
            return DeliveryStatus.FAILED.value
        if self.request.is_eager:
            # In-process (no broker): never block the request that published; beat picks it up.
            logger.warning("Delivery %s will be retried later: %s", delivery_id, error)
            return "retry"
        countdown = retry_countdown(error, self.request.retries)
        delivery_retry_planned(
            delivery_id=delivery_id, retry_at=timezone.now() + timedelta(seconds=countdown)
        )
        raise self.retry(countdown=countdown, exc=error) from error


@shared_task
def send_due_reminders() -> int:
    """Celery beat: enqueue reminders (and anything left behind) whose time has come. A run
    under way enqueues them: a second would send each twice to the worker queue."""
    with task_lock("connectors:send-due-reminders", seconds=BEAT_LOCK_SECONDS) as held:
        return len(deliveries_enqueue_due()) if held else 0


@shared_task
def take_over_abandoned_deliveries() -> int:
    """Celery beat: re-enqueue deliveries whose worker died mid-attempt. A killed worker's
    message stays unacknowledged for the broker's visibility timeout (an hour on Redis);
    this finds the delivery within one interval. One run at a time."""
    with task_lock("connectors:take-over-abandoned", seconds=BEAT_LOCK_SECONDS) as held:
        return len(deliveries_take_over_abandoned()) if held else 0


@shared_task
def announce_outcomes() -> int:
    """Celery beat: reply in each announcement thread of consultations whose outcome is
    now published (``connectors.outcomes``). One run at a time; the deliveries' uniqueness
    per consultation and channel keeps each reply single even without the lock."""
    with task_lock("connectors:announce-outcomes", seconds=BEAT_LOCK_SECONDS) as held:
        return len(outcome_replies_schedule()) if held else 0


@shared_task
def reply_to_respondents() -> int:
    """Celery beat: schedule the outcome reply to each respondent where a consultation's
    channel asks for it (``connectors.respondent_replies``), up to each channel's hourly
    cap. One run at a time, so two runs cannot both fill a channel's cap; the deliveries'
    uniqueness per response keeps each reply single even without the lock."""
    with task_lock("connectors:reply-to-respondents", seconds=BEAT_LOCK_SECONDS) as held:
        return len(respondent_replies_schedule()) if held else 0


# --- Collecting replies ---------------------------------------------------------------


@shared_task(acks_late=True)
def collect_replies(consultation_id: int, channel_id: int) -> str:
    """One poll of one consultation on one channel; a rate limit sets the next poll for
    the reset (beat picks it up then) rather than holding the worker."""
    try:
        outcome = replies_collect(consultation_id=consultation_id, channel_id=channel_id)
    except (ConsultationPage.DoesNotExist, ChannelAccount.DoesNotExist):
        return "missing"
    return outcome.stopped_by or "caught_up"


@shared_task
def collect_due_replies() -> int:
    """Celery beat: enqueue a poll for every consultation and channel whose time has come."""
    now = timezone.now()
    enqueued = 0
    for consultation_id, channel_id in collection_due(now=now):
        if collection_claim(consultation_id=consultation_id, channel_id=channel_id, now=now):
            collect_replies.delay(consultation_id, channel_id)
            enqueued += 1
    return enqueued


@shared_task(acks_late=True)
def sweep_channel(consultation_id: int, channel_id: int) -> int:
    try:
        return responses_sweep(consultation_id=consultation_id, channel_id=channel_id).withdrawn
    except ChannelAccount.DoesNotExist:
        return 0
    except (ConnectorError, CredentialsUnreadable) as error:
        # The next sweep tries this batch again; nothing was withdrawn on a guess.
        logger.warning("Deletion sweep of %s on %s failed: %s", consultation_id, channel_id, error)
        return 0


@shared_task
def sweep_deletions() -> int:
    """Celery beat: re-check a batch of collected posts per consultation and channel. A run
    under way enqueues them: a second would read every batch twice (network requests and
    read budget)."""
    with task_lock("connectors:sweep-deletions", seconds=BEAT_LOCK_SECONDS) as held:
        if not held:
            return 0
        pairs = sweep_pairs()
        for consultation_id, channel_id in pairs:
            sweep_channel.delay(consultation_id, channel_id)
        return len(pairs)


@shared_task(acks_late=True)
def refresh_channel_metrics(consultation_id: int, channel_id: int) -> int:
    try:
        return post_metrics_refresh(consultation_id=consultation_id, channel_id=channel_id)
    except ChannelAccount.DoesNotExist:
        return 0
    except (ConnectorError, CredentialsUnreadable) as error:
        # The counts stay as last read; the next round tries again.
        logger.warning("Post metrics of %s on %s failed: %s", consultation_id, channel_id, error)
        return 0


@shared_task
def refresh_post_metrics() -> int:
    """Celery beat: re-read the public counts of our posts, wherever replies are collected.
    A run under way enqueues them: a second would read every post's counts twice."""
    with task_lock("connectors:refresh-post-metrics", seconds=BEAT_LOCK_SECONDS) as held:
        if not held:
            return 0
        pairs = sweep_pairs()
        for consultation_id, channel_id in pairs:
            refresh_channel_metrics.delay(consultation_id, channel_id)
        return len(pairs)
