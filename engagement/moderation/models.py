"""Moderation's own rows: the audit trail of every change of a response's state."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from engagement.record.models import ModerationReason, ModerationState, Response


class ModerationDecision(models.Model):
    """The audit trail of moderation: who changed a response's state, when and why."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="decisions")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=20, choices=ModerationState)
    to_state = models.CharField(max_length=20, choices=ModerationState)
    reason = models.CharField(max_length=20, choices=ModerationReason, blank=True)
    note = models.TextField(blank=True)
    # Automatic decisions (auto-approve policy, withdrawal at the source) have no user.
    automatic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["response", "decided_at"])]

    def __str__(self) -> str:
        return f"{self.response} {self.from_state} → {self.to_state}"
