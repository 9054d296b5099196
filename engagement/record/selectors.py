"""Reads of the record: what the public may see, and what became of every response."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from engagement.record.models import (
    ModerationReason,
    ModerationState,
    Response,
    has_publishable_content,
)

if TYPE_CHECKING:
    from consultations.models import ConsultationPage


# --- The public record -------------------------------------------------------------------


def public_responses(*, consultation: ConsultationPage | None = None) -> QuerySet[Response]:
    """The responses the public may see (``ResponseQuerySet.public``), newest first."""
    responses = Response.objects.public()
    if consultation is not None:
        responses = responses.filter(consultation=consultation)
    return responses.select_related("respondent").order_by("-received_at", "-pk")


# An approved response with nothing left to publish (e.g. empty once redacted) is
# counted as held back under this key, so the accountability figures still add up.
NOTHING_TO_PUBLISH = "nothing_to_publish"
# A hidden response recorded without one of the fixed reasons (legacy rows).
REASON_NOT_RECORDED = "not_recorded"
HIDDEN_REASON_LABELS: dict[str, str] = {
    **{value: str(label) for value, label in ModerationReason.choices},
    NOTHING_TO_PUBLISH: "Nothing left to publish",
    REASON_NOT_RECORDED: "Reason not recorded",
}


@dataclass(frozen=True)
class AccountabilityCounts:
    """What happened to every response collected: ``collected`` is always
    ``published + pending + hidden + withdrawn + erased``, and ``hidden`` is the sum of
    ``hidden_by_reason`` (keys: ``HIDDEN_REASON_LABELS``; every ModerationReason is
    present, the two extra keys only when non-zero)."""

    collected: int
    published: int
    pending: int
    withdrawn: int
    hidden: int
    # Erased on their authors' request: tombstones, counted apart from withdrawals.
    erased: int = 0
    hidden_by_reason: dict[str, int] = field(default_factory=dict)

    def hidden_reasons(self) -> list[tuple[str, str, int]]:
        """(key, label, count) for each reason with at least one response, for display."""
        return [
            (key, HIDDEN_REASON_LABELS.get(key, key), count)
            for key, count in self.hidden_by_reason.items()
            if count
        ]


def _accountability_aggregates() -> dict[str, Count]:
    """The counts behind ``AccountabilityCounts``, as aggregates over responses."""
    erased = Q(erased_at__isnull=False) | Q(moderation_state=ModerationState.ERASED)
    withdrawn = ~erased & (
        Q(withdrawn_at__isnull=False) | Q(moderation_state=ModerationState.WITHDRAWN)
    )
    live = ~erased & ~withdrawn
    hidden = live & Q(moderation_state=ModerationState.HIDDEN)
    approved = live & Q(moderation_state=ModerationState.APPROVED)
    # Unknown states (none today) count as pending: not yet decided, not public.
    pending = live & ~Q(moderation_state__in=[ModerationState.HIDDEN, ModerationState.APPROVED])
    return {
        "collected": Count("pk"),
        "withdrawn": Count("pk", filter=withdrawn),
        "erased": Count("pk", filter=erased),
        "pending": Count("pk", filter=pending),
        "approved": Count("pk", filter=approved),
        "published": Count("pk", filter=approved & has_publishable_content()),
        **{
            f"hidden_{value}": Count("pk", filter=hidden & Q(moderation_reason=value))
            for value in ModerationReason.values
        },
        "hidden_without_reason": Count(
            "pk", filter=hidden & ~Q(moderation_reason__in=ModerationReason.values)
        ),
    }


def _accountability_from(figures: Mapping[str, Any]) -> AccountabilityCounts:
    by_reason = {value: figures[f"hidden_{value}"] for value in ModerationReason.values}
    if figures["hidden_without_reason"]:
        by_reason[REASON_NOT_RECORDED] = figures["hidden_without_reason"]
    nothing_to_publish = figures["approved"] - figures["published"]
    if nothing_to_publish:
        by_reason[NOTHING_TO_PUBLISH] = nothing_to_publish
    return AccountabilityCounts(
        collected=figures["collected"],
        published=figures["published"],
        pending=figures["pending"],
        withdrawn=figures["withdrawn"],
        erased=figures["erased"],
        hidden=sum(by_reason.values()),
        hidden_by_reason=by_reason,
    )


def accountability_counts(*, consultation: ConsultationPage) -> AccountabilityCounts:
    """How many responses were collected for a consultation and what became of each."""
    # A response on an unpublished page is still counted as published here: the counts
    # describe moderation, and the page they are shown on is the consultation's own.
    figures = Response.objects.filter(consultation=consultation).aggregate(
        **_accountability_aggregates()
    )
    return _accountability_from(figures)


@dataclass(frozen=True)
class WeeklyAccountability:
    """The responses received in one week (Monday to Sunday, in the hub's time zone), and
    what has become of them since."""

    week_start: date
    counts: AccountabilityCounts


def accountability_by_week(*, consultation: ConsultationPage) -> list[WeeklyAccountability]:
    """``accountability_counts`` split by the week each response was received, from the
    first week with a response to the last, quiet weeks included (as zeros). Every
    response is in exactly one week, so each column adds up to the totals.

    Read live, like the totals beside it, rather than stored with the summary's figures:
    one grouped query on the (consultation, received_at) index, always in step with them.
    """
    rows = (
        Response.objects.filter(consultation=consultation)
        .annotate(week=TruncWeek("received_at", tzinfo=timezone.get_current_timezone()))
        .values("week")
        .annotate(**_accountability_aggregates())
        .order_by("week")
    )
    by_week = {_as_date(row["week"]): _accountability_from(row) for row in rows}
    if not by_week:
        return []
    weeks, week, last = [], min(by_week), max(by_week)
    while week <= last:
        weeks.append(
            WeeklyAccountability(week, by_week.get(week) or _accountability_from(defaultdict(int)))
        )
        week += timedelta(days=7)
    return weeks


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
