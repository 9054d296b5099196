"""The outcome back on the networks: a reply in each announcement thread, exactly once.

A consultation's outcome is public when its ``outcome_published_at`` is reached (a
date an officer sets ahead, or now) and it has closed, and nothing happens at that moment to hang a
signal on: beat scans instead (``announce_outcomes``), so an outcome is announced
however it came to be public, and a scan missed while the workers were down is made up
by the next.

Each reply is a ``Delivery`` of kind ``outcome``, unique per consultation and channel
(the database refuses a second), sent by the announcements' own machinery
(``connectors.services.delivery_send``): marked "sending" before the write, each part
recorded as it goes live, and after an unknown outcome our replies under the
announcement are read back before anything is posted again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from connectors.models import (
    Delivery,
    DeliveryEvent,
    DeliveryEventAction,
    DeliveryKind,
    DeliveryPost,
    DeliveryStatus,
)
from connectors.queue import deliveries_enqueue

logger = logging.getLogger(__name__)


def announcements_awaiting_outcome(*, now: datetime) -> QuerySet[Delivery]:
    """Delivered announcements, still on the network, of live consultations whose outcome
    is public (within ``HUB_OUTCOME_REPLY_MAX_AGE`` days) and has no reply on their channel yet.
    """
    oldest = now - timedelta(days=settings.HUB_OUTCOME_REPLY_MAX_AGE)
    replied = Delivery.objects.filter(
        consultation_id=OuterRef("consultation_id"),
        channel_id=OuterRef("channel_id"),
        kind=DeliveryKind.OUTCOME,
        language=OuterRef("language"),
    )
    deleted_part = DeliveryPost.objects.filter(delivery_id=OuterRef("pk"), deleted_at__isnull=False)
    return (
        Delivery.objects.filter(
            kind=DeliveryKind.ANNOUNCE,
            status=DeliveryStatus.DELIVERED,
            consultation__live=True,
            # Public only once the consultation has closed too (ConsultationPage.status_at).
            consultation__closes_at__lte=now,
            consultation__outcome_published_at__lte=now,
            consultation__outcome_published_at__gte=oldest,
            channel__is_active=True,
        )
        .exclude(Exists(replied))
        .exclude(Exists(deleted_part))
        .order_by("consultation_id", "channel_id")
    )


def outcome_replies_schedule(*, now: datetime | None = None) -> list[int]:
    """Create the outcome reply of every announcement whose consultation's outcome is now
    public, and enqueue them once this commits; returns the new deliveries' ids.

    Safe to run again and from two beats at once: a reply that exists is never made twice.
    """
    now = now or timezone.now()
    created_ids: list[int] = []
    for announcement in announcements_awaiting_outcome(now=now):
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(
                    consultation_id=announcement.consultation_id,
                    channel_id=announcement.channel_id,
                    kind=DeliveryKind.OUTCOME,
                    # One per announcement: the Welsh one gets the outcome in Welsh.
                    language=announcement.language,
                    due_at=now,
                )
                DeliveryEvent.objects.create(
                    delivery=delivery,
                    action=DeliveryEventAction.SCHEDULED,
                    message="the outcome is published: a reply in the announcement's thread",
                )
        except IntegrityError:
            continue  # another scan made it first
        created_ids.append(delivery.pk)
    if created_ids:
        logger.info("Outcome replies scheduled: %s", created_ids)
        transaction.on_commit(lambda: deliveries_enqueue(created_ids))
    return created_ids
