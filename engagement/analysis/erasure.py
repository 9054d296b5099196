"""The analysis' copies of an erased person's responses.

Connected to ``record.signals.responses_erasing`` in ``AnalysisConfig.ready()``:
their embeddings and sentiment, their theme memberships (theme quotes are chosen
from members at display time, so they go with them), the words a theme's label and
terms took only from them, and campaign groups they were the exemplar of.
"""

from __future__ import annotations

from engagement.analysis.engine.terms import words
from engagement.analysis.engine.themes import LABEL_TERMS
from engagement.analysis.models import CampaignGroup, ResponseAnalysis, Theme, ThemeMembership
from engagement.record.erasure import ErasureScope
from engagement.record.models import Response


def _themes_forget_words(theme_ids: set[int], erased_words: set[str], ids: list[int]) -> int:
    """Drop the terms of these themes that only the erased responses used."""
    changed = 0
    for theme in Theme.objects.filter(pk__in=theme_ids):
        remaining = (
            Response.objects.filter(theme_memberships__theme=theme)
            .exclude(pk__in=ids)
            .values_list("text", flat=True)
        )
        kept_words = {word for text in remaining for word in words(text)}
        terms = [
            term
            for term in theme.terms
            if not any(word in erased_words and word not in kept_words for word in words(term))
        ]
        if terms == list(theme.terms):
            continue
        built_label = theme.label == ", ".join(theme.terms[:LABEL_TERMS])
        theme.terms = terms
        if built_label or any(word in erased_words for word in words(theme.label)):
            theme.label = ", ".join(terms[:LABEL_TERMS]) or "(no distinctive words)"
        theme.save(update_fields=["terms", "label", "updated_at"])
        changed += 1
    return changed


def _campaigns_forget(ids: list[int]) -> int:
    """Campaign groups lose the erased members; an erased exemplar gives way to another."""
    changed = 0
    erased = set(ids)
    groups = CampaignGroup.objects.filter(representative_id__in=ids) | CampaignGroup.objects.filter(
        members__response_id__in=ids
    )
    for group in groups.distinct():
        members = list(
            group.members.exclude(response_id__in=ids)
            .order_by("response__received_at", "response_id")
            .values_list("response_id", "response__text")
        )
        gone = group.members.filter(response_id__in=ids).count()
        group.count = max(group.count - gone, len(members))
        if group.representative_id in erased or group.representative_id is None:
            group.representative_id, group.representative_text = (
                members[0] if members else (None, "")
            )
        group.save(update_fields=["count", "representative", "representative_text"])
        changed += 1
    return changed


def responses_erasing(*, scope: ErasureScope, dry_run: bool, **kwargs) -> dict[str, int]:
    ids = list(scope.response_ids)
    analyses = ResponseAnalysis.objects.filter(response_id__in=ids)
    memberships = ThemeMembership.objects.filter(response_id__in=ids)
    theme_ids = set(memberships.values_list("theme_id", flat=True))
    if dry_run:
        return {
            "embeddings": analyses.count(),
            "theme memberships": memberships.count(),
            "campaign groups": (
                CampaignGroup.objects.filter(representative_id__in=ids)
                | CampaignGroup.objects.filter(members__response_id__in=ids)
            )
            .distinct()
            .count(),
        }
    erased_words = {word for text in scope.texts for word in words(text)}
    campaigns = _campaigns_forget(ids)
    themes = _themes_forget_words(theme_ids, erased_words, ids)
    memberships_erased, _ = memberships.delete()
    embeddings, _ = analyses.delete()
    return {
        "embeddings": embeddings,
        "theme memberships": memberships_erased,
        "theme terms": themes,
        "campaign groups": campaigns,
    }
