"""What to ask a network for, for one consultation on one channel, and which replies belong."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import regex
from django.conf import settings

from connectors.models import ChannelAccount, DeliveryPost, DeliveryStatus
from connectors.types import CollectionScope, IncomingReply
from consultations.models import ConsultationPage
from engagement.record.models import Response


def collection_scope(
    *, consultation: ConsultationPage, channel: ChannelAccount, since: datetime | None = None
) -> CollectionScope:
    """Every part we posted for the consultation on the channel, and its hashtag.

    Without an explicit ``since`` (a backfill), nothing older than the consultation
    (its opening or our first post, less an hour) is asked for: a first poll does
    not walk the account's whole history of mentions, which X would bill.
    """
    if since is None:
        first_post = (
            DeliveryPost.objects.filter(
                delivery__consultation_id=consultation.pk, delivery__channel_id=channel.pk
            )
            .order_by("posted_at")
            .values_list("posted_at", flat=True)
            .first()
        )
        since = min(filter(None, [consultation.opens_at, first_post])) - timedelta(hours=1)
    root_ids = tuple(
        DeliveryPost.objects.filter(
            delivery__consultation_id=consultation.pk,
            delivery__channel_id=channel.pk,
            delivery__status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.SENDING],
            deleted_at__isnull=True,
        )
        .order_by("delivery__created_at", "position")
        .values_list("external_id", flat=True)
    )
    return CollectionScope(
        root_ids=root_ids,
        hashtag=(consultation.hashtag or "").lstrip("#"),
        page_size=settings.HUB_COLLECT_PAGE_SIZE,
        since=since,
        # Detached replies are walked again on the deletion sweep's schedule, not every poll.
        revisit_interval=timedelta(seconds=settings.HUB_SWEEP_INTERVAL),
    )


def detached_replies(
    *, consultation_id: int, network: str, root_ids: Sequence[str]
) -> tuple[str, ...]:
    """Replies in our threads whose parent is neither our post nor a live response.

    Their parent was deleted (or withdrawn for it), or never reached us: a network
    that drops a deleted reply's subtree from threads shows what is under them only
    to a walk that starts from them.
    """
    live = Response.objects.filter(
        consultation_id=consultation_id,
        channel=network,
        withdrawn_at__isnull=True,
        external_id__isnull=False,
    )
    return tuple(
        external_id
        for external_id in live.filter(root_external_id__in=root_ids)
        .exclude(parent_external_id="")
        .exclude(parent_external_id__in=root_ids)
        .exclude(parent_external_id__in=live.values("external_id"))
        .order_by("pk")
        .values_list("external_id", flat=True)
        if external_id is not None
    )


def _hashtag_pattern(hashtag: str):
    if not hashtag:
        return None
    return regex.compile(rf"(?<![\w#])#{regex.escape(hashtag)}(?!\w)", regex.IGNORECASE)


def replies_for_consultation(
    *, network: str, consultation_id: int, scope: CollectionScope, replies: Sequence[IncomingReply]
) -> list[tuple[IncomingReply, str]]:
    """The replies that answer this consultation, each with its thread root.

    A reply belongs when its thread root is one of our posts, when it answers a
    response already in this consultation's record (Mastodon does not name a
    thread's root), or when it carries the consultation's hashtag.
    """
    unique: dict[str, IncomingReply] = {}
    for reply in replies:
        unique.setdefault(reply.id, reply)
    roots: dict[str, str] = {root: root for root in scope.root_ids}
    parents = {reply.parent_id for reply in unique.values() if reply.parent_id} - set(roots)
    for external_id, root, owner in Response.objects.filter(
        channel=network, external_id__in=parents
    ).values_list("external_id", "root_external_id", "consultation_id"):
        if owner == consultation_id and external_id is not None:
            roots[external_id] = root or external_id
    hashtag = _hashtag_pattern(scope.hashtag)
    placed: dict[str, str] = {}
    pending = list(unique.values())
    while pending:
        left = []
        for reply in pending:
            if reply.root_id in scope.root_ids:
                root = reply.root_id
            elif reply.parent_id in roots:
                root = roots[reply.parent_id]
            else:
                left.append(reply)
                continue
            placed[reply.id] = root
            roots[reply.id] = root
        if len(left) == len(pending):
            break
        pending = left
    for reply in pending:
        if hashtag is not None and hashtag.search(reply.text):
            placed[reply.id] = reply.root_id
    return [(reply, placed[reply.id]) for reply in unique.values() if reply.id in placed]
