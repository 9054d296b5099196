"""Public pages of the record: a consultation's responses, one response, site-wide search."""

from __future__ import annotations

import logging
from dataclasses import replace

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from consultations.models import Question
from consultations.selectors import QuestionWords, consultation_public, question_words
from engagement.analysis.selectors import themes_live
from engagement.analysis.summaries import public_accountability
from search.forms import ResponseSearchForm, SiteSearchForm
from search.selectors import (
    SEARCH_NODE_AWAY,
    ResponseFilters,
    Sort,
    consultations_search,
    public_response,
    responses_search,
    responses_search_unavailable,
)

logger = logging.getLogger(__name__)
# Seconds a browser is told to wait (Retry-After) when the search node cannot answer.
SEARCH_RETRY_SECONDS = 60


def _consultation_or_404(slug: str):
    consultation = consultation_public(slug=slug)
    if consultation is None:
        raise Http404("No such consultation")
    return consultation


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _question_facet_in_language(result, words: dict[int, QuestionWords]) -> None:
    """The "question answered" filter in the page's language: the questions as the page in
    that language asks them (the facet counts the consultation's own questions)."""
    options = result.facets.get("question")
    if not words or not options:
        return
    result.facets["question"] = [
        replace(option, label=words[int(option.value)].text)
        if int(option.value) in words
        else option
        for option in options
    ]


@require_GET
def consultation_responses(request: HttpRequest, slug: str) -> HttpResponse:
    consultation = _consultation_or_404(slug)
    questions = Question.objects.filter(page=consultation).order_by("sort_order", "pk")
    form = ResponseSearchForm(
        request.GET or None, questions=questions, themes=themes_live(consultation=consultation)
    )
    if form.is_bound:
        form.is_valid()  # invalid fields are reported and left out of the filters
    filters = form.filters()
    try:
        result = responses_search(
            filters=filters, consultation=consultation, page_number=request.GET.get("page", 1)
        )
        search_unavailable = False
        _question_facet_in_language(result, question_words(consultation))
    except SEARCH_NODE_AWAY:
        # The consultation and its counts come from the database; only the list needs the node.
        logger.exception("The search node is unreachable; the responses page says so")
        result, search_unavailable = responses_search_unavailable(q=filters.q), True
    page = render(
        request,
        "search/consultation_responses.html",
        {
            "consultation": consultation,
            "form": form,
            "filters": filters,
            "result": result,
            "sort_choices": [
                (value, label)
                for value, label in Sort.CHOICES
                if value != Sort.RELEVANCE or filters.q
            ],
            "sort": filters.effective_sort,
            "counts": public_accountability(consultation=consultation).counts,
            "query_without_page": _query_without_page(request),
            "search_unavailable": search_unavailable,
        },
        status=503 if search_unavailable else 200,
    )
    if search_unavailable:
        page["Retry-After"] = str(SEARCH_RETRY_SECONDS)
    return page


@require_GET
def consultation_response(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    consultation = _consultation_or_404(slug)
    response = public_response(consultation=consultation, reference=reference)
    if response is None:
        raise Http404("No such published response")
    return render(
        request,
        "search/response_detail.html",
        {"consultation": consultation, "response": response},
    )


@require_GET
def site_search(request: HttpRequest) -> HttpResponse:
    form = SiteSearchForm(request.GET or None)
    q = form.cleaned_data["q"].strip() if form.is_bound and form.is_valid() else ""
    search_unavailable = False
    try:
        pages = consultations_search(q=q) if q else []
        result = (
            responses_search(filters=ResponseFilters(q=q), page_number=request.GET.get("page", 1))
            if q
            else None
        )
    except SEARCH_NODE_AWAY:
        logger.exception("The search node is unreachable; the search page says so")
        pages, result, search_unavailable = [], responses_search_unavailable(q=q), True
    page = render(
        request,
        "search/site_search.html",
        {
            "form": form,
            "q": q,
            "pages": pages,
            "result": result,
            "query_without_page": _query_without_page(request),
            "search_unavailable": search_unavailable,
        },
        status=503 if search_unavailable else 200,
    )
    if search_unavailable:
        page["Retry-After"] = str(SEARCH_RETRY_SECONDS)
    return page
