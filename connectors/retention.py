"""Connectors' copy of the raw payloads: payloads kept in quarantine.

Connected to ``record.signals.retention_expiring`` in ``ConnectorsConfig.ready()``. A
quarantined payload is a post exactly as its network sent it, so it expires with the
raw payloads: with its consultation's when it names one, else with its channel's
department's, counted from when it arrived (the default period without either).
"""

from __future__ import annotations

from connectors.models import QuarantinedPayload
from engagement.record.models import RetentionKind
from engagement.record.retention import RetentionCount, RetentionStep


def quarantine_expire(*, step: RetentionStep) -> int:
    """Delete the quarantined payloads whose raw-payload period ran out in ``step``."""
    if RetentionKind.RAW_PAYLOAD not in step.kinds:
        return 0
    if step.consultation_id is not None:
        due = QuarantinedPayload.objects.filter(consultation_id=step.consultation_id)
    else:
        due = QuarantinedPayload.objects.filter(
            consultation__isnull=True, received_at__lte=step.cutoffs[RetentionKind.RAW_PAYLOAD]
        )
        if step.department_id is None:
            due = due.filter(channel__isnull=True)
        else:
            due = due.filter(channel__department_id=step.department_id)
    deleted, _ = due.delete()
    return deleted


def retention_expiring(*, step: RetentionStep, **kwargs) -> list[RetentionCount]:
    return [
        RetentionCount(
            RetentionKind.RAW_PAYLOAD, "quarantined payloads", quarantine_expire(step=step)
        )
    ]
