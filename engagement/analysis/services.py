"""Analysis runs and analysts' theme edits: the only writer of the analysis tables.

A run reads the ORIGINAL text of every response still in the record (analysts are
trusted) and stores sentiment, language, the sentence embedding, campaign groups and
themes. Whatever is later shown to the public is chosen from public responses only: the
model's theme labels are built from public ``published_text`` alone (non-public responses
still shape the clusters, but lend them no words).
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from consultations.models import ConsultationPage
from engagement.analysis.engine import (
    get_embedder,
    get_sentiment_model,
    theme_signature,
    theme_signatures_merge,
    themes_find,
    themes_match,
)
from engagement.analysis.engine.campaigns import campaigns_find
from engagement.analysis.engine.sentiment import NOT_ANALYSED, model_reads, sentiment_scores
from engagement.analysis.engine.terms import language_of
from engagement.analysis.engine.types import ThemeSignature
from engagement.analysis.models import (
    AnalysisRun,
    AnalysisRunStatus,
    CampaignGroup,
    ResponseAnalysis,
    Theme,
    ThemeAssignedBy,
    ThemeEdit,
    ThemeEditAction,
    ThemeMembership,
)
from engagement.analysis.summaries import summaries_invalidate
from engagement.record.models import Response
from engagement.record.selectors import public_responses
from engagement.record.signals import responses_changed

EMBED_BATCH = 32

Progress = Callable[[int, int], None]


class AnalysisError(ValueError):
    """A theme edit that cannot be made as asked; the message says why."""


# --- Vectors as bytes ------------------------------------------------------------------


def vector_to_bytes(vector: Sequence[float] | np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def vector_from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def analysed_text(response: Response) -> str:
    """The words analysed: the response and its free-text answers, original wording."""
    parts = [response.text.strip()]
    parts += [answer.text.strip() for answer in response.answers.all() if answer.text.strip()]
    return "\n".join(part for part in parts if part)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _analysable(consultation: ConsultationPage):
    # Withdrawn and erased responses are tombstones: their words are gone from the record.
    return (
        Response.objects.filter(
            consultation=consultation, withdrawn_at__isnull=True, erased_at__isnull=True
        )
        .exclude(moderation_state__in=["withdrawn", "erased"])
        .prefetch_related("answers")
        .select_related("analysis")
        .order_by("pk")
    )


def consultations_needing_analysis() -> list[int]:
    """Consultations with a response recorded or changed (edited, moderated, withdrawn)
    since their last successful run, or never analysed."""
    last_run = (
        AnalysisRun.objects.filter(
            consultation_id=OuterRef("consultation_id"), status=AnalysisRunStatus.SUCCEEDED
        )
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    changed = Response.objects.annotate(last_run=Subquery(last_run)).filter(
        Q(last_run__isnull=True) | Q(updated_at__gt=F("last_run"))
    )
    return sorted(set(changed.values_list("consultation_id", flat=True).distinct()))


# --- The run -------------------------------------------------------------------------------


def analysis_run(
    *, consultation: ConsultationPage, seed: int = 0, progress: Progress | None = None
) -> AnalysisRun:
    """Analyse a consultation's responses; only new or edited ones are embedded again.

    Themes are found afresh over every analysed response with ``seed`` and matched to the
    saved ones (``themes_match``), so analysts' names, merges and splits carry over; an
    analyst's assignment of a response is never replaced by the model's. The same
    responses and seed give the same themes.
    """
    run = AnalysisRun.objects.create(consultation=consultation, seed=seed)
    started = time.perf_counter()
    try:
        _run(run=run, consultation=consultation, seed=seed, progress=progress)
    except Exception as error:
        run.status = AnalysisRunStatus.FAILED
        run.error = f"{type(error).__name__}: {error}"
        run.finished_at = timezone.now()
        run.duration_seconds = round(time.perf_counter() - started, 3)
        run.save()
        raise
    run.status = AnalysisRunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.duration_seconds = round(time.perf_counter() - started, 3)
    run.save()
    # Themes, sentiment and campaigns were rewritten: the public summary is recomputed. The
    # stored one stays meanwhile: every response it quotes is still public.
    summaries_invalidate(consultation_ids=[consultation.pk], removal=False)
    return run


def _run(
    *, run: AnalysisRun, consultation: ConsultationPage, seed: int, progress: Progress | None
) -> None:
    # Taken before reading: a response changed while the run goes is picked up by the next.
    read_at = timezone.now()
    responses = list(_analysable(consultation))
    texts = {response.pk: analysed_text(response) for response in responses}
    responses = [response for response in responses if texts[response.pk]]
    embedder = get_embedder(settings.HUB_EMBEDDER)
    sentiment_model = get_sentiment_model(settings.HUB_SENTIMENT_MODEL)
    to_embed = [
        response
        for response in responses
        if not hasattr(response, "analysis")
        or response.analysis.text_hash != _hash(texts[response.pk])
        # Its language was corrected, or it was scored before the model said what it reads.
        or (response.language and response.language != response.analysis.language)
        or (
            response.analysis.sentiment_label != NOT_ANALYSED
            and not model_reads(sentiment_model, response.analysis.language)
        )
    ]
    total = len(to_embed)
    if progress:
        progress(0, total)
    for start in range(0, total, EMBED_BATCH):
        batch = to_embed[start : start + EMBED_BATCH]
        batch_texts = [texts[response.pk] for response in batch]
        vectors = embedder.embed(batch_texts)
        languages = [
            response.language or language_of(text)
            for response, text in zip(batch, batch_texts, strict=True)
        ]
        scores = sentiment_scores(model=sentiment_model, texts=batch_texts, languages=languages)
        for response, text, vector, score, language in zip(
            batch, batch_texts, vectors, scores, languages, strict=True
        ):
            ResponseAnalysis.objects.update_or_create(
                response=response,
                defaults={
                    "text_hash": _hash(text),
                    "sentiment_compound": score.compound,
                    "sentiment_label": score.label,
                    "language": language,
                    "embedding": vector_to_bytes(vector),
                },
            )
        if progress:
            progress(min(start + EMBED_BATCH, total), total)
    run.responses_embedded = total
    run.responses_analysed = len(responses)

    analyses = {
        analysis.response_id: analysis
        for analysis in ResponseAnalysis.objects.filter(response__in=responses)
    }
    ids = [response.pk for response in responses]
    ResponseAnalysis.objects.filter(response_id__in=ids).update(analysed_at=read_at)
    # Rows of a response whose text became empty (e.g. edited away) are dropped.
    ResponseAnalysis.objects.filter(response__consultation=consultation).exclude(
        response_id__in=ids
    ).delete()
    if not ids:
        with transaction.atomic():
            CampaignGroup.objects.filter(consultation=consultation).delete()
            ThemeMembership.objects.filter(
                theme__consultation=consultation, assigned_by=ThemeAssignedBy.MODEL
            ).delete()
        return
    vectors = np.stack([vector_from_bytes(analyses[pk].embedding) for pk in ids])
    original_texts = [texts[pk] for pk in ids]
    public_wording = dict(
        public_responses(consultation=consultation).values_list("pk", "published_text")
    )
    # Labels come from public words only, so they may be shown to the public.
    label_texts = [public_wording.get(pk, "") for pk in ids]
    # Only what the embedding model reads is grouped by meaning (a Welsh reply and an
    # English-only model: left out of the themes, still counted everywhere else).
    themed = [
        position for position, pk in enumerate(ids) if model_reads(embedder, analyses[pk].language)
    ]
    candidates = (
        themes_find([label_texts[i] for i in themed], seed=seed, embeddings=vectors[themed])
        if themed
        else []
    )
    campaigns = campaigns_find(original_texts, seed=seed)

    with transaction.atomic():
        ConsultationPage.objects.select_for_update().filter(pk=consultation.pk).first()
        _store_campaigns(
            consultation=consultation, ids=ids, campaigns=campaigns, texts=original_texts
        )
        run.themes_found = _store_themes(
            consultation=consultation, ids=[ids[i] for i in themed], candidates=candidates
        )
        run.campaign_groups_found = len(campaigns)


def _store_campaigns(*, consultation, ids, campaigns, texts) -> None:
    CampaignGroup.objects.filter(consultation=consultation).delete()
    for campaign in campaigns:
        group = CampaignGroup.objects.create(
            consultation=consultation,
            representative_id=ids[campaign.representative_index],
            representative_text=texts[campaign.representative_index],
            count=campaign.count,
        )
        ResponseAnalysis.objects.filter(
            response_id__in=[ids[i] for i in campaign.member_indices]
        ).update(campaign_group=group)


def _signatures(consultation) -> list[ThemeSignature]:
    members = defaultdict(set)
    for theme_id, response_id in ThemeMembership.objects.filter(
        theme__consultation=consultation, theme__is_merged_into__isnull=True
    ).values_list("theme_id", "response_id"):
        members[theme_id].add(response_id)
    return [
        ThemeSignature(
            theme_id=theme.pk,
            centroid=tuple(float(value) for value in vector_from_bytes(theme.centroid)),
            member_ids=frozenset(members[theme.pk]),
        )
        for theme in Theme.objects.filter(consultation=consultation, is_merged_into__isnull=True)
        if theme.centroid
    ]


def _store_themes(*, consultation, ids, candidates) -> int:
    previous = _signatures(consultation)
    matches = themes_match(previous=previous, new=candidates, response_ids=ids)
    analyst_assigned = set(
        ThemeMembership.objects.filter(
            theme__consultation=consultation, assigned_by=ThemeAssignedBy.ANALYST
        ).values_list("response_id", flat=True)
    )
    by_theme: dict[int, list] = defaultdict(list)
    for candidate in candidates:
        match = matches.get(candidate.key)
        if match is None:
            theme = Theme.objects.create(consultation=consultation)
            by_theme[theme.pk].append(candidate)
        else:
            by_theme[cast(int, match.theme_id)].append(candidate)  # our signatures carry pks

    ThemeMembership.objects.filter(
        theme__consultation=consultation, assigned_by=ThemeAssignedBy.MODEL
    ).delete()
    sizes = {}
    for theme_id, continued in by_theme.items():
        theme = Theme.objects.get(pk=theme_id)
        largest = max(continued, key=lambda candidate: candidate.size)
        theme.label = largest.label
        theme.terms = list(largest.terms)
        if len(continued) == 1:
            centroid = largest.centroid
        else:
            centroid = theme_signatures_merge(
                [
                    theme_signature(candidate, theme_id=theme_id, response_ids=ids)
                    for candidate in continued
                ],
                theme_id=theme_id,
            ).centroid
        theme.centroid = vector_to_bytes(centroid)
        theme.save(update_fields=["label", "terms", "centroid", "updated_at"])
        members = sorted(
            {ids[i] for candidate in continued for i in candidate.member_indices} - analyst_assigned
        )
        ThemeMembership.objects.bulk_create(
            [ThemeMembership(theme_id=theme_id, response_id=pk) for pk in members],
            ignore_conflicts=True,
        )
        # Bulk creates send no model signals; the search index counts themes.
        responses_changed.send(sender=Response, response_ids=members)
        sizes[theme_id] = len(members)

    # A model theme nothing continues goes, unless an analyst has touched it.
    for theme in Theme.objects.filter(consultation=consultation, is_merged_into__isnull=True):
        if theme.pk in by_theme:
            continue
        touched = (
            theme.created_by_analyst
            or theme.analyst_label
            or theme.memberships.filter(assigned_by=ThemeAssignedBy.ANALYST).exists()
            or theme.merged_themes.exists()
        )
        if not touched:
            theme.delete()
    live = Theme.objects.filter(consultation=consultation, is_merged_into__isnull=True)
    counted = sorted(live, key=lambda theme: (-theme.memberships.count(), theme.pk))
    for position, theme in enumerate(counted):
        if theme.sort_order != position:
            theme.sort_order = position
            theme.save(update_fields=["sort_order"])
    return len(counted)


# --- Analysts' edits ---------------------------------------------------------------------


def _audit(*, theme: Theme, action: str, user, **detail) -> None:
    """Every analyst's edit passes here: audited, and the public summary recomputed."""
    ThemeEdit.objects.create(theme=theme, action=action, edited_by=user, detail=detail)
    # A label is words: an analyst's correction must not wait for the recompute.
    summaries_invalidate(consultation_ids=[theme.consultation_id], removal=True)


