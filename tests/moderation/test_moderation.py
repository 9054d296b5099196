"""Moderators' decisions: allowed moves, permissions per department, the audit trail."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from engagement.moderation.models import ModerationDecision
from engagement.moderation.services import (
    ModerationError,
    ModerationPermissionDenied,
    response_moderate,
    response_redact_further,
    responses_moderate_bulk,
)
from engagement.record.models import ModerationReason, ModerationState, Response
from engagement.record.selectors import public_responses
from tests.factories.consultations import ConsultationPageFactory
from tests.factories.record import AnswerFactory, ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(consultation):
    return ResponseFactory(
        consultation=consultation, text="I support this.", published_text="I support this."
    )


def test_moderator_approves_a_response_and_the_decision_is_audited(pending, moderator):
    response = response_moderate(
        response=pending, to_state=ModerationState.APPROVED, by=moderator, note="Fine"
    )

    assert response.moderation_state == ModerationState.APPROVED
    assert response.moderated_by == moderator
    assert response.moderated_at is not None
    decision = ModerationDecision.objects.get(response=pending)
    assert (decision.decided_by, decision.from_state, decision.to_state, decision.note) == (
        moderator,
        "pending",
        "approved",
        "Fine",
    )
    assert not decision.automatic
    assert list(public_responses()) == [pending]


def test_hiding_needs_a_reason_from_the_fixed_list(pending, moderator):
    with pytest.raises(ModerationError, match="Give a reason"):
        response_moderate(response=pending, to_state=ModerationState.HIDDEN, by=moderator)
    with pytest.raises(ModerationError, match="Unknown reason"):
        response_moderate(
            response=pending, to_state=ModerationState.HIDDEN, by=moderator, reason="rude"
        )

    pending.refresh_from_db()
    assert pending.moderation_state == ModerationState.PENDING
    assert not pending.decisions.exists()


def test_hidden_response_keeps_its_reason_and_can_be_approved_later(pending, moderator):
    response_moderate(
        response=pending,
        to_state=ModerationState.HIDDEN,
        by=moderator,
        reason=ModerationReason.OFF_TOPIC,
    )
    pending.refresh_from_db()
    assert pending.moderation_reason == ModerationReason.OFF_TOPIC

    response_moderate(response=pending, to_state=ModerationState.APPROVED, by=moderator)

    pending.refresh_from_db()
    assert pending.moderation_reason == ""
    assert [d.to_state for d in pending.decisions.order_by("pk")] == ["hidden", "approved"]


def test_nothing_moves_a_withdrawn_response(consultation, moderator):
    withdrawn = ResponseFactory(
        consultation=consultation,
        text="",
        moderation_state=ModerationState.WITHDRAWN,
        withdrawn_at=timezone.now(),
    )

    with pytest.raises(ModerationError, match="withdrawn"):
        response_moderate(response=withdrawn, to_state=ModerationState.APPROVED, by=moderator)


@pytest.mark.parametrize("to_state", [ModerationState.PENDING, ModerationState.WITHDRAWN, "gone"])
def test_moderator_can_only_approve_or_hide(pending, moderator, to_state):
    with pytest.raises(ModerationError, match="approve or hide"):
        response_moderate(response=pending, to_state=to_state, by=moderator)


def test_approving_twice_is_refused(pending, moderator):
    response_moderate(response=pending, to_state=ModerationState.APPROVED, by=moderator)

    with pytest.raises(ModerationError, match="already approved"):
        response_moderate(response=pending, to_state=ModerationState.APPROVED, by=moderator)


def test_moderator_of_another_department_is_refused(pending, other_department_moderator):
    with pytest.raises(ModerationPermissionDenied, match="Response moderator"):
        response_moderate(
            response=pending, to_state=ModerationState.APPROVED, by=other_department_moderator
        )
    pending.refresh_from_db()
    assert pending.moderation_state == ModerationState.PENDING


def test_department_member_without_the_moderator_role_is_refused(pending, analyst):
    with pytest.raises(ModerationPermissionDenied):
        response_moderate(response=pending, to_state=ModerationState.APPROVED, by=analyst)


def test_approving_an_unredacted_legacy_response_redacts_it_first(consultation, moderator):
    legacy = ResponseFactory(consultation=consultation, text="Call 07700 900123", published_text="")
    AnswerFactory(response=legacy, text="jo@example.com", published_text="")

    response_moderate(response=legacy, to_state=ModerationState.APPROVED, by=moderator)

    legacy.refresh_from_db()
    assert legacy.published_text == "Call [phone number removed]"
    assert legacy.answers.get().published_text == "[email removed]"


def test_bulk_hide_writes_one_decision_each_and_skips_what_needs_no_change(consultation, moderator):
    responses = ResponseFactory.create_batch(3, consultation=consultation, published_text="x")
    withdrawn = ResponseFactory(
        consultation=consultation,
        moderation_state=ModerationState.WITHDRAWN,
        withdrawn_at=timezone.now(),
    )

    result = responses_moderate_bulk(
        response_ids=[r.pk for r in responses] + [withdrawn.pk],
        to_state=ModerationState.HIDDEN,
        by=moderator,
        reason=ModerationReason.SPAM,
        note="Copy-paste spam",
    )

    assert sorted(result.moderated) == sorted(r.pk for r in responses)
    assert list(result.skipped) == [withdrawn.pk]
    assert set(
        Response.objects.filter(pk__in=result.moderated).values_list(
            "moderation_state", "moderation_reason"
        )
    ) == {("hidden", "spam")}
    assert ModerationDecision.objects.filter(reason="spam", note="Copy-paste spam").count() == 3


def test_bulk_moderation_outside_ones_departments_changes_nothing(
    home_page, consultation, moderator
):
    mine = ResponseFactory(consultation=consultation)
    theirs = ResponseFactory(consultation=ConsultationPageFactory(title="Elsewhere"))

    with pytest.raises(ModerationPermissionDenied, match="Elsewhere"):
        responses_moderate_bulk(
            response_ids=[mine.pk, theirs.pk], to_state=ModerationState.APPROVED, by=moderator
        )

    assert not ModerationDecision.objects.exists()
    mine.refresh_from_db()
    assert mine.moderation_state == ModerationState.PENDING


def test_bulk_moderation_of_unknown_ids_changes_nothing(pending, moderator):
    with pytest.raises(ModerationError, match="No responses with ids"):
        responses_moderate_bulk(
            response_ids=[pending.pk, 987654], to_state=ModerationState.APPROVED, by=moderator
        )
    assert not ModerationDecision.objects.exists()


def test_further_redaction_removes_words_and_is_audited(consultation, moderator):
    response = ResponseFactory(
        consultation=consultation,
        text="My neighbour Jo Bloggs at number 12 agrees",
        published_text="My neighbour Jo Bloggs at number 12 agrees",
        moderation_state=ModerationState.APPROVED,
    )

    response_redact_further(
        response=response,
        published_text="My neighbour [name removed] at [address removed] agrees",
        by=moderator,
        note="Names a private individual",
    )

    response.refresh_from_db()
    assert response.published_text == "My neighbour [name removed] at [address removed] agrees"
    assert response.redactions[-1]["kind"] == "moderator"
    assert response.redactions[-1]["removed"] == ["Jo", "Bloggs", "number", "12"]
    decision = response.decisions.get()
    assert decision.decided_by == moderator
    assert decision.from_state == decision.to_state == "approved"
    assert "Names a private individual" in decision.note


def test_further_redaction_cannot_add_or_change_words(pending, moderator):
    with pytest.raises(ModerationError, match="“oppose” is not in the published text"):
        response_redact_further(
            response=pending, published_text="I oppose this.", by=moderator, note="x"
        )
    with pytest.raises(ModerationError, match="Say why"):
        response_redact_further(response=pending, published_text="I this.", by=moderator, note="")
    with pytest.raises(ModerationError, match="Nothing was removed"):
        response_redact_further(
            response=pending, published_text="I support this.", by=moderator, note="x"
        )
    pending.refresh_from_db()
    assert pending.published_text == "I support this."
    assert not pending.decisions.exists()


def test_further_redaction_needs_the_moderator_role_in_the_department(
    pending, other_department_moderator
):
    with pytest.raises(ModerationPermissionDenied):
        response_redact_further(
            response=pending, published_text="I this.", by=other_department_moderator, note="x"
        )


def test_redact_existing_fills_published_text_of_older_responses(consultation, moderator):
    older = ResponseFactory(consultation=consultation, text="Mail jo@example.com, shit plan")
    AnswerFactory(response=older, text="Call 07700 900123", published_text="")
    done = ResponseFactory(consultation=consultation, text="Fine", published_text="Fine")
    manual = ResponseFactory(
        consultation=consultation,
        text="Jo says hello",
        published_text="[name removed] says hello",
        redactions=[{"kind": "moderator", "removed": ["Jo"]}],
    )

    changed_before = older.updated_at

    call_command("redact_existing", "--no-progress")

    older.refresh_from_db()
    assert older.updated_at > changed_before  # so the search index's sweep sees it
    assert older.published_text == "Mail [email removed], shit plan"
    assert older.flagged_terms[0]["term"] == "shit"
    assert older.answers.get().published_text == "Call [phone number removed]"
    done.refresh_from_db()
    assert done.redactions == []

    call_command("redact_existing", "--all", "--no-progress")

    manual.refresh_from_db()
    assert manual.published_text == "[name removed] says hello"
