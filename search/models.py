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


class ResponseIndexMark(models.Model):
    """The version of a response the search backends hold: the row's ``updated_at`` as the
    outbox drain read it when it last indexed the response.

    The sweep re-sends only rows changed after their mark (search.services._sweep), so a
    row the drain indexed from its outbox entry is not written a second time once it
    settles, while a row changed without one (a bulk update, a lost entry) still is.
    """

    # No database constraint: a response deleted while the drain writes its mark must not
    # fail the drain; deleting a response through the ORM still deletes its mark.
    response = models.OneToOneField(
        "record.Response",
        primary_key=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="+",
    )
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"response {self.response_id} indexed as of {self.updated_at}"


class ResponseDocument(models.Model):
    """A public response as the database backend searches it: its words and its facets.

    Written by the outbox drain (``search.fulltext.documents_write``) from
    ``Response.get_indexed_objects()``, the record's one rule of "public", exactly as the
    drain writes OpenSearch documents; removed when the response stops being public.
    The words' full-text index is not a Django field: on PostgreSQL a generated
    ``tsvector`` column with a GIN index, on SQLite an FTS5 table kept by triggers
    (migration 0002, docs/adr/0017-database-full-text.md).
    """

    response = models.OneToOneField(
        "record.Response", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    consultation_id = models.IntegerField()
    channel = models.CharField(max_length=20)
    received_at = models.DateTimeField()
    # "2026-03": the month in the site's time zone when indexed (the month facet).
    month = models.CharField(max_length=7)
    # Response.language as recorded ("" when unknown), for the language facet.
    language = models.CharField(max_length=20, blank=True)
    # Whose rules read the words: "en" (stems, stop words) or "cy" (words as written).
    analyser = models.CharField(max_length=2)
    sentiment = models.CharField(max_length=20, blank=True)
    words = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["consultation_id", "received_at"], name="hubsearch_doc_time"),
            models.Index(fields=["consultation_id", "channel"], name="hubsearch_doc_channel"),
        ]

    def __str__(self) -> str:
        return f"document of response {self.response_id}"


class ResponseDocumentQuestion(models.Model):
    """A question the document's response answered with published words or choices."""

    document = models.ForeignKey(ResponseDocument, on_delete=models.CASCADE, related_name="+")
    question_id = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question_id", "document"], name="hubsearch_doc_question_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id} answered {self.question_id}"


class ResponseDocumentTheme(models.Model):
    """A live theme the document's response counts under (merged themes resolved)."""

    document = models.ForeignKey(ResponseDocument, on_delete=models.CASCADE, related_name="+")
    theme_id = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["theme_id", "document"], name="hubsearch_doc_theme_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id} in theme {self.theme_id}"
