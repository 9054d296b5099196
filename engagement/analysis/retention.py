"""The analysis' copy of original words: each campaign group's representative wording.

Connected to ``record.signals.retention_expiring`` in ``AnalysisConfig.ready()``. The
record has already replaced the expired responses' words by their redacted wording, so
a group's wording is taken again from its representative, as the record now keeps it.
Themes' labels and terms come from public words only and stay; embeddings are numbers
and stay, so the public summary does not change when the originals expire.
"""

from __future__ import annotations

from engagement.analysis.models import CampaignGroup
from engagement.analysis.services import analysed_text
from engagement.record.models import RetentionKind
from engagement.record.retention import RetentionCount, RetentionStep


def campaigns_expire(*, step: RetentionStep) -> int:
    """Campaign groups of the step's consultation whose wording was an expired original."""
    if RetentionKind.ORIGINAL_TEXT not in step.kinds or step.consultation_id is None:
        return 0
    changed = 0
    groups = CampaignGroup.objects.filter(consultation_id=step.consultation_id).select_related(
        "representative"
    )
    for group in groups.prefetch_related("representative__answers"):
        wording = analysed_text(group.representative) if group.representative else ""
        if wording != group.representative_text:
            group.representative_text = wording
            group.save(update_fields=["representative_text"])
            changed += 1
    return changed


def retention_expiring(*, step: RetentionStep, **kwargs) -> list[RetentionCount]:
    return [
        RetentionCount(RetentionKind.ORIGINAL_TEXT, "campaign groups", campaigns_expire(step=step))
    ]
