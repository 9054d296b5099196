"""Changes a network pushes to the hub (its webhook), turned into an immediate collection.

Nothing in a delivery is trusted before its signature is checked with the secret of a
channel it names; a delivery already acted on (the same key) or older than
``HUB_WEBHOOK_MAX_AGE`` is refused, so a replay does nothing. What a delivery is about
is only a reason to collect now: the replies themselves are read from the network
through the connector, as every poll reads them, and polling stays the safety net.
A comment the delivery says was deleted or hidden is withdrawn from the record at once,
as the deletion sweep would withdraw it later (the sweep stays the safety net for those).

A comment that mentions the account on someone else's post is the exception: the network
lists such comments nowhere, so the delivery is the only word of it. Its id is kept in the
collection cursor of every consultation collected on the channel (the connector's
``MENTIONED_ROUTE`` reads it there, and the consultation's hashtag decides where it
belongs); a change too malformed to name its comment is quarantined with the reason.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.base import _cursor_load
from connectors.collection.recording import payloads_quarantine
from connectors.crypto import CredentialsUnreadable
from connectors.models import ChannelAccount, CollectionState, DeliveryPost, WebhookReceipt
from connectors.registry import connector_class
from connectors.selectors import collection_pairs
from connectors.types import MENTIONED_ROUTE, PostState
from consultations.models import ConsultationPage
from engagement.moderation.services import responses_withdraw
from engagement.record.models import Response, WithdrawalReason

logger = logging.getLogger(__name__)

# What the source says of a comment, and the reason its response is withdrawn: as the sweep.
_WITHDRAWAL_REASONS = {
    PostState.DELETED: WithdrawalReason.DELETED_AT_SOURCE,
    PostState.PRIVATE: WithdrawalReason.PRIVATE_AT_SOURCE,
}


class WebhookRefused(Exception):
    """The request is not a delivery to act on; ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class WebhookOutcome:
    accepted: int = 0
    replayed: int = 0
    too_old: int = 0
    #: Comments that mention the account, kept for the consultations' collections to read.
    mentioned: int = 0
    #: Responses withdrawn because the delivery says their comment was deleted or hidden.
    withdrawn: int = 0
    quarantined: int = 0
    #: (consultation id, channel id) whose collection was started.
    collections: list[tuple[int, int]] = field(default_factory=list)


def _backend(network: str):
    if network not in settings.HUB_CONNECTORS:
        raise WebhookRefused(404, f"unknown network {network!r}")
    backend = connector_class(network)
    if not backend.receives_webhooks:
        raise WebhookRefused(404, f"{backend.label} sends no webhooks")
    return backend


def _secrets(channel: ChannelAccount) -> dict[str, str]:
    try:
        return channel.credentials
    except CredentialsUnreadable:
        logger.warning("Webhook: the credentials of channel %s cannot be decrypted", channel.pk)
        return {}


def webhook_challenge_answer(*, network: str, query: Mapping[str, str]) -> str:
    """The body that answers the network's subscription check, when a channel's verify
    token matches; WebhookRefused(403) otherwise."""
    backend = _backend(network)
    tokens = [
        backend.webhook_verify_token(_secrets(channel))
        for channel in ChannelAccount.objects.filter(network=network, is_active=True)
    ]
    answer = backend.webhook_challenge(query=query, verify_tokens=[t for t in tokens if t])
    if not answer:
        raise WebhookRefused(403, "the subscription check does not match any channel")
    return answer


def webhook_receive(
    *, network: str, headers: Mapping[str, str], body: bytes, now: datetime | None = None
) -> WebhookOutcome:
    """Check a pushed delivery, refuse replays, and start a collection of each of our posts
    it names. Raises WebhookRefused (400 unreadable, 403 not signed by a channel it names)."""
    backend = _backend(network)
    now = now or timezone.now()
    try:
        events = backend.webhook_events(body)
    except ValueError as error:
        raise WebhookRefused(400, f"unreadable delivery: {error}") from None
    accounts = {event.account_id for event in events}
    signed_by = [
        channel
        for channel in ChannelAccount.objects.filter(
            network=network, account_id__in=accounts, is_active=True
        )
        if backend.webhook_signature_valid(headers=headers, body=body, secrets=_secrets(channel))
    ]
    if not signed_by:
        raise WebhookRefused(403, "the signature does not match any channel the delivery names")
    max_age = timedelta(seconds=settings.HUB_WEBHOOK_MAX_AGE)
    outcome = WebhookOutcome()
    pairs: set[tuple[int, int]] = set()
    with transaction.atomic():
        WebhookReceipt.objects.filter(network=network, received_at__lt=now - 2 * max_age).delete()
        for event in events:
            channels = [channel for channel in signed_by if channel.account_id == event.account_id]
            if not channels:
                continue  # another account's change, signed with another secret
            if abs(now - event.occurred_at) > max_age:
                outcome.too_old += 1
                continue
            try:
                with transaction.atomic():
                    WebhookReceipt.objects.create(network=network, key=event.key[:255])
            except IntegrityError:
                outcome.replayed += 1
                continue
            outcome.accepted += 1
            if event.quarantined:
                outcome.quarantined += payloads_quarantine(
                    channel=channels[0], consultation=None, items=event.quarantined
                )
            if event.withdrawn_comments:
                outcome.withdrawn += _responses_withdraw_now(
                    network=network, channels=channels, withdrawn=event.withdrawn_comments
                )
            if event.mentioned_comments:
                outcome.mentioned += len(event.mentioned_comments)
                pairs.update(
                    _mentions_keep(channels=channels, mentioned=event.mentioned_comments, now=now)
                )
            if event.post_ids:
                pairs.update(
                    DeliveryPost.objects.filter(
                        delivery__channel__in=channels,
                        external_id__in=event.post_ids,
                        deleted_at__isnull=True,
                    ).values_list("delivery__consultation_id", "delivery__channel_id")
                )
        for consultation_id, channel_id in sorted(pairs):
            # Due now for beat too, should the enqueued collection be lost.
            CollectionState.objects.get_or_create(
                consultation_id=consultation_id, channel_id=channel_id
            )
            CollectionState.objects.filter(
                consultation_id=consultation_id, channel_id=channel_id
            ).update(next_poll_at=now)
            transaction.on_commit(partial(_collect_now, consultation_id, channel_id))
    outcome.collections = sorted(pairs)
    if outcome.too_old and not outcome.accepted and not outcome.replayed:
        raise WebhookRefused(403, "the delivery is too old to be trusted")
    # A replay is acknowledged (so the network stops sending it) but acted on only once.
    return outcome


