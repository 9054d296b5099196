"""The API's word search is the public listing's: the same totals on both backends, no cap.

The API once searched modelsearch's own index (capped at 10,000 ids, then counted in
the record); it now asks ``search.selectors.responses_search`` as the responses page
and the site search do, so a total the API gives is the total the listing shows.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from modelsearch.conf import get_app_config

from engagement.record.models import Channel, ModerationState, Response
from search.selectors import ResponseFilters, responses_search
from search.services import search_index_drain
from tests.factories.consultations import consultation_with_questions
from tests.factories.record import ResponseFactory
from tests.factories.search import PublicAnswerFactory, PublicResponseFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# More matches than one API page (50), so the total is not the length of a page.
MANY = 57


@pytest.fixture
def database_search(settings):
    settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "modelsearch.backends.database"}}
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False


@pytest.fixture
def node_search(search_backend, settings):
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    return search_backend


@pytest.fixture
def streets(home_page):
    """Two public consultations; "buses" in many responses of the first, some of the second."""
    first = consultation_with_questions(title="Bus streets")
    second = consultation_with_questions(title="Other streets")
    free_text = first.questions.order_by("sort_order", "pk").first()
    for number in range(MANY):
        PublicResponseFactory(
            consultation=first,
            channel=Channel.WEB if number % 3 == 0 else "mastodon",
            published_text=f"More buses on route {number}, please.",
            received_at=datetime(2026, 3 if number % 2 else 4, 1 + number % 27, 12, tzinfo=LONDON),
        )
    answered = PublicResponseFactory(
        consultation=first,
        channel=Channel.WEB,
        published_text="",
        received_at=datetime(2026, 4, 2, 12, tzinfo=LONDON),
    )
    PublicAnswerFactory(
        response=answered,
        question=free_text,
        question_text=free_text.text,
        published_text="Buses to the hospital.",
    )
    for number in range(4):
        PublicResponseFactory(
            consultation=second,
            published_text=f"Night buses {number}",
            received_at=datetime(2026, 5, 1 + number, 12, tzinfo=LONDON),
        )
    # Never counted: held back, or words only in the unpublished original.
    ResponseFactory(
        consultation=first,
        published_text="Buses buses buses",
        moderation_state=ModerationState.PENDING,
    )
    PublicResponseFactory(
        consultation=first, text="ORIGINAL buses", published_text="Fewer lorries, quieter nights."
    )
    return {"first": first, "second": second, "question": free_text}


def _drain(backend=None) -> None:
    assert not search_index_drain().failed
    if backend is not None:
        backend.get_index_for_model(Response).refresh()


def _api_count(client, **params) -> int:
    answer = client.get("/api/v1/responses/", params)
    assert answer.status_code == 200, answer.content
    return answer.json()["count"]


def _listing_total(consultation, **filters) -> int:
    # What the responses page (consultation) or the site search (None) shows as its total.
    return responses_search(filters=ResponseFilters(**filters), consultation=consultation).total


def _assert_same_totals_as_the_listing(client, streets) -> None:
    first, second, question = streets["first"], streets["second"], streets["question"]
    march = datetime(2026, 3, 31, tzinfo=LONDON)
    cases = [
        ({"q": "buses"}, None, {"q": "buses"}),
        ({"q": "buses", "consultation": first.slug}, first, {"q": "buses"}),
        ({"q": "buses", "consultation": second.slug}, second, {"q": "buses"}),
        (
            {"q": "buses", "consultation": first.slug, "channel": "web"},
            first,
            {"q": "buses", "channels": ("web",)},
        ),
        (
            {"q": "hospital", "consultation": first.slug, "question": question.pk},
            first,
            {"q": "hospital", "question_ids": (question.pk,)},
        ),
        (
            {"q": "buses", "consultation": first.slug, "since": march.isoformat()},
            first,
            {"q": "buses", "since": march},
        ),
        ({"q": "lorries"}, None, {"q": "lorries"}),
        ({"q": "zeppelin"}, None, {"q": "zeppelin"}),
    ]
    for params, consultation, filters in cases:
        assert _api_count(client, **params) == _listing_total(consultation, **filters), params
    # Not trivially equal: the totals are the matches, past a page, and filters narrow them.
    assert _api_count(client, q="buses") == MANY + 1 + 4
    assert _api_count(client, q="buses", consultation=first.slug) == MANY + 1
    assert _api_count(client, q="buses", consultation=first.slug, channel="web") == 19 + 1
    assert _api_count(client, q="hospital", question=question.pk) == 1
    assert _api_count(client, q="buses", since=march.isoformat()) == 29 + 1 + 4
    assert _api_count(client, q="lorries") == 1
    assert _api_count(client, q="zeppelin") == 0


def _assert_pages_cover_every_match(client, consultation) -> None:
    first = client.get("/api/v1/responses/", {"q": "buses", "consultation": consultation.slug})
    body = first.json()
    assert (body["count"], body["pages"], len(body["results"])) == (MANY + 1, 2, 50)
    second = client.get(body["next"]).json()
    assert len(second["results"]) == MANY + 1 - 50
    seen = [item["reference"] for item in body["results"] + second["results"]]
    assert len(set(seen)) == MANY + 1
    moments = [item["received_at"] for item in body["results"] + second["results"]]
    assert moments == sorted(moments, reverse=True)  # newest first, as without q
    past = client.get(
        "/api/v1/responses/", {"q": "buses", "consultation": consultation.slug, "page": 3}
    )
    assert past.status_code == 404
    assert "last page is 2" in past.json()["detail"]


def test_api_search_totals_equal_the_listings_on_the_database_backend(
    client, database_search, streets
):
    _drain()
    _assert_same_totals_as_the_listing(client, streets)
    _assert_pages_cover_every_match(client, streets["first"])


@pytest.mark.search_node
def test_api_search_totals_equal_the_listings_on_opensearch(client, node_search, streets):
    _drain(node_search)
    _assert_same_totals_as_the_listing(client, streets)
    _assert_pages_cover_every_match(client, streets["first"])


def test_api_search_on_the_database_backend_needs_no_modelsearch_index_of_responses(
    client, database_search, streets
):
    index_entries = get_app_config().get_model("IndexEntry").objects
    _drain()

    # The drain writes the public search's documents only: nothing else reads
    # modelsearch's own entries for responses (the admin searches the record directly).
    response_type = ContentType.objects.get_for_model(Response)
    assert not index_entries.filter(content_type=response_type).exists()
    assert _api_count(client, q="buses") == MANY + 1 + 4
