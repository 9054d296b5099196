"""A citizen owns only their own words: the name shown with a web response is the one
given with it, redacted like text, and shown only once a moderator approved it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from modelsearch.backends import get_search_backend

from engagement.moderation.services import response_moderate
from engagement.record.models import ModerationState, Response
from search.services import search_index_drain
from tests.factories.consultations import UserFactory, consultation_with_questions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def consultation(home_page):
    return consultation_with_questions(title="Quieter streets")


@pytest.fixture
def moderator(db):
    return UserFactory(username="moderator", is_superuser=True)


def _respond(client, consultation, **fields):
    free_text = consultation.questions.get(kind="free_text")
    data = {
        f"question_{free_text.pk}": "Fewer lorries at night, please.",
        "consent_to_publish": "on",
    }
    data.update(fields)
    answer = client.post(consultation.url + "respond/", data)
    assert answer.status_code == 302, answer.content[:500]
    return Response.objects.order_by("-pk").first()


def _public_views(client, consultation, response) -> dict[str, str]:
    """What the public sees of one response on each route that names respondents."""
    # The listing is answered by the search node: send it what a worker would have sent
    # after each commit (the test's transaction never commits).
    assert not search_index_drain().failed
    get_search_backend().get_index_for_model(Response).refresh()
    slug = consultation.slug
    pages = {
        "permalink": f"/consultations/{slug}/responses/{response.reference}/",
        "listing": f"/consultations/{slug}/responses/",
        "csv": f"/consultations/{slug}/responses.csv",
        "json": f"/consultations/{slug}/responses.json",
        "api": f"/api/v1/responses/?consultation={slug}",
    }
    seen = {}
    for name, url in pages.items():
        answer = client.get(url)
        assert answer.status_code == 200, url
        body = (b"".join(answer.streaming_content) if answer.streaming else answer.content).decode()
        seen[name] = body
    return seen


def test_a_second_submission_with_the_same_email_cannot_rename_an_approved_response(
    client, consultation, moderator
):
    first = _respond(
        client, consultation, name="Ada Lovelace", email="ada@example.org", publish_name="on"
    )
    response_moderate(response=first, to_state=ModerationState.APPROVED, by=moderator)

    # The attacker knows Ada's email address.
    _respond(
        client,
        consultation,
        name="Mallory Impostor",
        email="ada@example.org",
        publish_name="on",
    )

    for route, body in _public_views(client, consultation, first).items():
        assert "Ada Lovelace" in body, route
        assert "Mallory Impostor" not in body, route


def test_a_second_submission_cannot_withdraw_the_name_shown_on_an_earlier_response(
    client, consultation, moderator
):
    first = _respond(
        client, consultation, name="Ada Lovelace", email="ada@example.org", publish_name="on"
    )
    response_moderate(response=first, to_state=ModerationState.APPROVED, by=moderator)

    _respond(client, consultation, email="ada@example.org")

    assert "Ada Lovelace" in _public_views(client, consultation, first)["permalink"]


def test_a_name_is_redacted_like_text(client, consultation, moderator):
    response = _respond(client, consultation, name="Ring 07700 900999", email="", publish_name="on")
    response_moderate(response=response, to_state=ModerationState.APPROVED, by=moderator)

    for route, body in _public_views(client, consultation, response).items():
        assert "07700 900999" not in body, route
        assert "900999" not in body, route
        assert "Ring" in body, route


def test_a_name_is_shown_only_once_a_moderator_approved_it(client, consultation, moderator):
    consultation.auto_approve_responses = True
    consultation.save_revision().publish()

    named = _respond(client, consultation, name="Ada Lovelace", publish_name="on")
    anonymous = _respond(client, consultation)

    named.refresh_from_db()
    anonymous.refresh_from_db()
    # Without a name to show, the auto-approve policy publishes as before...
    assert anonymous.moderation_state == ModerationState.APPROVED
    # ...but a name waits for a person.
    assert named.moderation_state == ModerationState.PENDING
    assert "Ada Lovelace" not in client.get(f"/consultations/{consultation.slug}/responses/").text

    response_moderate(response=named, to_state=ModerationState.APPROVED, by=moderator)
    assert "Ada Lovelace" in _public_views(client, consultation, named)["permalink"]


def test_a_name_given_without_consent_to_show_it_is_never_shown(client, consultation, moderator):
    response = _respond(client, consultation, name="Ada Lovelace", email="ada@example.org")
    response_moderate(response=response, to_state=ModerationState.APPROVED, by=moderator)

    for route, body in _public_views(client, consultation, response).items():
        assert "Ada Lovelace" not in body, route
        # The consultation's pseudonym stands in for the name.
        assert response.public_name.startswith("Respondent R-")
        assert response.public_name in body, route
