"""Moderation's copy of an erased person's responses: the moderators' notes.

Connected to ``record.signals.responses_erasing`` in ``ModerationConfig.ready()``.
The decisions themselves stay (who moderated what, when): they hold no words of the
response, only the note a moderator may have quoted them in.
"""

from __future__ import annotations

from engagement.moderation.models import ModerationDecision
from engagement.record.erasure import ErasureScope
from engagement.record.models import ModerationState, Response


def responses_erasing(*, scope: ErasureScope, dry_run: bool, **kwargs) -> dict[str, int]:
    ids = list(scope.response_ids)
    notes = ModerationDecision.objects.filter(response_id__in=ids).exclude(note="")
    if dry_run:
        return {"moderation notes": notes.count()}
    cleared = notes.update(note="")
    ModerationDecision.objects.bulk_create(
        [
            ModerationDecision(
                response_id=pk,
                from_state=state,
                to_state=ModerationState.ERASED,
                note="Erased on its author's request.",
                automatic=True,
            )
            for pk, state in Response.objects.filter(pk__in=ids).values_list(
                "pk", "moderation_state"
            )
        ]
    )
    return {"moderation notes": cleared}
