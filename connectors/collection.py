"""Writes for collecting citizens' replies into the record, and for honouring deletions.

Exactly once, resumably:

1. A poll of one consultation on one channel walks the connector's routes page
   by page (``Connector.fetch_replies``). Each page is fetched, recorded and its
   cursor saved in ONE transaction, holding the consultation's collection row
   lock: a worker killed mid-poll rolls back the page it was on, and the next
   poll fetches that page again from the cursor of the last commit.
2. The record is idempotent on ``(channel, external_id)``, so a reply reached by
   two routes (a thread and a mention) or fetched twice is stored once.
3. A budget or a limit that stops a poll before it caught up marks the
   collection "incomplete since …" with the reason; catching up clears it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import regex
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from connectors.crypto import CredentialsUnreadable
from connectors.exceptions import ConnectorError, PermanentError, RateLimited
from connectors.models import (
    ChannelAccount,
    CollectionState,
    DeliveryPost,
    DeliveryStatus,
    QuarantinedPayload,
)
from connectors.services import _channel_keep_session, channel_account_connector
from connectors.types import CollectionScope, IncomingReply, PostState, QuarantinedItem
from consultations.models import ConsultationPage
from engagement.moderation.services import response_text_update, responses_withdraw
from engagement.record.models import Response, WithdrawalReason
from engagement.record.services import RespondentInput, ResponseInput, responses_record_batch

logger = logging.getLogger(__name__)


class StopReason:
    CAUGHT_UP = ""
    NOTHING_TO_COLLECT = "nothing_to_collect"
    BUSY = "busy"
    RATE_LIMITED = "rate_limited"
    READ_BUDGET = "read_budget"
    RATE_BUDGET = "rate_budget"
    PAGE_LIMIT = "page_limit"
    ERROR = "error"


@dataclass
class CollectOutcome:
    pages: int = 0
    created: int = 0
    already_recorded: int = 0
    edited: int = 0
    quarantined: int = 0
    stopped_by: str = StopReason.CAUGHT_UP

    @property
    def complete(self) -> bool:
        return self.stopped_by == StopReason.CAUGHT_UP


@dataclass
class SweepOutcome:
    checked: int = 0
    withdrawn: int = 0
    stopped_by: str = ""


# --- Scope ----------------------------------------------------------------------------------


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
    )


def _hashtag_pattern(hashtag: str):
    if not hashtag:
        return None
    return regex.compile(rf"(?<![\w#])#{regex.escape(hashtag)}(?!\w)", regex.IGNORECASE)


def _replies_for_consultation(
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
        if owner == consultation_id:
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


# --- Recording a page ---------------------------------------------------------------------------


def _record_page(
    *,
    consultation: ConsultationPage,
    channel: ChannelAccount,
    scope: CollectionScope,
    replies: Sequence[IncomingReply],
    quarantined: Sequence[QuarantinedItem],
    outcome: CollectOutcome,
) -> None:
    network = channel.network
    belonging = _replies_for_consultation(
        network=network, consultation_id=consultation.pk, scope=scope, replies=replies
    )
    items = [
        ResponseInput(
            channel=network,
            text=reply.text,
            received_at=reply.created_at or timezone.now(),
            respondent=RespondentInput(
                external_id=reply.author_id,
                handle=reply.author_handle,
                display_name=reply.author_display_name,
            ),
            external_id=reply.id,
            parent_external_id=reply.parent_id,
            root_external_id=root,
            url=reply.url,
            language=reply.language,
            raw_payload=dict(reply.raw),
        )
        for reply, root in belonging
    ]
    if items:
        result = responses_record_batch(consultation=consultation, items=items)
        outcome.created += result.created
        outcome.already_recorded += result.already_recorded
    edited = {reply.id: reply for reply, _ in belonging if reply.edited_at is not None}
    if edited:
        for pk, external_id, text, edited_at in Response.objects.filter(
            channel=network, external_id__in=list(edited), withdrawn_at__isnull=True
        ).values_list("pk", "external_id", "text", "edited_at"):
            reply = edited[external_id]
            if text != reply.text and (edited_at is None or reply.edited_at > edited_at):
                if response_text_update(response_id=pk, text=reply.text, edited_at=reply.edited_at):
                    outcome.edited += 1
    if quarantined:
        outcome.quarantined += payloads_quarantine(
            channel=channel, consultation=consultation, items=quarantined
        )


def payloads_quarantine(
    *,
    channel: ChannelAccount,
    consultation: ConsultationPage | None,
    items: Sequence[QuarantinedItem],
) -> int:
    """Keep payloads that failed validation, once each, for an administrator to look at."""
    rows = []
    for item in items:
        payload = json.loads(json.dumps(dict(item.raw), default=str))
        # The same bad post reached by two routes (or every poll) is kept once.
        key = (
            f"{item.external_id}\n{item.error}"
            if item.external_id
            else json.dumps(payload, sort_keys=True)
        )
        fingerprint = hashlib.sha256(key.encode("utf-8")).hexdigest()
        rows.append(
            QuarantinedPayload(
                channel=channel,
                consultation=consultation,
                network=channel.network,
                route=item.route[:40],
                payload=payload,
                error=item.error,
                fingerprint=fingerprint,
            )
        )
        logger.warning(
            "Quarantined a %s payload from %s: %s", channel.network, item.route, item.error
        )
    before = QuarantinedPayload.objects.filter(
        network=channel.network, fingerprint__in=[row.fingerprint for row in rows]
    ).count()
    QuarantinedPayload.objects.bulk_create(rows, ignore_conflicts=True)
    after = QuarantinedPayload.objects.filter(
        network=channel.network, fingerprint__in=[row.fingerprint for row in rows]
    ).count()
    return after - before


# --- Budgets ------------------------------------------------------------------------------------


def _requests_in_window(state: CollectionState, now: datetime) -> int:
    window = timedelta(seconds=settings.HUB_COLLECT_RATE_WINDOW)
    if state.window_started_at is None or state.window_started_at <= now - window:
        state.window_started_at = now
        state.window_requests = 0
    # The budget is the channel's, shared by every consultation collected through it.
    others = (
        CollectionState.objects.filter(
            channel_id=state.channel_id, window_started_at__gt=now - window
        )
        .exclude(pk=state.pk)
        .aggregate(total=Sum("window_requests"))["total"]
        or 0
    )
    return others + state.window_requests


def _budget_problem(state: CollectionState, network: str, now: datetime) -> tuple[str, str]:
    if network == "x" and state.posts_read >= settings.HUB_X_READ_BUDGET:
        return (
            StopReason.READ_BUDGET,
            f"the X read budget of {settings.HUB_X_READ_BUDGET} posts for this consultation "
            "is used up",
        )
    budget = settings.HUB_COLLECT_RATE_BUDGET.get(network)
    if budget is not None and _requests_in_window(state, now) >= budget:
        return (
            StopReason.RATE_BUDGET,
            f"the {network} request budget of {budget} per {settings.HUB_COLLECT_RATE_WINDOW} s "
            "is used up",
        )
    return "", ""


def _mark_incomplete(state: CollectionState, now: datetime, reason: str) -> None:
    # Replies since the last complete poll (or since the consultation opened) may be missing.
    if state.incomplete_since is None:
        state.incomplete_since = state.last_complete_at or min(state.consultation.opens_at, now)
    state.incomplete_reason = reason


def _poll_interval(network: str) -> timedelta:
    return timedelta(seconds=settings.HUB_COLLECT_INTERVAL.get(network, 60))


# --- Polling ------------------------------------------------------------------------------------


def replies_collect(
    *,
    consultation_id: int,
    channel_id: int,
    since: datetime | None = None,
    max_pages: int | None = None,
    on_page: Callable[[CollectOutcome], None] | None = None,
) -> CollectOutcome:
    """Collect the replies to one consultation on one channel, page by page, until caught up.

    ``since`` makes it a backfill: every route is walked again from the start and
    replies older than ``since`` are left out. Stops early (and says why in the
    outcome and on the collection state) on a rate limit, a used-up budget, an
    error, or after ``max_pages`` (default ``HUB_COLLECT_PAGES_PER_POLL``).
    """
    consultation = ConsultationPage.objects.get(pk=consultation_id)
    channel = ChannelAccount.objects.get(pk=channel_id)
    outcome = CollectOutcome()
    state, _ = CollectionState.objects.get_or_create(consultation=consultation, channel=channel)
    scope = collection_scope(consultation=consultation, channel=channel, since=since)
    if not scope.root_ids and not scope.hashtag:
        outcome.stopped_by = StopReason.NOTHING_TO_COLLECT
        return outcome
    try:
        connector = channel_account_connector(channel=channel)
    except (PermanentError, CredentialsUnreadable) as error:
        _poll_failed(state.pk, str(error))
        outcome.stopped_by = StopReason.ERROR
        return outcome
    limit = max_pages or settings.HUB_COLLECT_PAGES_PER_POLL
    fresh_cycle = since is not None
    try:
        while True:
            if outcome.pages >= limit:
                _poll_stopped(
                    state.pk,
                    StopReason.PAGE_LIMIT,
                    f"more replies were waiting after {limit} pages",
                    next_poll_in=timedelta(seconds=1),
                )
                outcome.stopped_by = StopReason.PAGE_LIMIT
                break
            more, stop = _collect_one_page(
                state_pk=state.pk,
                consultation=consultation,
                channel=channel,
                connector=connector,
                scope=scope,
                fresh_cycle=fresh_cycle,
                outcome=outcome,
            )
            fresh_cycle = False
            if stop:
                outcome.stopped_by = stop
                break
            if on_page is not None:
                on_page(outcome)
            if not more:
                break
    finally:
        _channel_keep_session(channel, connector)
    return outcome


def _collect_one_page(
    *,
    state_pk: int,
    consultation: ConsultationPage,
    channel: ChannelAccount,
    connector,
    scope: CollectionScope,
    fresh_cycle: bool,
    outcome: CollectOutcome,
) -> tuple[bool, str]:
    """Fetch, record and advance the cursor of one page, in one transaction."""
    network = channel.network
    with transaction.atomic():
        state = (
            CollectionState.objects.select_for_update(skip_locked=True).filter(pk=state_pk).first()
        )
        if state is None:
            return False, StopReason.BUSY  # another worker is polling this consultation now
        now = timezone.now()
        stop, reason = _budget_problem(state, network, now)
        if stop:
            _mark_incomplete(state, now, reason)
            window_end = (state.window_started_at or now) + timedelta(
                seconds=settings.HUB_COLLECT_RATE_WINDOW
            )
            state.next_poll_at = (
                window_end if stop == StopReason.RATE_BUDGET else now + _poll_interval(network)
            )
            state.save()
            return False, stop
        state.window_requests += 1
        state.last_polled_at = now
        try:
            result = connector.fetch_replies(scope, cursor=None if fresh_cycle else state.cursor)
        except RateLimited as error:
            state.rate_limited_until = error.reset_at
            state.next_poll_at = error.reset_at
            state.last_error = str(error)
            _mark_incomplete(state, now, f"{channel.get_network_display()} rate limit")
            state.save()
            return False, StopReason.RATE_LIMITED
        except ConnectorError as error:
            state.last_error = str(error)
            state.next_poll_at = now + _poll_interval(network)
            _mark_incomplete(state, now, f"{channel.get_network_display()} error: {error}")
            state.save()
            logger.warning("Collecting %s on %s failed: %s", consultation.pk, channel, error)
            return False, StopReason.ERROR
        _record_page(
            consultation=consultation,
            channel=channel,
            scope=scope,
            replies=result.replies,
            quarantined=result.quarantined,
            outcome=outcome,
        )
        outcome.pages += 1
        state.cursor = result.cursor or ""
        state.posts_read += result.posts_read
        state.collected = Response.objects.filter(
            consultation_id=consultation.pk, channel=network
        ).count()
        state.last_error = ""
        state.rate_limited_until = None
        if not result.has_more:
            state.last_complete_at = now
            state.incomplete_since = None
            state.incomplete_reason = ""
            state.next_poll_at = now + _poll_interval(network)
        state.save()
        return result.has_more, ""


def _poll_stopped(state_pk: int, stop: str, reason: str, *, next_poll_in: timedelta) -> None:
    with transaction.atomic():
        state = CollectionState.objects.select_for_update().get(pk=state_pk)
        now = timezone.now()
        _mark_incomplete(state, now, reason)
        state.next_poll_at = now + next_poll_in
        state.save()


def _poll_failed(state_pk: int, error: str) -> None:
    _poll_stopped(state_pk, StopReason.ERROR, f"cannot connect: {error}", next_poll_in=timedelta(0))
    CollectionState.objects.filter(pk=state_pk).update(last_error=error)


def collection_claim(*, consultation_id: int, channel_id: int, now: datetime) -> bool:
    """Beat's claim on a due poll, so the next tick does not enqueue it again meanwhile."""
    channel = ChannelAccount.objects.get(pk=channel_id)
    with transaction.atomic():
        state, _ = CollectionState.objects.get_or_create(
            consultation_id=consultation_id, channel_id=channel_id
        )
        state = CollectionState.objects.select_for_update().get(pk=state.pk)
        if state.next_poll_at is not None and state.next_poll_at > now:
            return False
        state.next_poll_at = now + _poll_interval(channel.network)
        state.save(update_fields=["next_poll_at", "updated_at"])
    return True


