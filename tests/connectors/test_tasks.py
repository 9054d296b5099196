"""The Celery tasks: retry timing, giving up, what beat picks up, and reminders through the real worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from connectors.exceptions import RateLimited, TransientError
from connectors.models import Delivery, DeliveryEventAction, DeliveryKind, DeliveryStatus
from connectors.selectors import delivered_posts_for, deliveries_due
from connectors.services import (
    delivery_retry,
    delivery_retry_planned,
    delivery_schedule_for_consultation,
    delivery_send,
)
from connectors.tasks import MAX_RETRIES, deliver, retry_countdown, send_due_reminders
from tests.connectors.conftest import WRITE_PATHS, make_sandbox_channel
from tests.factories.connectors import consultation_page


def test_retry_after_a_rate_limit_waits_until_the_reset():
    reset_at = datetime.now(tz=UTC) + timedelta(seconds=120)

    countdown = retry_countdown(RateLimited(reset_at), retries=0)

    assert 119 <= countdown <= 122


def test_retry_after_a_server_error_backs_off_exponentially(settings):
    settings.HUB_DELIVERY_RETRY_BASE = 10

    first = retry_countdown(TransientError("503"), retries=0)
    fourth = retry_countdown(TransientError("503"), retries=3)

    assert 8 <= first <= 12
    assert 64 <= fourth <= 96


def _announcement(home_page, sandbox):
    page = consultation_page(home_page, sandbox.channel.department, channels=[sandbox.channel])
    deliveries = delivery_schedule_for_consultation(page=page)
    return page, next(d for d in deliveries if d.kind == DeliveryKind.ANNOUNCE)


def test_in_process_task_leaves_a_temporary_failure_for_later_instead_of_blocking(
    home_page, sandboxes
):
    sandbox = make_sandbox_channel(sandboxes, "mastodon")
    _, delivery = _announcement(home_page, sandbox)
    sandbox.server.inject_fault("server_error", path=WRITE_PATHS["mastodon"])

    result = deliver.apply(args=[delivery.pk]).get()

    assert result == "retry"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert sandbox.posts == []


def test_task_gives_up_after_the_last_retry_and_says_why(home_page, sandboxes):
    sandbox = make_sandbox_channel(sandboxes, "x")
    _, delivery = _announcement(home_page, sandbox)
    sandbox.server.inject_fault("server_error", path=WRITE_PATHS["x"])

    result = deliver.apply(args=[delivery.pk], retries=MAX_RETRIES).get()

    delivery.refresh_from_db()
    assert result == DeliveryStatus.FAILED
    assert delivery.status == DeliveryStatus.FAILED
    assert "gave up" in delivery.last_error
    assert delivery.events.filter(action=DeliveryEventAction.FAILED).exists()


def test_task_for_a_delivery_that_no_longer_exists_does_nothing(db):
    assert deliver.apply(args=[987654321]).get() == "missing"


def test_beat_picks_due_reminders_of_live_consultations_only(home_page, sandboxes):
    sandbox = make_sandbox_channel(sandboxes, "bluesky")
    page, _ = _announcement(home_page, sandbox)
    now = timezone.now()
    reminder = Delivery.objects.get(consultation=page, kind=DeliveryKind.REMINDER_1D)

    assert reminder not in deliveries_due(now=now)  # a draft, and not yet due
    page.save_revision().publish()
    assert reminder not in deliveries_due(now=now)  # live, not yet due
    assert reminder in deliveries_due(now=reminder.due_at + timedelta(seconds=1))
    page.refresh_from_db()
    page.unpublish()
    assert reminder not in deliveries_due(now=reminder.due_at + timedelta(seconds=1))


def _live_announcement(home_page, sandbox) -> Delivery:
    page = consultation_page(
        home_page, sandbox.channel.department, channels=[sandbox.channel], live=True
    )
    return Delivery.objects.create(
        consultation=page,
        channel=sandbox.channel,
        kind=DeliveryKind.ANNOUNCE,
        due_at=timezone.now(),
    )


def test_beat_does_not_ask_a_rate_limited_network_again_before_its_reset(home_page, sandboxes):
    sandbox = make_sandbox_channel(sandboxes, "mastodon")
    delivery = _live_announcement(home_page, sandbox)
    sandbox.server.inject_fault("rate_limit", path=WRITE_PATHS["mastodon"], reset_in=1200)

    with pytest.raises(RateLimited) as limited:
        delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.retry_at == limited.value.reset_at
    assert delivery.retry_at > timezone.now() + timedelta(minutes=15)
    # Beat's runs every 5 minutes until the reset leave it to the task's own retry.
    for minutes in (5, 10, 15):
        with time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False):
            assert delivery not in deliveries_due(now=timezone.now())
    with time_machine.travel(delivery.retry_at + timedelta(seconds=1), tick=False):
        assert delivery in deliveries_due(now=timezone.now())

    # An administrator's retry (it enqueues the send itself) goes now, whatever the network said.
    assert delivery_retry(delivery_id=delivery.pk).retry_at is None
    delivered = delivery_send(delivery_id=delivery.pk)
    assert delivered.status == DeliveryStatus.DELIVERED
    assert delivered.retry_at is None
    assert len(sandbox.posts) == 1


def test_beat_leaves_a_stuck_send_to_its_planned_retry(home_page, sandboxes):
    """A send whose outcome is unknown stays "sending"; its backoff may be longer than the
    15 minutes after which beat takes a "sending" delivery for lost."""
    sandbox = make_sandbox_channel(sandboxes, "x")
    delivery = _live_announcement(home_page, sandbox)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING)
    retry_at = timezone.now() + timedelta(minutes=40)

    delivery_retry_planned(delivery_id=delivery.pk, retry_at=retry_at)

    with time_machine.travel(timezone.now() + timedelta(minutes=20), tick=False):
        assert delivery not in deliveries_due(now=timezone.now())
    with time_machine.travel(retry_at + timedelta(seconds=1), tick=False):
        assert delivery in deliveries_due(now=timezone.now())


def test_delivered_posts_are_listed_for_the_consultation_page(home_page, sandboxes):
    sandbox = make_sandbox_channel(sandboxes, "mastodon")
    page, delivery = _announcement(home_page, sandbox)
    assert delivered_posts_for(page) == []

    delivery_send(delivery_id=delivery.pk)

    (posted,) = delivered_posts_for(page)
    assert posted.network == "mastodon" and posted.network_label == "Mastodon"
    assert posted.url == delivery.posts.get().url
    assert posted.handle == sandbox.channel.handle


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_beat_task_sends_a_due_reminder_once_through_the_worker(
    celery_worker, sandboxes, home_page
):
    sandbox = make_sandbox_channel(sandboxes, "x")
    page = consultation_page(home_page, sandbox.channel.department, channels=[sandbox.channel])
    delivery_schedule_for_consultation(page=page)
    page.save_revision().publish()  # schedules (already there) and announces through the worker
    Delivery.objects.filter(consultation=page, kind=DeliveryKind.REMINDER_1D).update(
        due_at=timezone.now() - timedelta(seconds=1)
    )

    send_due_reminders.delay().get(timeout=60)
    send_due_reminders.delay().get(timeout=60)  # beat firing again before the first finished

    deadline = time.monotonic() + 60
    reminder = Delivery.objects.get(consultation=page, kind=DeliveryKind.REMINDER_1D)
    while reminder.status != DeliveryStatus.DELIVERED and time.monotonic() < deadline:
        time.sleep(0.2)
        reminder.refresh_from_db()
    assert reminder.status == DeliveryStatus.DELIVERED
    texts = [post["text"] for post in sandbox.posts]
    assert sum("closes tomorrow" in text for text in texts) == 1
    assert sum(text.startswith("Have your say:") for text in texts) == 1  # the announcement
