"""Reads for cross-posting: what is due, what was posted where."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext, gettext_noop

from connectors.models import (
    ChannelAccount,
    CollectionState,
    ConsultationChannel,
    Delivery,
    DeliveryEvent,
    DeliveryEventAction,
    DeliveryKind,
    DeliveryStatus,
)
from connectors.registry import connector_class, connector_names
from consultations.models import ConsultationPage
from engagement.record.models import Response
from engagement.record.selectors import public_responses

# A delivery left "sending" this long has lost its task (e.g. the broker lost it): try again.
# The fallback: where the delivery locks can be read, deliveries_abandoned finds a dead
# worker's delivery at once.
STUCK_AFTER = timedelta(minutes=15)
# The first key of the deliveries' session advisory locks (the second is the delivery's id).
DELIVERY_LOCK_SPACE = 7013
# The last event of an attempt under way (or cut short): the worker had not yet recorded
# an outcome. After a retryable outcome the task's own retry is waiting; not abandoned.
_MID_ATTEMPT = (
    DeliveryEventAction.ATTEMPT,
    DeliveryEventAction.POSTED,
    DeliveryEventAction.RECOVERED,
)


@dataclass(frozen=True)
class DeliveredPost:
    network: str
    network_label: str
    handle: str
    url: str
    posted_at: datetime | None


def delivered_posts_for(page) -> list[DeliveredPost]:
    """Where the consultation was announced, for its "how to respond" section (one per channel):
    a translated page's own announcements, else the consultation's."""
    consultation = page.source_consultation
    language = "" if consultation.pk == page.pk else page.locale.language_code
    announcements = Delivery.objects.filter(
        consultation_id=consultation.pk,
        kind=DeliveryKind.ANNOUNCE,
        status=DeliveryStatus.DELIVERED,
    )
    if language and announcements.filter(language=language).exists():
        announcements = announcements.filter(language=language)
    else:
        announcements = announcements.filter(language="")
    deliveries = (
        announcements.select_related("channel")
        .prefetch_related("posts")
        .order_by("channel__network", "channel__handle")
    )
    posts = []
    for delivery in deliveries:
        first = min(delivery.posts.all(), key=lambda post: post.position, default=None)
        if first is None or first.deleted_at is not None:
            continue
        posts.append(
            DeliveredPost(
                network=delivery.channel.network,
                network_label=delivery.channel.get_network_display(),
                handle=delivery.channel.handle,
                url=first.url,
                posted_at=delivery.delivered_at,
            )
        )
    return posts


def deliveries_due(*, now: datetime) -> QuerySet[Delivery]:
    """Deliveries of live consultations whose time has come and that no task is working on
    or waiting to retry: a rate-limited network is not asked again before its reset."""
    return Delivery.objects.filter(
        Q(status=DeliveryStatus.PENDING)
        | Q(status=DeliveryStatus.SENDING, updated_at__lt=now - STUCK_AFTER),
        Q(retry_at__isnull=True) | Q(retry_at__lte=now),
        due_at__lte=now,
        consultation__live=True,
        channel__is_active=True,
    ).order_by("due_at")


def deliveries_abandoned(*, now: datetime) -> list[int]:
    """Deliveries left "sending" by a worker that died mid-attempt, to take over at once.

    A worker sends holding a session advisory lock on the delivery
    (``connectors.services``); PostgreSQL drops it with the dead worker's connection. So a
    delivery still "sending", with no outcome recorded after its attempt and nobody
    holding (or waiting for) its lock, has lost its worker. Where locks cannot be read
    (SQLite in the demo) none are found, and ``deliveries_due``'s STUCK_AFTER stands.
    """
    if connection.vendor != "postgresql":
        return []
    last_action = (
        DeliveryEvent.objects.filter(delivery=OuterRef("pk")).order_by("-pk").values("action")[:1]
    )
    # The rows first, then the locks: a worker that finishes in between only makes its
    # delivery look abandoned, and the task sent for it finds it delivered and stops.
    candidates = list(
        Delivery.objects.filter(
            status=DeliveryStatus.SENDING,
            due_at__lte=now,
            consultation__live=True,
            channel__is_active=True,
        )
        .annotate(last_action=Subquery(last_action))
        .filter(last_action__in=_MID_ATTEMPT)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not candidates:
        return []
    with connection.cursor() as cursor:
        # Two int4 keys show as classid, objid with objsubid 2; waiters count as holders.
        cursor.execute(
            """
            SELECT objid FROM pg_locks
            WHERE locktype = 'advisory' AND classid = %s AND objsubid = 2
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """,
            [DELIVERY_LOCK_SPACE],
        )
        locked = {int(row[0]) for row in cursor.fetchall()}
    return [pk for pk in candidates if pk not in locked]


# --- Collecting replies ------------------------------------------------------------------


def collection_pairs(*, now: datetime) -> list[tuple[int, int]]:
    """(consultation, channel) ids to collect: live consultations that are open or
    closed less than HUB_COLLECT_AFTER_CLOSE_DAYS ago, on their active channels."""
    recently = now - timedelta(days=settings.HUB_COLLECT_AFTER_CLOSE_DAYS)
    return list(
        ConsultationChannel.objects.filter(
            page__live=True,
            page__opens_at__lte=now,
            page__closes_at__gte=recently,
            channel__is_active=True,
        )
        .order_by("page_id", "channel_id")
        .values_list("page_id", "channel_id")
    )


def collection_due(*, now: datetime) -> list[tuple[int, int]]:
    """The pairs whose next poll has come (never polled, or past ``next_poll_at``)."""
    pairs = collection_pairs(now=now)
    waiting = set(
        CollectionState.objects.filter(next_poll_at__gt=now).values_list(
            "consultation_id", "channel_id"
        )
    )
    return [pair for pair in pairs if pair not in waiting]


def sweep_pairs() -> list[tuple[int, int]]:
    """Every (consultation, channel) collected from: deletions are honoured for as long as
    the record keeps anything, not only while the consultation is open."""
    return list(
        CollectionState.objects.filter(channel__is_active=True)
        .order_by("consultation_id", "channel_id")
        .values_list("consultation_id", "channel_id")
    )


@dataclass(frozen=True)
class CollectionGap:
    network: str
    network_label: str
    handle: str
    since: datetime
    reason: str


def collection_gaps_for(page) -> list[CollectionGap]:
    """Where the record of a consultation is incomplete ("collection incomplete since …")."""
    states = (
        CollectionState.objects.filter(consultation_id=page.pk, incomplete_since__isnull=False)
        .select_related("channel")
        .order_by("incomplete_since")
    )
    return [
        CollectionGap(
            network=state.channel.network,
            network_label=state.channel.get_network_display(),
            handle=state.channel.handle,
            since=cast(datetime, state.incomplete_since),  # filtered: never NULL here
            reason=state.incomplete_reason,
        )
        for state in states
    ]


# --- Engagement per delivered post (the analysts' dashboard) --------------------------------


@dataclass(frozen=True)
class DeliveryEngagement:
    network: str
    handle: str
    kind: str
    url: str
    posted_at: object
    #: Replies to the post collected into the record, and those of them now public.
    responses: int
    published: int
    #: The network's own public counts, summed over the thread's parts (by its names).
    metrics: tuple[tuple[str, int], ...] = ()
    metrics_at: datetime | None = None


def metric_label(name: str) -> str:
    """A network's count name in words: "like_count", "likeCount" → "likes"; "replyCount",
    "replies_count" → "replies"; "aggregatedTotalComments" → "comments"."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").lower().split()
    # "totalLikes", "aggregatedTotalComments": the qualifier says nothing to a reader.
    words = [word for word in words if word not in ("total", "aggregated")] or words
    if words and words[-1] == "count":
        words = words[:-1]
    if words and not words[-1].endswith("s"):
        words[-1] = words[-1][:-1] + "ies" if words[-1].endswith("y") else words[-1] + "s"
    label = " ".join(words) or name
    # The counts the networks publish today, in the page's language; a new one stays as named.
    return gettext(label) if label in KNOWN_METRIC_LABELS else label


