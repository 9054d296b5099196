"""The read-only JSON API at /api/v1/: published consultations and their public responses.

Every response served comes from ``engagement.record.selectors.public_responses`` and
shows only published (redacted) words. Errors are RFC 9457 problem details.
The OpenAPI 3 schema is at /api/v1/schema/. Ninja's interactive docs are off:
without "ninja" in INSTALLED_APPS they would load Swagger UI from a CDN.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import UTC, datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from ninja import NinjaAPI, Query
from ninja.errors import HttpError, ValidationError

from consultations.models import ConsultationPage, Question
from consultations.selectors import consultations_public
from engagement.analysis.summaries import public_accountability
from engagement.opendata import exports
from engagement.opendata.schemas import (
    ConsultationPageOut,
    LedgerOut,
    LedgerQuery,
    PageQuery,
    Problem,
    ResponseFilters,
    ResponsePageOut,
)
from engagement.record.models import Answer, Response
from engagement.record.selectors import AccountabilityCounts, public_responses
from search.selectors import SEARCH_NODE_AWAY, ResponseSearch, Sort, responses_search
from search.selectors import ResponseFilters as SearchFilters

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
CONSULTATION_PAGE_SIZE = 20
PROBLEM_CONTENT_TYPE = "application/problem+json"
ERRORS = {400: Problem, 404: Problem}


class HubAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs):
        # Errors are served as application/problem+json; say so in the schema.
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        answer["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
        return schema


api = HubAPI(
    title="Consultation hub open data API",
    version="1",
    description=(
        "Read-only. Published consultations and their approved, redacted responses. "
        f"Licensed under the {exports.LICENCE_NAME}: {exports.LICENCE_URL}"
    ),
    openapi_url="/schema/",
    docs_url=None,
    urls_namespace="api-v1",
)


def problem(
    request: HttpRequest, *, status: int, title: str, detail: str, errors=()
) -> HttpResponse:
    response = api.create_response(
        request,
        {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "errors": list(errors),
        },
        status=status,
    )
    response["Content-Type"] = f"{PROBLEM_CONTENT_TYPE}; charset=utf-8"
    return response


@api.exception_handler(ValidationError)
def _invalid_parameters(request, exc: ValidationError):
    errors = []
    for error in exc.errors:
        location = [
            str(part) for part in error.get("loc", ()) if part not in ("query", "path", "filters")
        ]
        errors.append(f"{'.'.join(location) or 'request'}: {error.get('msg', 'is invalid')}")
    return problem(
        request,
        status=400,
        title=gettext("Invalid parameters"),
        detail=gettext("Some query parameters are not valid: %(errors)s")
        % {"errors": "; ".join(errors)},
        errors=errors,
    )


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return problem(
        request, status=404, title=gettext("Not found"), detail=str(exc) or gettext("Not found.")
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return problem(
        request,
        status=exc.status_code,
        title={400: gettext("Invalid parameters"), 503: gettext("Service unavailable")}.get(
            exc.status_code, gettext("Error")
        ),
        detail=str(exc),
        errors=[str(exc)] if exc.status_code == 400 else [],
    )


# --- Helpers --------------------------------------------------------------------------


def _published_consultations() -> QuerySet[ConsultationPage]:
    return consultations_public().order_by()


def _pages(*, count: int, page: int, size: int) -> int:
    """How many pages ``count`` items fill; Http404 when ``page`` is past the last."""
    pages = max(1, math.ceil(count / size))
    if page > pages:
        raise Http404(
            gettext("There is no page %(page)s: the last page is %(pages)s.")
            % {"page": page, "pages": pages}
        )
    return pages


def _links(request: HttpRequest, *, count: int, page: int, pages: int) -> dict[str, Any]:
    def link(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": count,
        "page": page,
        "pages": pages,
        "next": link(page + 1) if page < pages else None,
        "previous": link(page - 1) if page > 1 else None,
    }


def _page_of(request: HttpRequest, queryset, *, page: int, size: int):
    count = queryset.count()
    pages = _pages(count=count, page=page, size=size)
    start = (page - 1) * size
    return {
        **_links(request, count=count, page=page, pages=pages),
        "items": queryset[start : start + size],
    }


def _search_page(
    *, filters: SearchFilters, consultation: ConsultationPage | None, page: int
) -> ResponseSearch:
    """A page of the responses matching ``filters.q``, by the public listing's search
    (search.selectors): the search node's full-text on OpenSearch/Elasticsearch, the
    indexed documents' on the database backends; exact totals, no cap."""
    try:
        found = responses_search(
            filters=filters,
            consultation=consultation,
            page_number=page,
            per_page=PAGE_SIZE,
            with_facets=False,
        )
        _pages(count=found.total, page=page, size=PAGE_SIZE)
    except SEARCH_NODE_AWAY as error:
        logger.warning("Search for the API failed: %s", error)
        raise HttpError(
            503, "Search is unavailable at the moment; try again later, or leave out q."
        ) from None
    return found


def _absolute(request: HttpRequest, name: str, slug: str) -> str:
    return request.build_absolute_uri(reverse(name, kwargs={"slug": slug}))


def _consultation_out(request: HttpRequest, page: ConsultationPage) -> dict[str, Any]:
    counts = public_accountability(consultation=page).counts
    return {
        "slug": page.slug,
        "title": page.title,
        "summary": page.summary,
        "department": {"name": page.department.name, "slug": page.department.slug},
        "status": page.status.value,
        "opens_at": page.opens_at,
        "closes_at": page.closes_at,
        "url": page.public_url,
        "responses_csv": _absolute(request, "consultation_responses_csv", page.slug),
        "responses_json": _absolute(request, "consultation_responses_json", page.slug),
        "ledger_csv": _absolute(request, "consultation_ledger_csv", page.slug),
        "counts": _counts_out(counts),
    }