def _centroid_of(response_ids) -> np.ndarray | None:
    rows = [
        vector_from_bytes(embedding)
        for embedding in ResponseAnalysis.objects.filter(response_id__in=response_ids).values_list(
            "embedding", flat=True
        )
    ]
    if not rows:
        return None
    return _unit(np.stack(rows).astype(np.float64).mean(axis=0))


@transaction.atomic
def theme_rename(*, theme: Theme, label: str, user, description: str | None = None) -> Theme:
    """Give a theme an analyst's name (kept over the model's label on every re-run)."""
    label = label.strip()
    if not label:
        raise AnalysisError("Enter a name for the theme.")
    previous = theme.display_label
    theme.analyst_label = label[:200]
    if description is not None:
        theme.description = description
    theme.updated_by = user
    theme.save()
    _audit(theme=theme, action=ThemeEditAction.RENAME, user=user, before=previous, after=label)
    return theme


@transaction.atomic
def themes_merge(*, themes: Sequence[Theme], into: Theme, user) -> Theme:
    """Merge ``themes`` into ``into``: their responses move, and so does their signature."""
    others = [theme for theme in themes if theme.pk != into.pk]
    if not others:
        raise AnalysisError("Choose at least one other theme to merge.")
    if any(theme.consultation_id != into.consultation_id for theme in others):
        raise AnalysisError("Themes of different consultations cannot be merged.")
    signatures = []
    for theme in [into, *others]:
        signatures.append(
            ThemeSignature(
                theme_id=theme.pk,
                centroid=tuple(float(value) for value in vector_from_bytes(theme.centroid))
                if theme.centroid
                else tuple(np.zeros(1)),
                member_ids=frozenset(theme.memberships.values_list("response_id", flat=True)),
            )
        )
    usable = [signature for signature in signatures if len(signature.centroid) > 1]
    if usable:
        into.centroid = vector_to_bytes(theme_signatures_merge(usable, theme_id=into.pk).centroid)
    for theme in others:
        for membership in theme.memberships.all():
            ThemeMembership.objects.update_or_create(
                theme=into,
                response_id=membership.response_id,
                defaults={
                    "assigned_by": membership.assigned_by,
                    "assigned_by_user": membership.assigned_by_user,
                },
            )
        theme.memberships.all().delete()
        theme.is_merged_into = into
        theme.updated_by = user
        theme.save()
    into.updated_by = user
    into.save()
    _audit(
        theme=into,
        action=ThemeEditAction.MERGE,
        user=user,
        merged=[{"id": theme.pk, "label": theme.display_label} for theme in others],
    )
    return into


