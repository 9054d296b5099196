"""A poll of one consultation on one channel, page by page, and beat's claim on a due poll."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connectors.base import cursor_restart
from connectors.collection.budgets import (
    budget_problem,
    mark_incomplete,
    poll_interval,
    quota_reset_at,
    quota_spend,
)
from connectors.collection.outcomes import CollectOutcome, StopReason
from connectors.collection.recording import page_record
from connectors.collection.scope import collection_scope, detached_replies
from connectors.crypto import CredentialsUnreadable
from connectors.exceptions import ConnectorError, PermanentError, RateLimited
from connectors.models import ChannelAccount, CollectionState
from connectors.services import _channel_keep_session, channel_account_connector
from connectors.types import CollectionScope
from consultations.models import ConsultationPage
from engagement.record.models import Response

logger = logging.getLogger(__name__)


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
    replies older than ``since`` are left out; comments a webhook named that are still
    waiting to be read are carried over and read once, as on a poll. Stops early (and says why in the
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
        connector = channel_account_connector(channel=channel, consultation=consultation)
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
            if connector.walks_detached_replies:
                # Fresh each page: replies a route just recorded may be the ones a later
                # route of this poll has to walk from.
                scope = replace(
                    scope,
                    detached_ids=detached_replies(
                        consultation_id=consultation.pk,
                        network=channel.network,
                        root_ids=scope.root_ids,
                    ),
                )
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
        stop, reason = budget_problem(state, network, now)
        if stop:
            mark_incomplete(state, now, reason)
            window_end = (state.window_started_at or now) + timedelta(
                seconds=settings.HUB_COLLECT_RATE_WINDOW
            )
            state.next_poll_at = (
                window_end if stop == StopReason.RATE_BUDGET else now + poll_interval(network)
            )
            if stop == StopReason.QUOTA:
                state.next_poll_at = quota_reset_at(network, now)
            state.save()
            return False, stop
        state.window_requests += 1
        quota_spend(state, network, now, 1)  # a list request costs one unit
        state.last_polled_at = now
        try:
            result = connector.fetch_replies(
                scope, cursor=cursor_restart(state.cursor) if fresh_cycle else state.cursor
            )
        except RateLimited as error:
            state.rate_limited_until = error.reset_at
            state.next_poll_at = error.reset_at
            state.last_error = str(error)
            mark_incomplete(state, now, f"{channel.get_network_display()} rate limit")
            state.save()
            return False, StopReason.RATE_LIMITED
        except ConnectorError as error:
            state.last_error = str(error)
            state.next_poll_at = now + poll_interval(network)
            mark_incomplete(state, now, f"{channel.get_network_display()} error: {error}")
            state.save()
            logger.warning("Collecting %s on %s failed: %s", consultation.pk, channel, error)
            return False, StopReason.ERROR
        page_record(
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
        if not result.has_more and result.gaps:
            mark_incomplete(state, now, "; ".join(result.gaps))
            state.next_poll_at = now + poll_interval(network)
        elif not result.has_more:
            state.last_complete_at = now
            state.incomplete_since = None
            state.incomplete_reason = ""
            state.next_poll_at = now + poll_interval(network)
        state.save()
        return result.has_more, ""


def _poll_stopped(state_pk: int, stop: str, reason: str, *, next_poll_in: timedelta) -> None:
    with transaction.atomic():
        state = CollectionState.objects.select_for_update().get(pk=state_pk)
        now = timezone.now()
        mark_incomplete(state, now, reason)
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
        state.next_poll_at = now + poll_interval(channel.network)
        state.save(update_fields=["next_poll_at", "updated_at"])
    return True
