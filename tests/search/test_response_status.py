"""/response-status/: a response's state in plain words for whoever holds its reference."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from engagement.record.models import (
    ModerationReason,
    ModerationState,
    WithdrawalReason,
)
from engagement.record.services import reference_generate
from tests.factories.consultations import ConsultationPageFactory
from tests.factories.record import ResponseFactory
from tests.factories.search import PublicResponseFactory

STATUS = "/response-status/"
SECRET_WORDS = "my neighbour at number 12 parks on the verge"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def consultation(home_page):
    return ConsultationPageFactory(title="Quieter streets", slug="quieter-streets")


def _response(consultation, factory=ResponseFactory, **fields):
    return factory(
        consultation=consultation, reference=reference_generate(), text=SECRET_WORDS, **fields
    )


def _look_up(client, reference: str):
    return client.post(STATUS, {"reference": reference})


def _heading(page) -> str:
    match = re.search(r'<h1 class="govuk-heading-xl" id="response-status">([^<]+)</h1>', page.text)
    assert match, page.text
    return match.group(1)


@pytest.mark.django_db
def test_a_published_response_links_to_its_place_in_the_public_record(client, consultation):
    response = _response(
        consultation, PublicResponseFactory, published_text="Fewer lorries at night."
    )

    page = _look_up(client, response.reference)

    assert page.status_code == 200
    assert _heading(page) == "Published"
    permalink = f"/consultations/quieter-streets/responses/{response.reference}/"
    assert f'href="{permalink}"' in page.text
    assert "Fewer lorries at night." in client.get(permalink).text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "heading", "explained"),
    [
        (
            {"moderation_state": ModerationState.PENDING},
            "Waiting for moderation",
            "moderator will read",
        ),
        (
            {
                "moderation_state": ModerationState.HIDDEN,
                "moderation_reason": ModerationReason.OFF_TOPIC,
            },
            "Not published",
            "not about the consultation",
        ),
        (
            {
                "moderation_state": ModerationState.HIDDEN,
                "moderation_reason": ModerationReason.PERSONAL_DATA,
            },
            "Not published",
            "personal information that could not be removed",
        ),
        (
            {
                "moderation_state": ModerationState.WITHDRAWN,
                "withdrawn_reason": WithdrawalReason.DELETED_AT_SOURCE,
            },
            "Withdrawn",
            "you deleted it",
        ),
        (
            {"moderation_state": ModerationState.ERASED},
            "Erased on request",
            "erased at your request",
        ),
    ],
)
def test_each_state_is_said_in_plain_words_and_nothing_of_the_words_is_shown(
    client, consultation, fields, heading, explained
):
    response = _response(consultation, **fields)

    page = _look_up(client, response.reference)

    assert _heading(page) == heading
    assert explained in page.text
    assert SECRET_WORDS not in page.text
    assert "/responses/" not in page.text  # no permalink before publication


@pytest.mark.django_db
def test_an_approved_response_of_a_consultation_taken_down_names_nothing_of_it(
    client, consultation
):
    response = _response(consultation, PublicResponseFactory)
    consultation.unpublish()

    page = _look_up(client, response.reference)

    assert _heading(page) == "Approved, not public yet"
    assert "Quieter streets" not in page.text
    assert "/responses/" not in page.text


@pytest.mark.django_db
def test_a_reference_as_people_copy_it_is_still_found(client, consultation):
    response = _response(consultation, moderation_state=ModerationState.PENDING)
    sloppy = response.reference.lower().replace("-", " ").removeprefix("hub ")

    page = client.get(STATUS, {"reference": f"  {sloppy} "})

    assert _heading(page) == "Waiting for moderation"


@pytest.mark.django_db
def test_unknown_references_get_the_same_answer_whoever_asks(client, consultation):
    _response(consultation, moderation_state=ModerationState.PENDING)
    first, second = "HUB-2222-2222", "HUB-ZZZZ-ZZZZ"

    answers = [_look_up(client, reference) for reference in (first, second)]

    assert [answer.status_code for answer in answers] == [200, 200]
    assert "No response has this reference" in answers[0].text
    # The same page apart from the echoed reference and the per-answer CSRF token and nonce.
    shapes = [
        re.sub(r'(value|nonce)="[^"]+"', "", answer.text.replace(reference, "REF"))
        for answer, reference in zip(answers, (first, second), strict=True)
    ]
    assert shapes[0] == shapes[1]


@pytest.mark.django_db
def test_a_malformed_reference_gets_a_field_error(client):
    page = _look_up(client, "not a reference")

    assert page.status_code == 200
    assert "govuk-error-summary" in page.text
    assert "in the format HUB-XXXX-XXXX" in page.text


@pytest.mark.django_db
def test_lookups_are_rate_limited_per_client(client, consultation, settings):
    settings.HUB_STATUS_LOOKUP_LIMIT = 3
    response = _response(consultation, moderation_state=ModerationState.PENDING)

    answers = [_look_up(client, "HUB-2222-2222").status_code for _ in range(3)]
    over = _look_up(client, response.reference)
    elsewhere = _look_up(type(client)(REMOTE_ADDR="198.51.100.7"), response.reference)

    assert answers == [200, 200, 200]
    assert over.status_code == 429
    assert "Waiting for moderation" not in over.text
    assert _heading(elsewhere) == "Waiting for moderation"
    # The empty form costs nothing.
    assert client.get(STATUS).status_code == 200


@pytest.mark.django_db
def test_the_welsh_status_page_names_the_consultation_as_the_welsh_page_does(client, consultation):
    from tests.factories.consultations import welsh_translation

    welsh_translation(consultation, title="Strydoedd tawelach")
    response = _response(consultation, PublicResponseFactory, published_text="Llai o lorïau.")

    welsh = client.post(f"/cy{STATUS}", {"reference": response.reference})
    english = _look_up(client, response.reference)

    assert welsh.status_code == 200
    assert "“Strydoedd tawelach”" in welsh.text
    assert "Quieter streets" not in welsh.text
    assert "“Quieter streets”" in english.text