# --- Deletions --------------------------------------------------------------------------------


def responses_sweep(
    *, consultation_id: int, channel_id: int, batch_size: int | None = None
) -> SweepOutcome:
    """Re-check a batch of collected posts at the source; withdraw the deleted and the private.

    Walks the record by primary key from where the last sweep stopped and wraps
    around, so every post is re-checked in turn however large the record.
    """
    channel = ChannelAccount.objects.get(pk=channel_id)
    state, _ = CollectionState.objects.get_or_create(
        consultation_id=consultation_id, channel=channel
    )
    size = batch_size or settings.HUB_SWEEP_BATCH
    outcome = SweepOutcome()

    def batch(after: int) -> list[tuple[int, str]]:
        return list(
            Response.objects.filter(
                consultation_id=consultation_id,
                channel=channel.network,
                withdrawn_at__isnull=True,
                external_id__isnull=False,
                pk__gt=after,
            )
            .order_by("pk")
            .values_list("pk", "external_id")[:size]
        )

    rows = batch(state.sweep_after_id)
    if not rows and state.sweep_after_id:
        rows = batch(0)
    if not rows:
        return outcome
    connector = channel_account_connector(channel=channel)
    try:
        states = connector.lookup_posts([external_id for _, external_id in rows])
    except RateLimited as error:
        CollectionState.objects.filter(pk=state.pk).update(last_error=str(error))
        outcome.stopped_by = StopReason.RATE_LIMITED
        return outcome
    finally:
        _channel_keep_session(channel, connector)
    outcome.checked = len(rows)
    by_reason = {
        WithdrawalReason.DELETED_AT_SOURCE: [
            external_id for external_id, found in states.items() if found == PostState.DELETED
        ],
        WithdrawalReason.PRIVATE_AT_SOURCE: [
            external_id for external_id, found in states.items() if found == PostState.PRIVATE
        ],
    }
    with transaction.atomic():
        for reason, external_ids in by_reason.items():
            if external_ids:
                outcome.withdrawn += responses_withdraw(
                    channel=channel.network, external_ids=external_ids, reason=reason
                )
        CollectionState.objects.filter(pk=state.pk).update(
            sweep_after_id=rows[-1][0],
            last_swept_at=timezone.now(),
            # X bills lookups as reads too; they count, but never stop a sweep (deletions must
            # be honoured whatever the budget).
            posts_read=F("posts_read") + (len(rows) if channel.network == "x" else 0),
        )
    return outcome
