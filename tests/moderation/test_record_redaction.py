"""Redaction, screening and auto-approval applied as the record is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engagement.moderation.models import ModerationDecision
from engagement.moderation.services import response_text_update, responses_withdraw
from engagement.record.models import Channel, ModerationState, Response
from engagement.record.selectors import public_responses
from engagement.record.services import (
    AnswerInput,
    RespondentInput,
    ResponseInput,
    response_record,
    responses_record_batch,
)
from tests.factories.consultations import QuestionFactory

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2027, 3, 2, 10, 30, tzinfo=UTC)
PRIVATE_DETAILS = "Ring me on 07700 900123 or jo@example.com, ask @neighbour_jo or @transportgovuk"


def _record(consultation, *, text=PRIVATE_DETAILS, external_id="status-1", **fields):
    return response_record(
        consultation=consultation,
        channel="mastodon",
        text=text,
        received_at=RECEIVED,
        respondent=RespondentInput(external_id="user-1"),
        external_id=external_id,
        **fields,
    )


def test_recorded_response_is_published_only_in_redacted_form(consultation):
    response = _record(consultation)

    assert response.text == PRIVATE_DETAILS
    assert response.published_text == (
        "Ring me on [phone number removed] or [email removed], ask [name removed] "
        "or @transportgovuk"
    )
    assert [removal["kind"] for removal in response.redactions] == ["phone", "email", "mention"]
    first = response.redactions[0]
    assert PRIVATE_DETAILS[first["start"] : first["end"]] == "07700 900123"


def test_department_mastodon_and_bluesky_handles_stay_published(consultation):
    response = _record(
        consultation,
        text="Thanks @transport@social.example.gov.uk and @transport.bsky.social, not @jo",
    )

    assert response.published_text == (
        "Thanks @transport@social.example.gov.uk and @transport.bsky.social, not [name removed]"
    )


def test_mentions_stay_when_the_consultation_keeps_them(consultation):
    consultation.redact_private_mentions = False
    consultation.save()

    response = _record(consultation, text="I agree with @neighbour_jo, call 07700 900123")

    assert response.published_text == "I agree with @neighbour_jo, call [phone number removed]"


def test_web_answers_are_redacted_and_screened(consultation):
    question = QuestionFactory(page=consultation, text="How would this affect you?")
    response = response_record(
        consultation=consultation,
        channel=Channel.WEB,
        text="",
        received_at=RECEIVED,
        respondent=RespondentInput(email="someone@example.com"),
        answers=[AnswerInput(question_id=question.pk, text="My postcode is SW1A 1AA, shit plan")],
    )

    answer = response.answers.get()
    assert answer.published_text == "My postcode is [postcode removed], shit plan"
    assert [entry["term"] for entry in response.flagged_terms] == ["shit"]


def test_batch_redacts_screens_and_auto_approves_only_clean_responses(consultation):
    consultation.auto_approve_responses = True
    consultation.save()
    items = [
        ResponseInput(
            channel="mastodon",
            text=text,
            received_at=RECEIVED + timedelta(seconds=number),
            respondent=RespondentInput(external_id=f"user-{number}"),
            external_id=f"status-{number}",
        )
        for number, text in enumerate(["Email me at jo@example.com", "What a load of b0ll0cks"])
    ]

    result = responses_record_batch(consultation=consultation, items=items)

    assert result.created == 2
    clean = Response.objects.get(external_id="status-0")
    flagged = Response.objects.get(external_id="status-1")
    assert clean.published_text == "Email me at [email removed]"
    assert clean.moderation_state == ModerationState.APPROVED
    assert flagged.moderation_state == ModerationState.PENDING
    assert flagged.flagged_terms[0]["term"] == "bollocks"
    decision = ModerationDecision.objects.get(response=clean)
    assert decision.automatic and decision.decided_by is None
    assert (decision.from_state, decision.to_state) == ("pending", "approved")
    assert not ModerationDecision.objects.filter(response=flagged).exists()
    assert list(public_responses(consultation=consultation)) == [clean]


def test_single_response_is_auto_approved_under_the_policy(consultation):
    consultation.auto_approve_responses = True
    consultation.save()

    response = _record(consultation, text="Good idea")

    assert response.moderation_state == ModerationState.APPROVED
    assert response.decisions.get().automatic


def test_without_the_policy_new_responses_wait_for_a_moderator(consultation):
    response = _record(consultation, text="Good idea")

    assert response.moderation_state == ModerationState.PENDING
    assert not response.decisions.exists()


def test_edit_at_source_is_redacted_again_and_goes_back_to_pending_with_a_decision(
    consultation,
):
    response = _record(consultation, text="Good idea")
    Response.objects.filter(pk=response.pk).update(
        moderation_state=ModerationState.APPROVED, published_text="Good idea"
    )

    assert response_text_update(
        response_id=response.pk, text="Good idea, call 07700 900123", edited_at=None
    )

    response.refresh_from_db()
    assert response.published_text == "Good idea, call [phone number removed]"
    assert response.moderation_state == ModerationState.PENDING
    decision = response.decisions.get()
    assert decision.automatic and (decision.from_state, decision.to_state) == (
        "approved",
        "pending",
    )


def test_edit_at_source_under_auto_approve_is_approved_again_unless_flagged(consultation):
    consultation.auto_approve_responses = True
    consultation.save()
    response = _record(consultation, text="Good idea")

    response_text_update(response_id=response.pk, text="Good idea, honestly", edited_at=None)
    response.refresh_from_db()
    assert response.moderation_state == ModerationState.APPROVED
    assert response.decisions.count() == 3  # approved, back to pending, approved again

    response_text_update(response_id=response.pk, text="Shit idea", edited_at=None)
    response.refresh_from_db()
    assert response.moderation_state == ModerationState.PENDING
    assert response.flagged_terms[0]["term"] == "shit"


def test_withdrawal_leaves_a_tombstone_with_no_published_words(consultation):
    question = QuestionFactory(page=consultation, text="Why?")
    response = _record(
        consultation, answers=[AnswerInput(question_id=question.pk, text="Because 07700 900123")]
    )
    Response.objects.filter(pk=response.pk).update(moderation_state=ModerationState.APPROVED)

    assert responses_withdraw(
        channel="mastodon", external_ids=["status-1"], reason="deleted_at_source"
    )

    response.refresh_from_db()
    assert (response.text, response.published_text, response.redactions) == ("", "", [])
    assert response.answers.get().published_text == ""
    decision = response.decisions.get()
    assert decision.automatic
    assert (decision.from_state, decision.to_state) == ("approved", "withdrawn")
    assert not public_responses(consultation=consultation).exists()


def test_auto_approved_batch_is_queued_for_the_search_index_in_the_same_transaction(
    consultation,
):
    """Bulk updates send no signals; without the queue rows only beat's sweep would find them."""
    from search.models import SearchIndexQueue

    consultation.auto_approve_responses = True
    consultation.save()
    items = [
        ResponseInput(
            channel="bluesky",
            text=f"Reply number {number} about quieter streets",
            received_at=RECEIVED + timedelta(seconds=number),
            respondent=RespondentInput(external_id=f"did:plc:user{number}"),
            external_id=f"at://did:plc:user{number}/app.bsky.feed.post/{number}",
        )
        for number in range(3)
    ]

    responses_record_batch(consultation=consultation, items=items)

    approved = set(
        Response.objects.filter(moderation_state=ModerationState.APPROVED).values_list(
            "pk", flat=True
        )
    )
    queued = set(
        SearchIndexQueue.objects.filter(model="record.Response").values_list("object_pk", flat=True)
    )
    assert len(approved) == 3
    assert {str(pk) for pk in approved} <= queued


def test_withdrawal_at_the_source_is_queued_for_removal_from_the_search_index(consultation):
    from engagement.moderation.services import responses_withdraw
    from engagement.record.models import WithdrawalReason
    from search.models import SearchIndexQueue

    response = _record(consultation, text="Please keep the bus route")
    SearchIndexQueue.objects.all().delete()

    responses_withdraw(
        channel=response.channel,
        external_ids=[response.external_id],
        reason=WithdrawalReason.DELETED_AT_SOURCE,
    )

    assert SearchIndexQueue.objects.filter(
        model="record.Response", object_pk=str(response.pk)
    ).exists()
