"""Unlinkable pseudonyms: one person answering two consultations is two strangers in public."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.crypto import salted_hmac

from engagement.moderation.services import response_moderate
from engagement.record.models import PSEUDONYM_ALPHABET, ModerationState, public_pseudonym
from engagement.record.services import web_response_record
from tests.factories.consultations import consultation_with_questions

pytestmark = pytest.mark.django_db


def _public(client, slug: str, reference: str) -> str:
    urls = [
        reverse("hubsearch:consultation_responses", kwargs={"slug": slug}),
        reverse("hubsearch:consultation_response", kwargs={"slug": slug, "reference": reference}),
        reverse("consultation_responses_csv", kwargs={"slug": slug}),
        reverse("consultation_responses_json", kwargs={"slug": slug}),
        f"/api/v1/responses/?consultation={slug}",
    ]
    bodies = []
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        bodies.append(body.decode())
    return "\n".join(bodies)


def test_one_person_in_two_consultations_has_two_unlinkable_pseudonyms(
    home_page, client, admin_user, settings
):
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    first = consultation_with_questions(title="Quieter streets")
    second = consultation_with_questions(title="Cleaner air")
    responses = []
    for consultation in (first, second):
        question = consultation.questions.order_by("sort_order", "pk").first()
        response = web_response_record(
            consultation=consultation,
            answers={question.pk: "More trees please"},
            name="Ada Lovelace",
            email="ada@example.org",
            consent_to_publish=True,
        )
        response_moderate(response=response, to_state=ModerationState.APPROVED, by=admin_user)
        responses.append(response)
    in_first, in_second = responses
    # The same person in the record (one respondent, one email)...
    assert in_first.respondent_id == in_second.respondent_id
    # ...but two names in public, neither of them the record-wide pseudonym.
    assert in_first.public_name != in_second.public_name
    first_public = _public(client, first.slug, in_first.reference)
    second_public = _public(client, second.slug, in_second.reference)
    assert in_first.public_name in first_public and in_second.public_name in second_public
    assert in_first.public_name not in second_public
    assert in_second.public_name not in first_public
    record_wide = f"Respondent {in_first.respondent.pseudonym}"
    assert record_wide not in first_public and record_wide not in second_public
    assert "Ada" not in first_public + second_public


def test_pseudonym_is_stable_within_a_consultation_and_keyed(settings):
    one = public_pseudonym(respondent_id=7, consultation_id=3)
    assert one == public_pseudonym(respondent_id=7, consultation_id=3)
    assert one != public_pseudonym(respondent_id=7, consultation_id=4)
    assert len({public_pseudonym(respondent_id=n, consultation_id=3) for n in range(5000)}) == 5000
    settings.SECRET_KEY = "another-key-" + "x" * 50
    assert one != public_pseudonym(respondent_id=7, consultation_id=3)


def _pseudonym_as_first_written(respondent_id: int, consultation_id: int, secret: str) -> str:
    digest = salted_hmac(
        "engagement.record.pseudonym",
        f"{respondent_id}:{consultation_id}",
        secret=secret,
        algorithm="sha256",
    ).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(8):
        number, index = divmod(number, len(PSEUDONYM_ALPHABET))
        chars.append(PSEUDONYM_ALPHABET[index])
    return f"R-{''.join(chars[:4])}-{''.join(chars[4:])}"


@pytest.mark.parametrize("secret", ["first-secret-key", "rotated-secret-key"])
def test_pseudonyms_are_the_keyed_hash_they_always_were(settings, secret):
    # Published exports carry these names: a faster derivation must not rename anyone,
    # and a new SECRET_KEY must not be answered with the old key's names.
    settings.SECRET_KEY = secret
    for respondent_id, consultation_id in [(1, 1), (7, 3), (123_456, 42), (10**12, 9)]:
        assert public_pseudonym(
            respondent_id=respondent_id, consultation_id=consultation_id
        ) == _pseudonym_as_first_written(respondent_id, consultation_id, secret)
