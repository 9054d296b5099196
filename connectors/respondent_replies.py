"""The outcome, once, to each person who replied to our posts: optional, off by default.

An officer turns it on per consultation and channel (``ConsultationChannel.
reply_to_respondents``), and only on a network whose rules allow automated replies to
people (``Connector.automated_replies_allowed``; the README gives the rules). Once the
outcome reply is in the channel's announcement thread (``connectors.outcomes``), beat
(``reply_to_respondents``) schedules one reply to each collected top-level reply: a direct
reply to one of our announcement or reminder posts, still public, neither withdrawn,
erased nor hidden. Nested replies, mentions, hashtag posts and web responses get none.

Each is a ``Delivery`` of kind ``respondent_reply``, unique per response (the database
refuses a second), sent by the announcements' own machinery (``connectors.services.
delivery_send``), so a killed worker's reply is found among our replies before anything
is posted again; each send is in the delivery's audit trail in the admin. At most
``HUB_RESPONDENT_REPLY_HOURLY_CAP`` are scheduled per channel an hour: the rest wait for
a later run. Just before sending, the response is read again and the network asked
whether the post is still there: if not, the reply is cancelled, never sent.

The reply links to the summary and never carries the response's reference: a reference
opens ``/response-status/`` (held back and why, too), so it is given only to its author
(the confirmation page and email), never in public.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from connectors.base import Connector
from connectors.exceptions import PermanentError
from connectors.models import (
    ChannelAccount,
    ConsultationChannel,
    Delivery,
    DeliveryEvent,
    DeliveryEventAction,
    DeliveryKind,
    DeliveryPost,
    DeliveryStatus,
)
from connectors.queue import deliveries_enqueue
from connectors.registry import network_allows_respondent_replies
from connectors.types import ExternalPost, PostState
from engagement.record.models import ModerationState, Response

logger = logging.getLogger(__name__)

# Our posts that invite replies: a reply to one of them is a respondent's top-level reply.
INVITING_KINDS = (
    DeliveryKind.ANNOUNCE,
    DeliveryKind.REMINDER_7D,
    DeliveryKind.REMINDER_1D,
    DeliveryKind.CLOSED,
)
_HOUR = timedelta(hours=1)


def respondent_replies_awaiting(*, consultation_id: int, channel: ChannelAccount) -> QuerySet:
    """Top-level replies to our live posts for the consultation on the channel, still
    public as far as the record knows, that have no reply of ours yet; oldest first."""
    our_posts = DeliveryPost.objects.filter(
        delivery__consultation_id=consultation_id,
        delivery__channel_id=channel.pk,
        delivery__kind__in=INVITING_KINDS,
        delivery__status=DeliveryStatus.DELIVERED,
        deleted_at__isnull=True,
    ).values("external_id")
    replied = Delivery.objects.filter(response_id=OuterRef("pk"))
    return (
        Response.objects.filter(
            consultation_id=consultation_id,
            channel=channel.network,
            external_id__isnull=False,
            parent_external_id__in=our_posts,
            withdrawn_at__isnull=True,
            erased_at__isnull=True,
        )
        .exclude(
            moderation_state__in=[
                ModerationState.HIDDEN,
                ModerationState.WITHDRAWN,
                ModerationState.ERASED,
            ]
        )
        .exclude(respondent__external_id=channel.account_id)
        .exclude(Exists(replied))
        .order_by("received_at", "pk")
    )


def _channel_paused(channel: ChannelAccount) -> bool:
    """The network pushed back on one of the channel's replies (a rate limit, an error):
    nothing more until that one has gone, at the pace its retry keeps."""
    return (
        Delivery.objects.filter(
            channel_id=channel.pk,
            kind=DeliveryKind.RESPONDENT_REPLY,
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
        )
        .exclude(last_error="")
        .exists()
    )


def reply_language(*, response: Response, consultation_language: str) -> str:
    """The delivery language a reply to ``response`` is written in: "" for the
    consultation's own, else the response's language where the hub speaks it ("cy")."""
    primary = (response.language or "").split("-")[0].lower()
    spoken = {code for code, _ in settings.LANGUAGES}
    if not primary or primary == consultation_language or primary not in spoken:
        return ""
    return primary


def respondent_replies_schedule(*, now: datetime | None = None) -> list[int]:
    """Create the replies due now (up to each channel's hourly cap) and enqueue them once
    this commits; returns the new deliveries' ids. Safe to run again and at once: a
    response never gets two."""
    now = now or timezone.now()
    oldest = now - timedelta(days=settings.HUB_OUTCOME_REPLY_MAX_AGE)
    links = (
        ConsultationChannel.objects.filter(
            reply_to_respondents=True,
            channel__is_active=True,
            page__live=True,
            page__closes_at__lte=now,
            page__outcome_published_at__lte=now,
            page__outcome_published_at__gte=oldest,
        )
        .select_related("channel", "page__locale")
        .order_by("page_id", "channel_id")
    )
    created_ids: list[int] = []
    for link in links:
        channel = link.channel
        if not network_allows_respondent_replies(channel.network) or _channel_paused(channel):
            continue
        outcome_out = Delivery.objects.filter(
            consultation_id=link.page_id,
            channel_id=channel.pk,
            kind=DeliveryKind.OUTCOME,
            status=DeliveryStatus.DELIVERED,
        ).exists()
        if not outcome_out:
            continue  # the thread hears the outcome first
        sent_lately = Delivery.objects.filter(
            channel_id=channel.pk, kind=DeliveryKind.RESPONDENT_REPLY, created_at__gte=now - _HOUR
        ).count()
        room = settings.HUB_RESPONDENT_REPLY_HOURLY_CAP - sent_lately
        if room <= 0:
            continue
        consultation_language = link.page.locale.language_code
        awaiting = respondent_replies_awaiting(consultation_id=link.page_id, channel=channel)
        for response in awaiting[:room]:
            try:
                with transaction.atomic():
                    delivery = Delivery.objects.create(
                        consultation_id=link.page_id,
                        channel=channel,
                        kind=DeliveryKind.RESPONDENT_REPLY,
                        response=response,
                        language=reply_language(
                            response=response, consultation_language=consultation_language
                        ),
                        due_at=now,
                    )
                    DeliveryEvent.objects.create(
                        delivery=delivery,
                        action=DeliveryEventAction.SCHEDULED,
                        message=f"the outcome, in reply to response {response.reference}",
                    )
            except IntegrityError:
                continue  # another run made it first
            created_ids.append(delivery.pk)
    if created_ids:
        logger.info("Replies to respondents scheduled: %s", created_ids)
        transaction.on_commit(lambda: deliveries_enqueue(created_ids))
    return created_ids


# --- Sending (called by connectors.services.delivery_send) --------------------------------


def respondent_reply_thread(
    *, delivery: Delivery, connector: Connector
) -> tuple[ExternalPost, ExternalPost]:
    """(thread root, the respondent's post) a respondent reply answers.

    Raises PermanentError when the post it answers is not ours to answer any more.
    """
    response = delivery.response
    if response is None or not response.external_id:
        raise PermanentError("the response it answers is gone")
    parent = connector.reply_target(post_id=response.external_id, raw=response.raw_payload or {})
    root = DeliveryPost.objects.filter(
        delivery__channel_id=delivery.channel_id, external_id=response.root_external_id
    ).first()
    if root is None:
        return parent, parent
    return ExternalPost(id=root.external_id, cid=root.cid, url=root.url, text=root.text), parent


def respondent_reply_refusal(*, delivery: Delivery, connector: Connector) -> str:
    """Why the reply must not go now ("" when it may): read just before sending, from the
    record and from the network itself."""
    response = (
        Response.objects.filter(pk=delivery.response_id).first() if delivery.response_id else None
    )
    if response is None or not response.external_id:
        return "the response is gone"
    if response.erased_at is not None or response.moderation_state == ModerationState.ERASED:
        return "the response was erased on request"
    if response.withdrawn_at is not None or response.moderation_state == ModerationState.WITHDRAWN:
        return "the response was withdrawn"
    if response.moderation_state == ModerationState.HIDDEN:
        return "the response was held back by a moderator"
    state = connector.lookup_posts([response.external_id]).get(response.external_id)
    if state != PostState.LIVE:
        return f"the reply is no longer public on {connector.label} ({state or 'not found'})"
    return ""
