"""A page of search results costs the same number of queries however many rows it shows:
each row's consultation, respondent and answers come with the page, not one query per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search.services import search_index_drain
from tests.factories.consultations import consultation_with_questions
from tests.factories.search import PublicAnswerFactory, PublicResponseFactory

pytestmark = pytest.mark.django_db

PAGES = (
    ("/consultations/quieter-streets/responses/", {"q": "buses"}),
    ("/consultations/quieter-streets/responses/", {}),
    ("/search/", {"q": "buses"}),
    ("/api/v1/responses/", {"q": "buses"}),
    ("/api/v1/responses/", {"q": "buses", "consultation": "quieter-streets"}),
)


def _queries(client, path: str, params: dict) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as captured:
        # A fresh query string each time: the page cache must not answer instead.
        answer = client.get(path, {**params, "page": 1})
    assert answer.status_code == 200, answer.content[:500]
    return len(captured.captured_queries), answer.content


def test_result_pages_cost_the_same_queries_for_more_rows(
    client, settings, database_search, record
):
    settings.HUB_PAGE_CACHE = False
    consultation = record["consultation"]
    question = record["questions"][0]
    # Two consultations on the site-wide lists from the start: what is read once per
    # consultation shown (its translation) is not what this counts.
    elsewhere = consultation_with_questions(title="Wider roads")
    there = elsewhere.questions.order_by("sort_order", "pk").first()
    PublicAnswerFactory(
        response=PublicResponseFactory(consultation=elsewhere, published_text="Wider buses."),
        question=there,
        question_text=there.text,
        published_text="An answer",
    )
    assert not search_index_drain().failed
    for path, params in PAGES:
        _queries(client, path, params)  # warm: the site, locales and the like, read once
    before = {(path, tuple(params)): _queries(client, path, params) for path, params in PAGES}

    added = []
    for number in range(7):
        on, asked = (consultation, question) if number % 2 else (elsewhere, there)
        response = PublicResponseFactory(consultation=on, published_text=f"Night buses {number}.")
        PublicAnswerFactory(
            response=response,
            question=asked,
            question_text=asked.text,
            published_text=f"Answer {number}",
        )
        added.append(response)
    assert not search_index_drain().failed
    for path, params in PAGES:
        _queries(client, path, params)  # the page's stored figures are recomputed once

    for path, params in PAGES:
        count_before, html_before = before[(path, tuple(params))]
        count_after, html_after = _queries(client, path, params)
        shown = [r.reference for r in added if r.reference.encode() in html_after]
        # The page does show more rows (those of the other consultation on the site-wide
        # lists only), and no more queries for them.
        assert shown, (path, params)
        assert not any(r.reference.encode() in html_before for r in added)
        assert count_after == count_before, (path, params)
