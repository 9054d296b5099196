"""Public open-data views: a consultation's responses as CSV and JSON downloads, and its
ledger (what became of them, by week) as CSV."""

from __future__ import annotations

from django.http import Http404, StreamingHttpResponse
from django.views.decorators.http import require_safe

from consultations.models import ConsultationPage
from consultations.selectors import consultation_public
from engagement.opendata import exports


def public_consultation_get(*, slug: str) -> ConsultationPage:
    """The live, unrestricted consultation with this slug, or 404."""
    consultation = consultation_public(slug=slug)
    if consultation is None:
        raise Http404(f"There is no published consultation called {slug!r}.")
    return consultation


def _download(chunks, *, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Link"] = f'<{exports.LICENCE_URL}>; rel="license"'
    response["X-Licence"] = exports.LICENCE_NAME
    # The record changes as moderators work; a cached copy could show a response
    # after it was hidden.
    response["Cache-Control"] = "no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
def responses_csv(request, slug: str) -> StreamingHttpResponse:
    consultation = public_consultation_get(slug=slug)
    return _download(
        exports.csv_rows(consultation=consultation),
        content_type="text/csv; charset=utf-8",
        filename=f"{consultation.slug}-responses.csv",
    )


@require_safe
def responses_json(request, slug: str) -> StreamingHttpResponse:
    consultation = public_consultation_get(slug=slug)
    return _download(
        exports.json_chunks(consultation=consultation),
        content_type="application/json; charset=utf-8",
        filename=f"{consultation.slug}-responses.json",
    )


@require_safe
def ledger_csv(request, slug: str) -> StreamingHttpResponse:
    """What became of every response, by the week it was received (counts only)."""
    consultation = public_consultation_get(slug=slug)
    return _download(
        exports.ledger_csv_rows(consultation=consultation),
        content_type="text/csv; charset=utf-8",
        filename=f"{consultation.slug}-ledger.csv",
    )
