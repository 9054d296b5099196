"""Which "sending" deliveries have lost their worker: nobody holds the delivery's lock.

A second database connection stands in for a worker: it takes the delivery's session
advisory lock as ``delivery_send`` does, and closing it is what a SIGKILLed worker's
death does to its connection. (A real killed worker: tests/connectors/test_delivery_worker.py.)
"""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from connectors.models import (
    Delivery,
    DeliveryEvent,
    DeliveryEventAction,
    DeliveryKind,
    DeliveryStatus,
)
from connectors.selectors import DELIVERY_LOCK_SPACE, deliveries_abandoned, deliveries_due
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory, consultation_page


def _mid_attempt(home_page, *, last_action: str = DeliveryEventAction.ATTEMPT) -> Delivery:
    """A delivery as a worker leaves it between its attempt and its outcome."""
    channel = ChannelAccountFactory(department=DepartmentFactory(), network="mastodon")
    page = consultation_page(home_page, channel.department, channels=[channel], live=True)
    delivery = Delivery.objects.create(
        consultation=page,
        channel=channel,
        kind=DeliveryKind.ANNOUNCE,
        due_at=timezone.now(),
        status=DeliveryStatus.SENDING,
        attempts=1,
        last_attempt_at=timezone.now(),
    )
    DeliveryEvent.objects.create(delivery=delivery, action=DeliveryEventAction.ATTEMPT)
    if last_action != DeliveryEventAction.ATTEMPT:
        DeliveryEvent.objects.create(delivery=delivery, action=last_action)
    return delivery


def _worker_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    return psycopg.connect(
        **{k: v for k, v in params.items() if k not in ("cursor_factory", "context")},
        autocommit=True,
    )


def test_a_sending_delivery_is_abandoned_once_its_workers_connection_is_gone(home_page):
    delivery = _mid_attempt(home_page)
    worker = _worker_connection()
    worker.execute("SELECT pg_advisory_lock(%s, %s)", [DELIVERY_LOCK_SPACE, delivery.pk])

    held = deliveries_abandoned(now=timezone.now())
    worker.close()  # the worker dies; PostgreSQL releases its session locks
    # Closing returns before the server has ended the session: wait for the lock to go.
    probe = _worker_connection()
    probe.execute("SELECT pg_advisory_lock(%s, %s)", [DELIVERY_LOCK_SPACE, delivery.pk])
    probe.close()

    assert delivery.pk not in held
    assert deliveries_abandoned(now=timezone.now()) == [delivery.pk]
    # Long before the stuck limit would let anyone retry it.
    assert not deliveries_due(now=timezone.now()).filter(pk=delivery.pk).exists()


@pytest.mark.parametrize(
    "last_action",
    [
        DeliveryEventAction.OUTCOME_UNKNOWN,
        DeliveryEventAction.TRANSIENT_ERROR,
        DeliveryEventAction.RATE_LIMITED,
        DeliveryEventAction.RETRY_REQUESTED,
    ],
)
def test_a_delivery_whose_outcome_was_recorded_waits_for_its_own_retry(home_page, last_action):
    """After a retryable outcome the task's retry (at the network's pace) is already queued."""
    _mid_attempt(home_page, last_action=last_action)

    assert deliveries_abandoned(now=timezone.now()) == []


def test_a_part_posted_before_the_worker_died_still_counts_as_mid_attempt(home_page):
    delivery = _mid_attempt(home_page, last_action=DeliveryEventAction.POSTED)

    assert deliveries_abandoned(now=timezone.now()) == [delivery.pk]


def test_a_delivery_of_an_unpublished_consultation_is_left_alone(home_page):
    delivery = _mid_attempt(home_page)
    delivery.consultation.live = False
    delivery.consultation.save(update_fields=["live"])

    assert deliveries_abandoned(now=timezone.now()) == []
