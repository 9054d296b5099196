import json
from datetime import UTC, datetime

import pytest
from django.test import override_settings
from modelsearch.backends import get_search_backends_with_name
from openapi_spec_validator import validate

from engagement.opendata.api import since_parse
from engagement.record.models import ModerationState, Response
from search.indexes import is_search_node
from search.services import search_index_drain
from tests.factories.consultations import consultation_with_questions
from tests.factories.record import ResponseFactory
from tests.opendata.conftest import (
    APPROVED_ANSWER_PUBLISHED,
    APPROVED_PUBLISHED,
    FORBIDDEN,
    assert_only_public_words,
)


def _index_everything() -> None:
    """Drain the outbox into every search backend and make it searchable at once.

    The API searches what the public listing searches: the node's index or the database
    backend's documents (search.fulltext), both written by the drain."""
    assert not search_index_drain().failed
    for _name, backend in get_search_backends_with_name():
        if is_search_node(backend):
            backend.get_index_for_model(Response).refresh()


def _problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


# --- Public words only --------------------------------------------------------------


def test_responses_api_serves_only_the_approved_published_words(client, record):
    for query in ["", f"?consultation={record.consultation.slug}", "?channel=web"]:
        response = client.get(f"/api/v1/responses/{query}")
        assert response.status_code == 200
        body = response.content.decode()
        assert_only_public_words(body)
        data = json.loads(body)
        assert data["count"] == 1
        (item,) = data["results"]
        assert item["reference"] == record.approved.reference
        assert item["respondent"] == "Ada Citizen"
        assert item["answers"][0]["published_text"] == APPROVED_ANSWER_PUBLISHED
        assert item["received_at"].startswith("2026-03-02T09:30:00")


def test_responses_api_does_not_list_a_draft_consultations_responses(client, record):
    response = client.get(f"/api/v1/responses/?consultation={record.draft.slug}")

    _problem(response, 404)
    assert FORBIDDEN["draft"] not in response.content.decode()


def test_consultations_api_links_each_consultation_at_the_public_base_url(client, record, settings):
    settings.HUB_BASE_URL = "https://hub.example.gov.uk"

    (item,) = client.get("/api/v1/consultations/").json()["results"]

    assert item["url"] == f"https://hub.example.gov.uk/consultations/{record.consultation.slug}/"


def test_consultations_api_lists_published_consultations_with_accountability_counts(client, record):
    response = client.get("/api/v1/consultations/")

    assert response.status_code == 200
    body = response.content.decode()
    for marker in FORBIDDEN.values():
        assert marker not in body
    data = response.json()
    assert [item["slug"] for item in data["results"]] == [record.consultation.slug]
    (item,) = data["results"]
    assert item["title"] == "Quieter streets open data"
    assert item["status"] == "open"
    assert item["department"]["slug"] == record.consultation.department.slug
    assert item["url"].endswith(f"/consultations/{record.consultation.slug}/")
    assert item["responses_csv"].endswith(
        f"/consultations/{record.consultation.slug}/responses.csv"
    )
    counts = item["counts"]
    assert counts["collected"] == 4
    assert (counts["published"], counts["pending"], counts["hidden"], counts["withdrawn"]) == (
        1,
        1,
        1,
        1,
    )
    assert counts["hidden_by_reason"]["abusive"] == 1
    assert data["licence"] == "Open Government Licence v3.0"


def test_search_finds_published_words_and_never_held_back_or_original_ones(client, record):
    _index_everything()

    found = client.get("/api/v1/responses/?q=zebracrossingapproved").json()
    assert [item["reference"] for item in found["results"]] == [record.approved.reference]
    for name, marker in FORBIDDEN.items():
        response = client.get("/api/v1/responses/", {"q": marker})
        assert response.status_code == 200
        assert response.json()["count"] == 0, name
        assert APPROVED_PUBLISHED not in response.content.decode()


def test_search_never_serves_a_response_hidden_after_it_was_indexed(client, record):
    _index_everything()
    # A bulk update sends no signals: the index still holds the response as approved.
    Response.objects.filter(pk=record.approved.pk).update(moderation_state=ModerationState.HIDDEN)

    response = client.get("/api/v1/responses/?q=zebracrossingapproved")

    # The total is the listing's (a search node counts it until the drain catches up);
    # what is served is re-read from the record, so the hidden words never are.
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert APPROVED_PUBLISHED not in response.content.decode()


