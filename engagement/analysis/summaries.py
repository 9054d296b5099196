"""The public summary's figures: computed once after a change, then read by every view.

Computing them reads every public response of a consultation (tallies, terms, themes and
their quotes), which at tens of thousands of responses takes seconds; a summary is read far
more often than its responses change. So the figures are stored in ``PublicSummary`` and
served from there until something they depend on changes:

- the record's responses or answers (``responses_changed`` for bulk writes, Django's
  ``post_save``/``post_delete`` for single ones): moderation, withdrawal, erasure, edits;
- an analysis run or an analyst's theme edit (``engagement.analysis.services``);
- the consultation page being published (its questions may have changed).

Each of these raises the summary's ``version`` in its own transaction. A view serves the
stored figures only when they were computed at the current version; otherwise it computes
them, and stores them only if the version has not moved meanwhile. So a quote of a
response hidden while the figures were being computed is never served: the public
summary is never behind the record's publishing rules, only recomputed once more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
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


def summaries_invalidate(*, consultation_ids: Iterable[int]) -> int:
    """Mark the stored figures of these consultations out of date (in the caller's transaction)."""
    ids = sorted(set(consultation_ids))
    if not ids:
        return 0
    return PublicSummary.objects.filter(consultation_id__in=ids).update(version=F("version") + 1)


def summaries_invalidate_for_responses(*, response_ids: Iterable[int]) -> int:
    consultation_ids = (
        Response.objects.filter(pk__in=list(response_ids))
        .order_by()
        .values_list("consultation_id", flat=True)
        .distinct()
    )
    return summaries_invalidate(consultation_ids=consultation_ids)


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