def _responses_withdraw_now(
    *, network: str, channels: Sequence[ChannelAccount], withdrawn: Sequence[tuple[str, str]]
) -> int:
    """Withdraw the collected responses the delivery says were deleted or hidden at the
    source, as the deletion sweep would on its next turn (the same tombstone and automatic
    moderation decision). Only responses to consultations announced on the signing channels
    are touched, so one Page's deliveries cannot withdraw another's comments. Idempotent: a
    response already withdrawn is left as it is."""
    announced_on = DeliveryPost.objects.filter(delivery__channel__in=channels).values(
        "delivery__consultation_id"
    )
    withdrawn_count = 0
    for source_state, reason in _WITHDRAWAL_REASONS.items():
        comment_ids = [comment_id for comment_id, found in withdrawn if found == source_state]
        if not comment_ids:
            continue
        collected = Response.objects.filter(
            channel=network,
            external_id__in=comment_ids,
            consultation_id__in=announced_on,
            withdrawn_at__isnull=True,
        ).values_list("external_id", flat=True)
        external_ids = [external_id for external_id in collected if external_id]
        if external_ids:
            withdrawn_count += responses_withdraw(
                channel=network, external_ids=external_ids, reason=reason
            )
    return withdrawn_count


def _mentions_keep(
    *, channels: Sequence[ChannelAccount], mentioned: Sequence[tuple[str, str]], now: datetime
) -> set[tuple[int, int]]:
    """Keep the mentioning comments in the cursor of each consultation being collected on
    the channels that has a hashtag (the only way such a comment belongs); the pairs to
    collect now. A consultation no longer collected keeps nothing, so nothing piles up."""
    channel_ids = {channel.pk for channel in channels}
    collected = [pair for pair in collection_pairs(now=now) if pair[1] in channel_ids]
    hashtagged = set(
        ConsultationPage.objects.filter(pk__in={consultation for consultation, _ in collected})
        .exclude(hashtag="")
        .values_list("pk", flat=True)
    )
    pairs = {pair for pair in collected if pair[0] in hashtagged}
    for consultation_id, channel_id in sorted(pairs):
        state, _ = CollectionState.objects.get_or_create(
            consultation_id=consultation_id, channel_id=channel_id
        )
        # A poll saves its cursor with each page's rows: wait for it, then add to what it saved.
        state = CollectionState.objects.select_for_update().get(pk=state.pk)
        state.cursor = mentions_remember(state.cursor, mentioned)
        state.save(update_fields=["cursor", "updated_at"])
    return pairs


def mentions_remember(cursor: str, mentioned: Sequence[tuple[str, str]]) -> str:
    """``cursor`` with the mentioning comments (comment id, post id) added, each once, to
    those its ``MENTIONED_ROUTE`` is still to read."""
    state = _cursor_load(cursor)
    route_state = state["routes"].get(MENTIONED_ROUTE)
    if not isinstance(route_state, dict):
        route_state = {}
    pending = [
        [str(item[0]), str(item[1])]
        for item in route_state.get("pending") or ()
        if isinstance(item, list | tuple) and len(item) == 2
    ]
    known = {comment_id for comment_id, _ in pending}
    for comment_id, post_id in mentioned:
        if comment_id not in known:
            pending.append([comment_id, post_id])
            known.add(comment_id)
    state["routes"][MENTIONED_ROUTE] = {**route_state, "pending": pending}
    return json.dumps(state, sort_keys=True)


def _collect_now(consultation_id: int, channel_id: int) -> None:
    # why: connectors.tasks calls this package's services; the task module imports them.
    from connectors.tasks import collect_replies

    collect_replies.delay(consultation_id, channel_id)
