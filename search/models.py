"""The search outbox: what the index still has to learn about.

A change to an indexed row writes a ``SearchIndexQueue`` row in the same
transaction, so a search node that is down (or a worker that is not running)
loses nothing: the rows wait until ``search.services.search_index_drain`` has
applied them, in bulk, to every search backend.
"""

from __future__ import annotations

from django.db import models


class IndexAction(models.TextChoices):
    # "update" re-reads the row when draining: it is indexed if it is public then, and
    # removed from the index otherwise (hidden, pending again, withdrawn).
    UPDATE = "update", "Index or remove, as the row is when drained"
    DELETE = "delete", "Remove (the row was deleted)"


class SearchIndexQueue(models.Model):
    model = models.CharField(max_length=100, help_text="app_label.ModelName")
    object_pk = models.CharField(max_length=64)
    action = models.CharField(max_length=10, choices=IndexAction, default=IndexAction.UPDATE)
    enqueued_at = models.DateTimeField(auto_now_add=True)
    # Drains that failed on this row (the search node was unreachable), and the last error.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["model", "object_pk"])]
        verbose_name = "search index queue entry"
        verbose_name_plural = "search index queue"

    def __str__(self) -> str:
        return f"{self.action} {self.model}:{self.object_pk}"


class SearchIndexState(models.Model):
    """One row: the drain's lock and the sweep's position.

    Bulk ``QuerySet.update()`` calls send no signals, so the drain also sweeps
    responses whose ``updated_at`` moved past ``swept_to`` (keyset: time, then pk).
    """

    swept_to = models.DateTimeField(null=True, blank=True)
    swept_pk = models.BigIntegerField(default=0)
    drained_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"swept to {self.swept_to} / {self.swept_pk}"
