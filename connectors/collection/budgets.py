"""Budgets and intervals: how often a consultation is polled, and when collection must stop.

Each network's numbers come from its backend class and ``HUB_CONNECTORS`` OPTIONS
(``connectors.registry.connector_options``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from connectors.collection.outcomes import StopReason
from connectors.models import CollectionState
from connectors.registry import connector_class, connector_options, network_label


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


def quota_day(network: str, now: datetime) -> date:
    """The network's quota day at ``now`` (it resets at midnight in its own time zone)."""
    return now.astimezone(ZoneInfo(connector_class(network).quota_reset_timezone)).date()


def quota_reset_at(network: str, now: datetime) -> datetime:
    zone = ZoneInfo(connector_class(network).quota_reset_timezone)
    midnight = datetime.combine(quota_day(network, now) + timedelta(days=1), datetime.min.time())
    return midnight.replace(tzinfo=zone)


def _quota_used_today(state: CollectionState, network: str, now: datetime) -> int:
    today = quota_day(network, now)
    if state.quota_day != today:
        state.quota_day = today
        state.quota_units_used = 0
    # The quota is the channel's (its project's), shared by every consultation collected through it.
    others = (
        CollectionState.objects.filter(channel_id=state.channel_id, quota_day=today)
        .exclude(pk=state.pk)
        .aggregate(total=Sum("quota_units_used"))["total"]
        or 0
    )
    return others + state.quota_units_used


def quota_spend(state: CollectionState, network: str, now: datetime, units: int) -> None:
    """Count ``units`` of the network's daily quota against the channel (no-op without one)."""
    if connector_options(network).quota_units is None:
        return
    _quota_used_today(state, network, now)
    state.quota_units_used += units


def quota_left(*, channel_id: int, network: str, now: datetime) -> int | None:
    """Units of the network's daily quota the channel has left today (None: no quota)."""
    quota = connector_options(network).quota_units
    if quota is None:
        return None
    used = (
        CollectionState.objects.filter(
            channel_id=channel_id, quota_day=quota_day(network, now)
        ).aggregate(total=Sum("quota_units_used"))["total"]
        or 0
    )
    return max(0, quota - used)


def quota_charge(
    *, consultation_id: int, channel_id: int, network: str, now: datetime, units: int
) -> None:
    """Count ``units`` spent outside a poll (the public counts, the deletion sweep) against
    the channel's daily quota, on the consultation's collection row."""
    if units <= 0 or connector_options(network).quota_units is None:
        return
    with transaction.atomic():
        state, _ = CollectionState.objects.get_or_create(
            consultation_id=consultation_id, channel_id=channel_id
        )
        # A poll holds this row for one page at a time: wait for it, then add to what it saved.
        state = CollectionState.objects.select_for_update().get(pk=state.pk)
        quota_spend(state, network, now, units)
        state.save(update_fields=["quota_day", "quota_units_used", "updated_at"])


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
    quota = options.quota_units
    if quota is not None and _quota_used_today(state, network, now) >= quota:
        return (
            StopReason.QUOTA,
            f"quota: the {label} quota of {quota:,} units a day for this channel is used up",
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
