"""Abuse of the web response form: the rate limit cannot be dodged by rotating IPv6
addresses, and one answer cannot carry thousands of copies of a choice."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from engagement.record.models import Answer, Response
from tests.factories.consultations import consultation_with_questions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def consultation(home_page):
    return consultation_with_questions(title="Quieter streets")


def _answers(consultation, **extra):
    free_text = consultation.questions.get(kind="free_text")
    return {f"question_{free_text.pk}": "Fewer lorries, please.", **extra}


def test_one_ipv6_client_rotating_addresses_in_its_64_is_limited_as_one(
    client, consultation, settings
):
    settings.HUB_RESPONSE_RATE_LIMIT = 2
    form = consultation.url + "respond/"
    statuses = [
        client.post(form, _answers(consultation), REMOTE_ADDR=f"2001:db8:1:2::{n:x}").status_code
        for n in range(1, 6)
    ]

    assert statuses == [302, 302, 429, 429, 429]
    assert Response.objects.count() == 2
    # A neighbour in another /64 has a count of its own.
    other = client.post(form, _answers(consultation), REMOTE_ADDR="2001:db8:1:3::1")
    assert other.status_code == 302


def test_an_ipv4_client_is_the_same_client_written_as_an_ipv4_mapped_ipv6_address(
    client, consultation, settings
):
    settings.HUB_RESPONSE_RATE_LIMIT = 1
    form = consultation.url + "respond/"
    assert client.post(form, _answers(consultation), REMOTE_ADDR="192.0.2.9").status_code == 302

    again = client.post(form, _answers(consultation), REMOTE_ADDR="::ffff:192.0.2.9")

    assert again.status_code == 429


def test_thousands_of_copies_of_one_choice_are_recorded_once(client, consultation):
    several = consultation.questions.get(kind="multiple_choice")
    form = consultation.url + "respond/"

    answer = client.post(
        form,
        _answers(
            consultation, **{f"question_{several.pk}": ["More buses"] * 9000 + ["Cycle lanes"]}
        ),
    )

    assert answer.status_code == 302
    stored = Answer.objects.get(question=several)
    assert stored.choices == ["More buses", "Cycle lanes"]


def test_the_record_bounds_choices_by_the_questions_options_whatever_the_caller(consultation):
    from django.utils import timezone

    from engagement.record.services import AnswerInput, RespondentInput, response_record

    several = consultation.questions.get(kind="multiple_choice")
    response = response_record(
        consultation=consultation,
        channel="letter",
        text="",
        received_at=timezone.now(),
        respondent=RespondentInput(external_id="letter-1"),
        answers=[AnswerInput(question_id=several.pk, choices=("Park and ride",) * 5000)],
    )

    assert response.answers.get().choices == ["Park and ride"]
