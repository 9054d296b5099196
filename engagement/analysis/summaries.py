"""The public summary's figures: computed once after a change, then read by every view.

Computing them reads every public response of a consultation (tallies, terms, themes and
their quotes), which at tens of thousands of responses takes seconds; a summary is read far
more often than its responses change. So the figures are stored in ``PublicSummary`` and
served from there until something they depend on changes:

- the record's responses or answers (``responses_changed`` for bulk writes, Django's
  ``post_save``/``post_delete`` for single ones): moderation, withdrawal, erasure, edits;
- an analysis run or an analyst's theme edit (``engagement.analysis.services``);
- the consultation page being published (its questions may have changed).

What became of every response (``accountability_counts`` and ``accountability_by_week``,
shown on the summary, the responses page and the API) is stored the same way, under the
same version but on its own: a new response makes the next responses page count again
(one grouped query), not compute the summary's terms and quotes.

Each of these raises the summary's ``version`` in its own transaction. A view serves the
stored figures only when they were computed at the current version; otherwise it computes
them, and stores them only if the version has not moved meanwhile. So a quote of a
response hidden while the figures were being computed is never served: the public
summary is never behind the record's publishing rules, only recomputed once more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from consultations.models import ConsultationPage
from engagement.analysis.models import AnalysisRun, PublicSummary
from engagement.analysis.selectors import (
    AnswerTally,
    CampaignFigure,
    ConsultationFigures,
    LabelCount,
    ThemeFigure,
    consultation_figures,
)
from engagement.record.models import Response
from engagement.record.selectors import (
    AccountabilityCounts,
    WeeklyAccountability,
    accountability_by_week,
    accountability_counts,
)

_DROPPED = {
    "figures": None,
    "figures_version": None,
    "computed_at": None,
    "accountability": None,
    "accountability_version": None,
}


def summaries_invalidate(*, consultation_ids: Iterable[int]) -> int:
    """Drop the stored figures of these consultations (in the caller's transaction).

    Dropped, not only marked out of date: they quote published words, and an erasure on
    request or a hide must leave no copy of them behind.
    """
    ids = sorted(set(consultation_ids))
    if not ids:
        return 0
    return PublicSummary.objects.filter(consultation_id__in=ids).update(
        version=F("version") + 1, **_DROPPED
    )


def summaries_invalidate_for_responses(*, response_ids: Iterable[int]) -> int:
    """The same for the consultations of these responses, in one statement."""
    ids = list(response_ids)
    if not ids:
        return 0
    consultations = Response.objects.filter(pk__in=ids).values("consultation_id")
    return PublicSummary.objects.filter(consultation_id__in=consultations).update(
        version=F("version") + 1, **_DROPPED
    )


def public_figures(*, consultation: ConsultationPage) -> ConsultationFigures:
    """The public summary's figures: stored ones if still current, else computed and stored."""
    summary, _ = PublicSummary.objects.get_or_create(consultation=consultation)
    last_run = AnalysisRun.objects.filter(consultation=consultation).first()
    if summary.figures is not None and summary.figures_version == summary.version:
        return _figures_from_json(summary.figures, last_run=last_run)
    # The version is read BEFORE the figures: a change committed after this read raises it,
    # so what is computed below is stored under a version that is already out of date.
    version = summary.version
    figures = consultation_figures(consultation=consultation, public=True)
    with transaction.atomic():
        PublicSummary.objects.filter(consultation=consultation, version=version).update(
            figures=_figures_to_json(figures),
            figures_version=version,
            computed_at=timezone.now(),
        )
    return figures


def _figures_to_json(figures: ConsultationFigures) -> dict[str, Any]:
    data = asdict(figures)
    data.pop("last_run")
    return data


def _counts(rows: list[dict[str, Any]]) -> tuple[LabelCount, ...]:
    return tuple(LabelCount(**row) for row in rows)


def _figures_from_json(
    data: dict[str, Any], *, last_run: AnalysisRun | None
) -> ConsultationFigures:
    return ConsultationFigures(
        public=data["public"],
        total=data["total"],
        by_channel=_counts(data["by_channel"]),
        by_day=_counts(data["by_day"]),
        by_question=_counts(data["by_question"]),
        answer_tallies=tuple(
            AnswerTally(**{**tally, "rows": _counts(tally["rows"])})
            for tally in data["answer_tallies"]
        ),
        top_terms=_counts(data["top_terms"]),
        language_mix=_counts(data["language_mix"]),
        sentiment=_counts(data["sentiment"]),
        themes=tuple(
            ThemeFigure(
                **{**theme, "terms": tuple(theme["terms"]), "quotes": tuple(theme["quotes"])}
            )
            for theme in data["themes"]
        ),
        campaigns=tuple(CampaignFigure(**campaign) for campaign in data["campaigns"]),
        last_run=last_run,
    )


@dataclass(frozen=True)
class PublicAccountability:
    """What became of a consultation's responses: the totals and the same by week."""

    counts: AccountabilityCounts
    weeks: list[WeeklyAccountability]


def public_accountability(*, consultation: ConsultationPage) -> PublicAccountability:
    """The accountability counts: stored ones if still current, else counted and stored
    (the same version rule as ``public_figures``)."""
    summary, _ = PublicSummary.objects.get_or_create(consultation=consultation)
    if summary.accountability is not None and summary.accountability_version == summary.version:
        return _accountability_from_json(summary.accountability)
    version = summary.version
    counted = PublicAccountability(
        counts=accountability_counts(consultation=consultation),
        weeks=accountability_by_week(consultation=consultation),
    )
    PublicSummary.objects.filter(consultation=consultation, version=version).update(
        accountability=_accountability_to_json(counted), accountability_version=version
    )
    return counted


def _accountability_to_json(counted: PublicAccountability) -> dict[str, Any]:
    return {
        "counts": asdict(counted.counts),
        "weeks": [
            {"week_start": week.week_start.isoformat(), "counts": asdict(week.counts)}
            for week in counted.weeks
        ],
    }


def _accountability_from_json(data: dict[str, Any]) -> PublicAccountability:
    return PublicAccountability(
        counts=AccountabilityCounts(**data["counts"]),
        weeks=[
            WeeklyAccountability(
                week_start=date.fromisoformat(week["week_start"]),
                counts=AccountabilityCounts(**week["counts"]),
            )
            for week in data["weeks"]
        ],
    )
