"""Reads of the record."""

from __future__ import annotations

from django.db.models import QuerySet

from engagement.models import Response


def responses_for_consultation(*, consultation_id: int) -> QuerySet[Response]:
    return (
        Response.objects.filter(consultation_id=consultation_id)
        .select_related("respondent")
        .prefetch_related("answers")
        .order_by("-received_at")
    )


def response_count_for_consultation(*, consultation_id: int) -> int:
    return Response.objects.filter(consultation_id=consultation_id).count()