KNOWN_METRIC_LABELS = frozenset(
    {
        gettext_noop("likes"),
        gettext_noop("replies"),
        gettext_noop("reposts"),
        gettext_noop("retweets"),
        gettext_noop("reblogs"),
        gettext_noop("quotes"),
        gettext_noop("favourites"),
        gettext_noop("bookmarks"),
        gettext_noop("impressions"),
        gettext_noop("views"),
        gettext_noop("comments"),
        gettext_noop("shares"),
        gettext_noop("reactions"),
    }
)


def engagement_per_delivery(*, consultation: ConsultationPage) -> tuple[DeliveryEngagement, ...]:
    """Per delivered post: replies collected (whose thread root is one of its parts), those
    published, and the network's public counts as last read (``connectors.metrics``)."""
    deliveries = (
        Delivery.objects.filter(consultation=consultation, delivered_at__isnull=False)
        .select_related("channel")
        .prefetch_related("posts")
        .order_by("delivered_at", "pk")
    )
    public = public_responses(consultation=consultation)
    result = []
    for delivery in deliveries:
        posts = list(delivery.posts.all())
        parts = [post.external_id for post in posts]
        totals: dict[str, int] = {}
        for post in posts:
            for name, value in (post.public_metrics or {}).items():
                totals[name] = totals.get(name, 0) + int(value)
        read_at = [post.metrics_at for post in posts if post.metrics_at]
        collected = Response.objects.filter(consultation=consultation, root_external_id__in=parts)
        result.append(
            DeliveryEngagement(
                network=delivery.channel.get_network_display(),
                handle=delivery.channel.handle,
                kind=delivery.get_kind_display(),
                url=delivery.first_url,
                posted_at=delivery.delivered_at,
                responses=collected.count() if parts else 0,
                published=public.filter(root_external_id__in=parts).count() if parts else 0,
                metrics=tuple(
                    sorted((metric_label(name), value) for name, value in totals.items())
                ),
                metrics_at=max(read_at) if read_at else None,
            )
        )
    return tuple(result)


def department_mention_handles(department_id: int) -> list[str]:
    """The handles of the department's active channel accounts, as people mention them."""
    handles = []
    for network, handle, base_url in ChannelAccount.objects.filter(
        department_id=department_id, is_active=True
    ).values_list("network", "handle", "base_url"):
        if network in connector_names():
            handles.append(
                connector_class(network).mention_handle(handle=handle, base_url=base_url)
            )
    return handles
