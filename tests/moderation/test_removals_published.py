"""Issue 12: the public page of a response says how many personal details were removed
(and of what kinds), and the open data gives the count, never what was removed."""

from __future__ import annotations

import csv
import io
import json

import pytest

from engagement.moderation.removals import removals_summary
from engagement.moderation.services import response_moderate, response_redact_further
from engagement.record.models import ModerationState, Response
from tests.factories.consultations import QuestionFactory

pytestmark = pytest.mark.django_db

PHONE = "07700 900123"
EMAIL = "jo.bloggs@example.com"


def _respond_on_the_form(client, consultation, text: str) -> Response:
    question = QuestionFactory(page=consultation, text="What would help?")
    sent = client.post(
        consultation.url + "respond/",
        {f"question_{question.pk}": text, "consent_to_publish": "on"},
    )
    assert sent.status_code == 302, sent.text
    return Response.objects.get(consultation=consultation)


def _approved(response: Response, moderator) -> Response:
    return response_moderate(response=response, to_state=ModerationState.APPROVED, by=moderator)


def _download(client, path: str) -> str:
    return b"".join(client.get(path).streaming_content).decode()


def _public_page(client, response: Response) -> str:
    page = client.get(
        f"/consultations/{response.consultation.slug}/responses/{response.reference}/"
    )
    assert page.status_code == 200
    return page.text


def test_public_page_and_open_data_count_a_planted_phone_and_email(client, consultation, moderator):
    response = _respond_on_the_form(
        client, consultation, f"Call me on {PHONE} or write to {EMAIL} about the crossing"
    )
    response = _approved(response, moderator)

    page = _public_page(client, response)
    api = client.get(f"/api/v1/responses/?consultation={consultation.slug}").json()
    exported = json.loads(_download(client, f"/consultations/{consultation.slug}/responses.json"))
    rows = list(
        csv.DictReader(
            io.StringIO(_download(client, f"/consultations/{consultation.slug}/responses.csv"))
        )
    )

    assert "2 personal details removed before publishing: a phone number and an email address." in (
        page
    )
    [item] = api["results"]
    assert item["personal_details_removed"] == 2
    assert exported[0]["personal_details_removed"] == 2
    assert rows[0]["personal_details_removed"] == "2"
    # The count, never the values.
    for body in (page, json.dumps(api), json.dumps(exported), json.dumps(rows)):
        assert PHONE not in body
        assert EMAIL not in body
        assert "jo.bloggs" not in body


def test_a_response_with_nothing_removed_says_nothing_about_removals(
    client, consultation, moderator
):
    response = _approved(
        _respond_on_the_form(client, consultation, "More crossings near the school"), moderator
    )

    page = _public_page(client, response)
    [item] = client.get(f"/api/v1/responses/?consultation={consultation.slug}").json()["results"]

    assert "personal detail" not in page
    assert item["personal_details_removed"] == 0


def test_one_detail_is_singular_and_a_moderators_removal_counts_too(
    client, consultation, moderator
):
    response = _respond_on_the_form(client, consultation, f"I am Jo Bloggs and my email is {EMAIL}")
    response = _approved(response, moderator)
    assert "1 personal detail removed before publishing: an email address." in _public_page(
        client, response
    )

    response = response_redact_further(
        response=response,
        published_text=response.published_text.replace("Jo Bloggs", "[name removed]"),
        by=moderator,
        note="Their name",
    )

    assert (
        "2 personal details removed before publishing: an email address and a detail "
        "removed by a moderator." in _public_page(client, response)
    )
    [item] = client.get(f"/api/v1/responses/?consultation={consultation.slug}").json()["results"]
    assert item["personal_details_removed"] == 2


def test_api_schema_documents_the_count():
    from engagement.opendata.api import api

    schema = api.get_openapi_schema()
    field = schema["components"]["schemas"]["ResponseOut"]["properties"]["personal_details_removed"]

    assert field["type"] == "integer"
    assert "never what they were" in field["description"]


# --- The wording ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kinds", "headline", "description"),
    [
        (["phone"], "1 personal detail removed", "a phone number"),
        (
            ["phone", "email", "phone"],
            "3 personal details removed",
            "2 phone numbers and an email address",
        ),
        (
            ["postcode", "nhs_number", "address"],
            "3 personal details removed",
            "a postcode, an NHS number and an address",
        ),
        (["bank_details", "bank_details"], "2 personal details removed", "2 sets of bank details"),
        (
            ["mention", "moderator"],
            "2 personal details removed",
            "an @-mention of a private person and a detail removed by a moderator",
        ),
        (["a_kind_added_later"], "1 personal detail removed", "another personal detail"),
    ],
)
def test_removals_are_described_in_plain_words(kinds, headline, description):
    summary = removals_summary([{"kind": kind, "start": 0, "end": 1} for kind in kinds])

    assert summary.count == len(kinds)
    assert summary.headline == headline
    assert summary.description == description


def test_no_removals_summarise_to_zero():
    assert removals_summary([]).count == 0
    assert removals_summary(None).count == 0
