"""Budgets and intervals: how often a consultation is polled, and when collection must stop.

Each network's numbers come from its backend class and ``HUB_CONNECTORS`` OPTIONS
(``connectors.registry.connector_options``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Sum

from connectors.collection.outcomes import StopReason
from connectors.models import CollectionState
from connectors.registry import connector_options, network_label


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


def budget_problem(state: CollectionState, network: str, now: datetime) -> tuple[str, str]:
    """The budget that stops this poll (a StopReason and why), or ``("", "")``."""
    options = connector_options(network)
    label = network_label(network)
    read_budget = options.read_budget
    if options.bills_reads and read_budget is not None and state.posts_read >= read_budget:
        return (
            StopReason.READ_BUDGET,
            f"the {label} read budget of {read_budget} posts for this consultation is used up",
        )
    budget = options.request_budget
    if budget is not None and _requests_in_window(state, now) >= budget:
        return (
            StopReason.RATE_BUDGET,
            f"the {label} request budget of {budget} per {settings.HUB_COLLECT_RATE_WINDOW} s "
            "is used up",
        )
    return "", ""


def mark_incomplete(state: CollectionState, now: datetime, reason: str) -> None:
    # Replies since the last complete poll (or since the consultation opened) may be missing.
    if state.incomplete_since is None:
        state.incomplete_since = state.last_complete_at or min(state.consultation.opens_at, now)
    state.incomplete_reason = reason


def poll_interval(network: str) -> timedelta:
    return timedelta(seconds=connector_options(network).poll_interval)