def _counts_out(counts: AccountabilityCounts) -> dict[str, Any]:
    return {
        "collected": counts.collected,
        "published": counts.published,
        "pending": counts.pending,
        "hidden": counts.hidden,
        "withdrawn": counts.withdrawn,
        "erased": counts.erased,
        "hidden_by_reason": dict(counts.hidden_by_reason),
    }


_ISO_FRACTION = re.compile(r"(\.\d{6})\d+")


def since_parse(value: str) -> datetime:
    """An ISO 8601 / RFC 3339 date-time (or date) as an aware UTC datetime; HttpError if not."""
    text = value.strip().upper()
    # RFC 3339 allows a leap second and any number of fractional digits; Python does not.
    text = _ISO_FRACTION.sub(r"\1", text.replace(":60", ":59", 1) if "T" in text else text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise HttpError(
            400,
            f"since: {value!r} is not an ISO 8601 date-time; use e.g. 2026-03-01T09:00:00Z "
            "or 2026-03-01.",
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # A moment at the very edge of the calendar: everything is after it, or nothing is.
        if moment.year == 1:
            return datetime.min.replace(tzinfo=UTC)
        return datetime.max.replace(tzinfo=UTC)


# --- Endpoints ------------------------------------------------------------------------


@api.get(
    "/consultations/",
    response={200: ConsultationPageOut, **ERRORS},
    summary="Published consultations",
    tags=["consultations"],
)
def consultations_list(request: HttpRequest, query: Query[PageQuery]):
    consultations = _published_consultations().order_by("-opens_at", "pk")
    result = _page_of(request, consultations, page=query.page, size=CONSULTATION_PAGE_SIZE)
    result["results"] = [_consultation_out(request, item) for item in result.pop("items")]
    return result


@api.get(
    "/ledger/",
    response={200: LedgerOut, **ERRORS},
    summary="What became of a consultation's responses, by the week they were received",
    tags=["consultations"],
)
def ledger_get(request: HttpRequest, query: Query[LedgerQuery]):
    page = _published_consultations().filter(slug=query.consultation).first()
    if page is None:
        raise Http404(f"There is no published consultation called {query.consultation!r}.")
    return {
        "consultation": page.slug,
        "totals": _counts_out(public_accountability(consultation=page).counts),
        "weeks": exports.ledger_records(consultation=page),
    }


@api.get(
    "/responses/",
    response={200: ResponsePageOut, **ERRORS, 503: Problem},
    summary="Public responses (approved, redacted, not withdrawn)",
    tags=["responses"],
)
def responses_list(request: HttpRequest, filters: Query[ResponseFilters]):
    consultation, channel, question = filters.consultation, filters.channel, filters.question
    since, q, page = filters.since, filters.q, filters.page
    page_object = None
    if consultation is not None:
        page_object = _published_consultations().filter(slug=consultation).first()
        if page_object is None:
            raise Http404(f"There is no published consultation called {consultation!r}.")
    if question is not None:
        if not Question.objects.filter(pk=question, page__in=_published_consultations()).exists():
            raise Http404(f"There is no question {question} on a published consultation.")
    moment = since_parse(since) if since is not None else None

    if q is not None and q.strip():
        found = _search_page(
            filters=SearchFilters(
                q=q.strip(),
                channels=(channel.value,) if channel is not None else (),
                question_ids=(question,) if question is not None else (),
                since=moment,
                sort=Sort.NEWEST,
            ),
            consultation=page_object,
            page=page,
        )
        pages = max(1, math.ceil(found.total / PAGE_SIZE))
        result = _links(request, count=found.total, page=page, pages=pages)
        items = list(found.page.object_list)
        # The search's rows come with their consultation.
        slugs = {item.consultation_id: item.consultation.slug for item in items}
    else:
        responses = _responses_listed(
            consultation=page_object,
            channel=channel.value if channel is not None else None,
            question_id=question,
            since=moment,
        )
        result = _page_of(request, responses, page=page, size=PAGE_SIZE)
        items = list(result.pop("items"))
        slugs = dict(
            ConsultationPage.objects.filter(
                pk__in={item.consultation_id for item in items}
            ).values_list("pk", "slug")
        )
    result["results"] = [
        {
            **exports.response_public_record(item, consultation_slug=slugs[item.consultation_id]),
            "received_at": item.received_at,
        }
        for item in items
    ]
    return result


def _responses_listed(
    *,
    consultation: ConsultationPage | None,
    channel: str | None,
    question_id: int | None,
    since: datetime | None,
) -> QuerySet[Response]:
    """The public responses under the API's filters, newest first (a listing without words:
    built only then, as building it reads which consultations are public)."""
    responses = public_responses()
    if consultation is not None:
        responses = responses.filter(consultation=consultation)
    else:
        responses = responses.filter(consultation__in=_published_consultations())
    if channel is not None:
        responses = responses.filter(channel=channel)
    if question_id is not None:
        answered = Answer.objects.filter(response=OuterRef("pk"), question_id=question_id).filter(
            ~Q(published_text="") | ~Q(choices=[])
        )
        responses = responses.filter(Exists(answered))
    if since is not None:
        responses = responses.filter(received_at__gte=since)
    return responses.prefetch_related("answers").order_by("-received_at", "-pk")


__all__ = ["api"]
