"""The public summary's figures: computed in the background after a change, read by every view.

Computing them reads every public response of a consultation (tallies, terms, themes and
their quotes): seconds at tens of thousands of responses, minutes at a million. So they are
stored in ``PublicSummary``, recomputed by a Celery task (``tasks.summary_recompute``) after
each change, and a visitor's request never computes them for a large consultation.

What changes them, and how each change is treated:

- *Additions*, which leave every stored quote true: a response recorded (published or
  pending), published by a moderator or automatically, an answer recorded or edited (answers'
  words are never in the figures, only their choices), an analysis run, the consultation
  page republished. The stored figures stay and are served marked "as of" when their
  computation began, while the recompute is pending.
- *Removals*, which may take words off the public record: a hide, a withdrawal, an erasure,
  a redaction or an edit of a response's words, a response deleted, an analyst's theme
  edit (labels are words). The stored figures are dropped in the same transaction, as
  before; until the recompute has run, the page computes them inline only for a small
  consultation (``HUB_SUMMARY_INLINE_LIMIT``) and otherwise says they are being prepared.

A bulk write tells only which responses changed (``responses_changed``), so it counts as a
removal unless each of them is now public or pending and never moderated (never shown).
Belt and braces: before stale figures are served, each quote (and campaign example) is
checked against its response's current published words, and dropped if the response is no
longer public or its words changed; so a change counted as an addition (a bulk redaction
pass of public responses, say) still never serves a quote the record no longer publishes.

Each change raises ``version``. Figures are stored under the version read before they were
computed, only if no removal happened since (``dropped_version``), and are current only
while that is still the version. A recompute is enqueued on commit after each change,
at most one pending per consultation (``recompute_requested_at``, a column rather than a
cache key: it moves with the row it describes, whatever the cache backend, and the sweep
finds lost requests in the same scan); a periodic sweep (``summaries_recompute_due``)
re-enqueues any summary left out of date. Without a Celery broker (the embedded default),
tasks run in-process: the view recomputes inline, as before.

What became of every response (``accountability_counts`` and ``accountability_by_week``,
shown on the summary, the responses page and the API) is stored beside them under the same
version rule, and recomputed by the same task. It holds numbers only, no words, so it is
never dropped: a small consultation recounts it in the request that finds it out of date
(one grouped count), and a large one serves the last count until the task has run (at a
million responses that count takes seconds, and a busy consultation changes every second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
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
from engagement.analysis.signals import summary_stored
from engagement.record.models import ModerationState, Response
from engagement.record.selectors import (
    AccountabilityCounts,
    WeeklyAccountability,
    accountability_by_week,
    accountability_counts,
    public_responses,
)

_DROPPED = {"figures": None, "figures_version": None, "computed_at": None}
# A response in this state cannot have words in any stored figures that are not still true:
# public now (a publication adds), or pending and never moderated (never shown).
_ADDS_ONLY = Q(
    moderation_state=ModerationState.APPROVED, withdrawn_at__isnull=True, erased_at__isnull=True
) | Q(moderation_state=ModerationState.PENDING, moderated_at__isnull=True)
# Saving any of these on a response may change or remove words the public has seen.
_WORD_FIELDS = frozenset({"text", "published_text", "redactions", "published_name", "erased_at"})
# A recompute requested this long ago and still not done was lost (a worker died): the
# sweep enqueues it again. Longer than a recompute at a million responses (~3 minutes).
RECOMPUTE_LOST_AFTER = timedelta(minutes=10)


def _bump(rows: QuerySet[PublicSummary], *, removal: bool) -> int:
    if removal:
        # Both F()s read the row before the update: dropped_version is the new version.
        return rows.update(version=F("version") + 1, dropped_version=F("version") + 1, **_DROPPED)
    return rows.update(version=F("version") + 1)


def summaries_invalidate(*, consultation_ids: Iterable[int], removal: bool) -> int:
    """Mark the stored figures of these consultations out of date (in the caller's
    transaction) and enqueue their recompute on commit.

    ``removal``: the change may take words off the public record, so the figures are
    dropped, not only marked: a hide or an erasure must leave no copy of them behind.
    """
    ids = sorted(set(consultation_ids))
    if not ids:
        return 0
    changed = _bump(PublicSummary.objects.filter(consultation_id__in=ids), removal=removal)
    _recompute_on_commit(lambda: ids)
    return changed


def summaries_invalidate_for_responses(
    *, response_ids: Iterable[int], words_changed: bool = False
) -> int:
    """The same for the consultations of these responses, a removal unless each of them is
    public now or was never shown (see the module's docstring). ``words_changed``: their
    published words were rewritten (a bulk redaction pass), so it is a removal whatever
    their state: the stored terms may hold a word now redacted."""
    ids = sorted(set(response_ids))
    if not ids:
        return 0
    changed = Response.objects.filter(pk__in=ids)
    removed = (changed if words_changed else changed.exclude(_ADDS_ONLY)).values("consultation_id")
    summaries = PublicSummary.objects.filter(consultation_id__in=changed.values("consultation_id"))
    count = _bump(summaries.filter(consultation_id__in=removed), removal=True)
    count += _bump(summaries.exclude(consultation_id__in=removed), removal=False)
    _recompute_on_commit(
        lambda: (
            Response.objects.filter(pk__in=ids)
            .order_by()
            .values_list("consultation_id", flat=True)
            .distinct()
        )
    )
    return count


def response_save_adds_only(
    *, response: Response, created: bool, update_fields: Iterable[str] | None
) -> bool:
    """Whether saving this response can only add to the public summary (see the module's
    docstring); a full save (no ``update_fields``) may have changed any words."""
    if created:
        return True
    if update_fields is None:
        return False
    fields = set(update_fields)
    public = (
        response.moderation_state == ModerationState.APPROVED
        and response.withdrawn_at is None
        and response.erased_at is None
    )
    if public and "moderation_state" in fields:
        # Published by this save: its words were not public before (a response whose words
        # were shown and then edited or hidden dropped the figures at that change).
        return True
    if not public:
        return response.moderation_state == ModerationState.PENDING and (
            response.moderated_at is None
        )
    return not fields & _WORD_FIELDS


def _recompute_on_commit(consultation_ids: Callable[[], Iterable[int]]) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # No worker: the task would run inside the writer's request, once per write. The
        # next visitor recomputes instead (public_figures), as before.
        return
    transaction.on_commit(
        lambda: summary_recompute_request(consultation_ids=consultation_ids()), robust=True
    )


def summary_recompute_request(*, consultation_ids: Iterable[int], again: bool = False) -> int:
    """Enqueue a recompute of each of these summaries that has none pending (``again``:
    whether or not one is). Returns how many were enqueued."""
    # why: the task module imports this one.
    from engagement.analysis.tasks import summary_recompute

    enqueued = 0
    for consultation_id in sorted(set(consultation_ids)):
        rows = PublicSummary.objects.filter(pk=consultation_id)
        if not again:
            rows = rows.filter(recompute_requested_at__isnull=True)
        # One conditional UPDATE: of many changes at once, exactly one finds it unset.
        if rows.update(recompute_requested_at=timezone.now()):
            summary_recompute.delay(consultation_id)
            enqueued += 1
    return enqueued


def summaries_recompute_due() -> list[int]:
    """The summaries left out of date with no recompute pending (a lost task, or a request
    older than ``RECOMPUTE_LOST_AFTER``): only those that had figures or were asked for."""
    cutoff = timezone.now() - RECOMPUTE_LOST_AFTER
    return list(
        PublicSummary.objects.filter(
            Q(figures_version__isnull=True) | Q(figures_version__lt=F("version")),
            Q(figures__isnull=False) | Q(recompute_requested_at__isnull=False),
        )
        .filter(Q(recompute_requested_at__isnull=True) | Q(recompute_requested_at__lt=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class Recomputed:
    figures: ConsultationFigures
    as_of: datetime
    stored: bool
    # Nothing changed while they were computed: no further recompute is needed.
    current: bool


def summary_recompute(*, consultation: ConsultationPage) -> Recomputed:
    """Compute a consultation's public figures and store them, unless a removal happened
    while they were computed (or newer ones were stored meanwhile)."""
    summary, _ = PublicSummary.objects.get_or_create(consultation=consultation)
    # The version is read BEFORE the figures: a change committed after this read raises it,
    # so what is computed below is stored under a version that is already out of date.
    version = summary.version
    as_of = timezone.now()
    figures = consultation_figures(consultation=consultation, public=True)
    counted = _accountability_counted(consultation=consultation)
    with transaction.atomic():
        PublicSummary.objects.filter(pk=consultation.pk).filter(
            Q(accountability_version__isnull=True) | Q(accountability_version__lt=version)
        ).update(accountability=_accountability_to_json(counted), accountability_version=version)
        stored = bool(
            PublicSummary.objects.filter(pk=consultation.pk)
            .filter(Q(dropped_version__isnull=True) | Q(dropped_version__lte=version))
            .filter(Q(figures_version__isnull=True) | Q(figures_version__lt=version))
            .update(figures=_figures_to_json(figures), figures_version=version, computed_at=as_of)
        )
        # Cleared only at an unmoved version: a change since keeps the request standing, so
        # it enqueued nothing, and the caller enqueues the next recompute.
        current = bool(
            PublicSummary.objects.filter(pk=consultation.pk, version=version).update(
                recompute_requested_at=None
            )
        )
    if stored:
        transaction.on_commit(
            lambda: summary_stored.send(sender=PublicSummary, consultation_id=consultation.pk)
        )
    return Recomputed(figures=figures, as_of=as_of, stored=stored, current=current)


@dataclass(frozen=True)
class PublicSummaryFigures:
    """What the summary page shows: the figures (None while being prepared), when they were
    computed, and whether newer ones are on the way."""

    figures: ConsultationFigures | None
    as_of: datetime | None
    updating: bool


def public_figures(*, consultation: ConsultationPage) -> PublicSummaryFigures:
    """The public summary's figures, read from what is stored (see the module's docstring)."""
    summary, _ = PublicSummary.objects.get_or_create(consultation=consultation)
    eager = settings.CELERY_TASK_ALWAYS_EAGER
    if summary.figures is not None:
        last_run = AnalysisRun.objects.filter(consultation=consultation).first()
        if summary.figures_version == summary.version:
            return PublicSummaryFigures(
                figures=_figures_from_json(summary.figures, last_run=last_run),
                as_of=summary.computed_at,
                updating=False,
            )
        if not eager and not _legacy(summary.figures):
            if summary.recompute_requested_at is None:
                summary_recompute_request(consultation_ids=[consultation.pk])  # a lost one
            figures = _figures_from_json(summary.figures, last_run=last_run)
            return PublicSummaryFigures(
                figures=_quotes_still_public(figures, consultation=consultation),
                as_of=summary.computed_at,
                updating=True,
            )
    if not eager and not _within_inline_limit(consultation):
        summary_recompute_request(consultation_ids=[consultation.pk])
        return PublicSummaryFigures(figures=None, as_of=None, updating=True)
    recomputed = summary_recompute(consultation=consultation)
    return PublicSummaryFigures(figures=recomputed.figures, as_of=recomputed.as_of, updating=False)


def _legacy(data: dict[str, Any]) -> bool:
    """Figures stored before quotes named their responses: their quotes cannot be checked."""
    return any("quote_ids" not in theme for theme in data.get("themes", ())) or any(
        "representative_id" not in campaign for campaign in data.get("campaigns", ())
    )


def _within_inline_limit(consultation: ConsultationPage) -> bool:
    limit = settings.HUB_SUMMARY_INLINE_LIMIT
    # Counts at most limit + 1 rows, however many there are.
    responses = public_responses(consultation=consultation).select_related(None).order_by()
    return responses[: limit + 1].count() <= limit


def _quotes_still_public(
    figures: ConsultationFigures, *, consultation: ConsultationPage
) -> ConsultationFigures:
    """These figures without any quote whose response is no longer public or whose
    published words changed since (one query by primary key)."""
    ids = {pk for theme in figures.themes for pk in theme.quote_ids} | {
        campaign.representative_id
        for campaign in figures.campaigns
        if campaign.representative_id is not None
    }
    current = dict(
        public_responses(consultation=consultation)
        .filter(pk__in=ids)
        .values_list("pk", "published_text")
    )

    def still(pk: int | None, text: str) -> bool:
        return pk is not None and (current.get(pk) or "").strip() == text.strip()

    themes = []
    for theme in figures.themes:
        kept = [
            (pk, quote)
            for pk, quote in zip(theme.quote_ids, theme.quotes, strict=True)
            if still(pk, quote)
        ]
        themes.append(
            replace(
                theme,
                quote_ids=tuple(pk for pk, _ in kept),
                quotes=tuple(quote for _, quote in kept),
            )
        )
    campaigns = [
        campaign
        if not campaign.representative_text
        or still(campaign.representative_id, campaign.representative_text)
        else replace(campaign, representative_text="", representative_id=None)
        for campaign in figures.campaigns
    ]
    return replace(figures, themes=tuple(themes), campaigns=tuple(campaigns))


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
                **{
                    **theme,
                    "terms": tuple(theme["terms"]),
                    "quotes": tuple(theme["quotes"]),
                    "quote_ids": tuple(theme.get("quote_ids", ())),
                }
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
    """The accountability counts: stored ones if still current; for a large consultation
    with a worker, the last ones stored until its recompute runs; else counted and stored
    (see the module's docstring)."""
    summary, _ = PublicSummary.objects.get_or_create(consultation=consultation)
    if summary.accountability is not None:
        if summary.accountability_version == summary.version:
            return _accountability_from_json(summary.accountability)
        if not settings.CELERY_TASK_ALWAYS_EAGER and not _within_inline_limit(consultation):
            if summary.recompute_requested_at is None:
                summary_recompute_request(consultation_ids=[consultation.pk])  # a lost one
            return _accountability_from_json(summary.accountability)
    version = summary.version
    counted = _accountability_counted(consultation=consultation)
    PublicSummary.objects.filter(consultation=consultation, version=version).update(
        accountability=_accountability_to_json(counted), accountability_version=version
    )
    return counted


def _accountability_counted(*, consultation: ConsultationPage) -> PublicAccountability:
    return PublicAccountability(
        counts=accountability_counts(consultation=consultation),
        weeks=accountability_by_week(consultation=consultation),
    )


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
