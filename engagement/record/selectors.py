"""Reads of the record: what the public may see, and what became of every response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

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


def accountability_counts(*, consultation: ConsultationPage) -> AccountabilityCounts:
    """How many responses were collected for a consultation and what became of each."""
    responses = Response.objects.filter(consultation=consultation)
    erased = Q(erased_at__isnull=False) | Q(moderation_state=ModerationState.ERASED)
    withdrawn = ~erased & (
        Q(withdrawn_at__isnull=False) | Q(moderation_state=ModerationState.WITHDRAWN)
    )
    live = ~erased & ~withdrawn
    hidden = live & Q(moderation_state=ModerationState.HIDDEN)
    approved = live & Q(moderation_state=ModerationState.APPROVED)
    # Unknown states (none today) count as pending: not yet decided, not public.
    pending = live & ~Q(moderation_state__in=[ModerationState.HIDDEN, ModerationState.APPROVED])
    figures = responses.aggregate(
        collected=Count("pk"),
        withdrawn=Count("pk", filter=withdrawn),
        erased=Count("pk", filter=erased),
        pending=Count("pk", filter=pending),
        approved=Count("pk", filter=approved),
        published=Count("pk", filter=approved & has_publishable_content()),
        **{
            f"hidden_{value}": Count("pk", filter=hidden & Q(moderation_reason=value))
            for value in ModerationReason.values
        },
        hidden_without_reason=Count(
            "pk", filter=hidden & ~Q(moderation_reason__in=ModerationReason.values)
        ),
    )
    by_reason = {value: figures[f"hidden_{value}"] for value in ModerationReason.values}
    if figures["hidden_without_reason"]:
        by_reason[REASON_NOT_RECORDED] = figures["hidden_without_reason"]
    nothing_to_publish = figures["approved"] - figures["published"]
    if nothing_to_publish:
        by_reason[NOTHING_TO_PUBLISH] = nothing_to_publish
    # A response on an unpublished page is still counted as published here: the counts
    # describe moderation, and the page they are shown on is the consultation's own.
    return AccountabilityCounts(
        collected=figures["collected"],
        published=figures["published"],
        pending=figures["pending"],
        withdrawn=figures["withdrawn"],
        erased=figures["erased"],
        hidden=sum(by_reason.values()),
        hidden_by_reason=by_reason,
    )