@transaction.atomic
def theme_split(*, theme: Theme, response_ids: Sequence[int], label: str, user) -> Theme:
    """Move some of a theme's responses into a new theme named by the analyst."""
    label = label.strip()
    if not label:
        raise AnalysisError("Enter a name for the new theme.")
    moving = set(
        theme.memberships.filter(response_id__in=response_ids).values_list("response_id", flat=True)
    )
    if not moving:
        raise AnalysisError("Choose at least one response of this theme to move.")
    new = Theme.objects.create(
        consultation=theme.consultation,
        analyst_label=label[:200],
        created_by_analyst=True,
        updated_by=user,
        sort_order=theme.sort_order,
    )
    theme.memberships.filter(response_id__in=moving).delete()
    ThemeMembership.objects.bulk_create(
        [
            ThemeMembership(
                theme=new,
                response_id=pk,
                assigned_by=ThemeAssignedBy.ANALYST,
                assigned_by_user=user,
            )
            for pk in sorted(moving)
        ]
    )
    responses_changed.send(sender=Response, response_ids=sorted(moving))
    for target, members in (
        (new, moving),
        (theme, set(theme.memberships.values_list("response_id", flat=True))),
    ):
        centroid = _centroid_of(members)
        if centroid is not None:
            target.centroid = vector_to_bytes(centroid)
            target.save(update_fields=["centroid", "updated_at"])
    _audit(
        theme=theme,
        action=ThemeEditAction.SPLIT,
        user=user,
        new_theme=new.pk,
        responses=sorted(moving),
    )
    return new


@transaction.atomic
def response_theme_assign(*, response: Response, theme: Theme, user) -> ThemeMembership:
    """Put a response in a theme by hand; no later run moves it."""
    if response.consultation_id != theme.consultation_id:
        raise AnalysisError("The response and the theme belong to different consultations.")
    if theme.is_merged_into_id:
        raise AnalysisError("That theme was merged into another; assign to that one.")
    ThemeMembership.objects.filter(response=response).exclude(theme=theme).delete()
    membership, _created = ThemeMembership.objects.update_or_create(
        theme=theme,
        response=response,
        defaults={"assigned_by": ThemeAssignedBy.ANALYST, "assigned_by_user": user},
    )
    _audit(theme=theme, action=ThemeEditAction.ASSIGN, user=user, response=response.pk)
    return membership
