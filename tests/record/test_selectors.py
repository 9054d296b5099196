"""The one definition of "public" and the accountability figures built on it."""

from __future__ import annotations

import pytest
from django.utils import timezone
from wagtail.models import PageViewRestriction

from engagement.record.models import ModerationReason, ModerationState
from engagement.record.selectors import (
    NOTHING_TO_PUBLISH,
    REASON_NOT_RECORDED,
    accountability_counts,
    public_responses,
)
from tests.factories.consultations import ConsultationPageFactory
from tests.factories.record import AnswerFactory, ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def consultation(home_page):
    return ConsultationPageFactory(title="Quieter streets")


def _approved(consultation, **fields):
    values = {"published_text": "Published words.", "moderation_state": ModerationState.APPROVED}
    values.update(fields)
    return ResponseFactory(consultation=consultation, **values)


def test_only_approved_responses_with_published_words_are_public(consultation):
    approved = _approved(consultation)
    _approved(consultation, moderation_state=ModerationState.PENDING)
    _approved(
        consultation,
        moderation_state=ModerationState.HIDDEN,
        moderation_reason=ModerationReason.SPAM,
    )
    _approved(
        consultation,
        moderation_state=ModerationState.WITHDRAWN,
        withdrawn_at=timezone.now(),
        text="",
        published_text="",
    )

    assert list(public_responses(consultation=consultation)) == [approved]


def test_approved_response_not_yet_redacted_is_not_public(consultation):
    # Recorded before redaction existed: published_text is empty until redact_existing runs.
    _approved(consultation, text="Call me on 07700 900123", published_text="")

    assert not public_responses(consultation=consultation).exists()


def test_approved_response_with_only_choice_answers_is_public(consultation):
    response = _approved(consultation, text="", published_text="")
    AnswerFactory(response=response, text="", published_text="", choices=["Yes"])
    empty = _approved(consultation, text="", published_text="")
    AnswerFactory(response=empty, text="", published_text="", choices=[])

    assert list(public_responses(consultation=consultation)) == [response]


def test_approved_response_with_a_published_answer_is_public_once(consultation):
    response = _approved(consultation, published_text="")
    AnswerFactory(response=response, text="Original", published_text="Redacted")
    AnswerFactory(response=response, text="Second", published_text="Second")

    assert list(public_responses(consultation=consultation)) == [response]


def test_withdrawal_time_alone_keeps_a_response_out_of_public(consultation):
    _approved(consultation, withdrawn_at=timezone.now())

    assert not public_responses(consultation=consultation).exists()


def test_responses_of_an_unpublished_consultation_are_not_public(home_page):
    draft = ConsultationPageFactory(title="Not yet announced", live=False)
    _approved(draft)

    assert not public_responses().exists()


def test_responses_of_a_consultation_behind_a_view_restriction_are_not_public(consultation):
    _approved(consultation)
    PageViewRestriction.objects.create(
        page=consultation, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )

    assert not public_responses().exists()
    assert not public_responses(consultation=consultation).exists()


def test_public_responses_without_a_consultation_covers_all_of_them(home_page):
    first = _approved(ConsultationPageFactory(title="First"))
    second = _approved(ConsultationPageFactory(title="Second"))

    assert set(public_responses()) == {first, second}
    assert list(public_responses(consultation=first.consultation)) == [first]


def test_accountability_counts_add_up_and_split_hidden_by_reason(consultation):
    other = ConsultationPageFactory(title="Another one")
    _approved(other)
    for _ in range(3):
        _approved(consultation)
    for _ in range(2):
        _approved(consultation, moderation_state=ModerationState.PENDING, published_text="")
    _approved(
        consultation,
        moderation_state=ModerationState.HIDDEN,
        moderation_reason=ModerationReason.ABUSIVE,
    )
    for _ in range(2):
        _approved(
            consultation,
            moderation_state=ModerationState.HIDDEN,
            moderation_reason=ModerationReason.PERSONAL_DATA,
        )
    _approved(
        consultation,
        moderation_state=ModerationState.WITHDRAWN,
        withdrawn_at=timezone.now(),
        text="",
        published_text="",
    )

    counts = accountability_counts(consultation=consultation)

    assert counts.collected == 9
    assert counts.published == 3
    assert counts.pending == 2
    assert counts.hidden == 3
    assert counts.withdrawn == 1
    assert counts.hidden_by_reason == {
        "abusive": 1,
        "off_topic": 0,
        "spam": 0,
        "personal_data": 2,
        "legal": 0,
    }
    assert counts.published + counts.pending + counts.hidden + counts.withdrawn == (
        counts.collected
    )
    assert [label for _key, label, _count in counts.hidden_reasons()] == [
        "Abusive",
        "Personal data",
    ]


def test_accountability_published_matches_public_responses(consultation):
    _approved(consultation)
    _approved(consultation, published_text="")  # approved, but nothing to show
    _approved(consultation, moderation_state=ModerationState.HIDDEN, moderation_reason="")

    counts = accountability_counts(consultation=consultation)

    assert counts.published == public_responses(consultation=consultation).count() == 1
    assert counts.hidden_by_reason[NOTHING_TO_PUBLISH] == 1
    assert counts.hidden_by_reason[REASON_NOT_RECORDED] == 1
    assert counts.hidden == 2
    assert counts.collected == counts.published + counts.pending + counts.hidden + counts.withdrawn


def test_accountability_counts_are_zero_for_a_consultation_without_responses(consultation):
    counts = accountability_counts(consultation=consultation)

    assert (counts.collected, counts.published, counts.pending, counts.hidden) == (0, 0, 0, 0)
    assert set(counts.hidden_by_reason) == set(ModerationReason.values)
    assert counts.hidden_reasons() == []