@override_settings(
    WAGTAILSEARCH_BACKENDS={
        "default": {
            "BACKEND": "modelsearch.backends.opensearch3",
            "URLS": ["http://127.0.0.1:9"],
            "TIMEOUT": 1,
        }
    }
)
def test_search_while_the_search_node_is_down_is_a_clear_503(client, record):
    body = _problem(client.get("/api/v1/responses/?q=cycle"), 503)

    assert "Search is unavailable" in body["detail"]
    # Without q the record is still served from the database.
    assert client.get("/api/v1/responses/").json()["count"] == 1


# --- Filters and pages ----------------------------------------------------------------


def test_responses_can_be_filtered_by_channel_question_and_date(client, record):
    ResponseFactory(
        consultation=record.consultation,
        channel="mastodon",
        published_text="A later toot",
        moderation_state=ModerationState.APPROVED,
        received_at=datetime(2026, 3, 10, tzinfo=UTC),
    )

    def references(query: str) -> list[str]:
        response = client.get(f"/api/v1/responses/?{query}")
        assert response.status_code == 200, response.content
        return [item["published_text"] for item in response.json()["results"]]

    assert references("channel=mastodon") == ["A later toot"]
    assert references(f"question={record.question_id}") == [APPROVED_PUBLISHED]
    assert references("since=2026-03-05") == ["A later toot"]
    assert references("since=2026-03-02T09:30:00%2B00:00") == ["A later toot", APPROVED_PUBLISHED]
    assert references("since=2026-03-02T10:00:00%2B01:00") == ["A later toot", APPROVED_PUBLISHED]


def test_responses_are_paginated_with_links_and_a_total(client, home_page):
    consultation = consultation_with_questions(title="Popular")
    for number in range(55):
        ResponseFactory(
            consultation=consultation,
            published_text=f"Reply {number}",
            moderation_state=ModerationState.APPROVED,
        )

    first = client.get(f"/api/v1/responses/?consultation={consultation.slug}").json()
    assert (first["count"], first["page"], first["pages"]) == (55, 1, 2)
    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert first["next"].startswith("http://testserver/api/v1/responses/?")
    assert f"consultation={consultation.slug}" in first["next"]

    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert second["previous"] is not None
    seen = {item["reference"] for item in first["results"] + second["results"]}
    assert len(seen) == 55


# --- Errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "status", "mentions"),
    [
        ("since=last-tuesday", 400, "since"),
        ("since=2026-13-45", 400, "since"),
        ("since=1700000000", 400, "since"),
        ("page=0", 400, "page"),
        ("page=two", 400, "page"),
        ("page=9", 404, "last page"),
        ("channel=myspace", 400, "channel"),
        ("question=abc", 400, "question"),
        ("consultation=no-such-consultation", 404, "no-such-consultation"),
        ("question=2147483000", 404, "question"),
    ],
)
def test_bad_parameters_get_problem_details_saying_what_is_wrong(
    client, record, query, status, mentions
):
    body = _problem(client.get(f"/api/v1/responses/?{query}"), status)

    assert mentions in body["detail"]


def test_consultations_api_has_no_page_past_the_end(client, record):
    body = _problem(client.get("/api/v1/consultations/?page=5"), 404)

    assert "last page" in body["detail"]


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T09:00:00Z", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01t10:00:00+01:00", datetime(2026, 3, 1, 9, tzinfo=UTC)),
        ("2026-03-01T09:00:00.123456789Z", datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_since_takes_iso_8601_dates_and_date_times(value, moment):
    assert since_parse(value) == moment


# --- Schema ----------------------------------------------------------------------------


def test_openapi_schema_is_a_valid_openapi_3_document_for_both_endpoints(client):
    response = client.get("/api/v1/schema/")

    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/consultations/", "/api/v1/responses/"} <= set(schema["paths"])
    parameters = {
        parameter["name"]
        for parameter in schema["paths"]["/api/v1/responses/"]["get"]["parameters"]
    }
    assert parameters == {"consultation", "q", "channel", "question", "since", "page"}


def test_api_docs_are_not_served_from_a_cdn(client, db):
    assert client.get("/api/v1/docs/").status_code == 404
