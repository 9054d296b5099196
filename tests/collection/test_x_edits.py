"""Edits on X: each version is a new post id, and the record keeps one response per reply."""

from __future__ import annotations

import pytest

from connectors.collection import replies_collect, responses_sweep
from engagement.record.models import ModerationState, Response, ResponseRevision, WithdrawalReason

pytestmark = pytest.mark.parametrize("network", ["x"])


def _collect(announced):
    return replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


def _sweep(announced):
    return responses_sweep(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


def _responses(announced):
    return Response.objects.filter(consultation=announced.page, channel="x")


def test_an_edited_x_reply_updates_its_response_and_keeps_the_old_text(announced):
    reply_id = announced.reply(announced.root_id, "editor", "Buses every hour.")
    _collect(announced)
    response = _responses(announced).get()
    Response.objects.filter(pk=response.pk).update(moderation_state=ModerationState.APPROVED)

    edited = announced.state.edit_post(reply_id, "Buses every half hour, please.")
    outcome = _collect(announced)

    assert edited["id"] != reply_id
    response = _responses(announced).get()
    assert response.external_id == reply_id
    assert outcome.created == 0
    assert outcome.edited == 1
    assert response.text.endswith("Buses every half hour, please.")
    assert response.edited_at is not None
    assert response.moderation_state == ModerationState.PENDING
    revisions = list(ResponseRevision.objects.filter(response=response))
    assert len(revisions) == 1
    assert revisions[0].text.endswith("Buses every hour.")

    # The next poll finds nothing new: no second revision, no second response.
    assert _collect(announced).edited == 0
    assert _responses(announced).count() == 1
    assert ResponseRevision.objects.filter(response=response).count() == 1


def test_a_reply_edited_twice_keeps_both_earlier_wordings_in_order(announced):
    reply_id = announced.reply(announced.root_id, "editor", "One.")
    _collect(announced)
    first = announced.state.edit_post(reply_id, "Two.")
    _collect(announced)
    announced.state.edit_post(first["id"], "Three.")

    outcome = _collect(announced)

    response = _responses(announced).get()
    assert outcome.edited == 1
    assert response.external_id == reply_id
    assert response.text.endswith("Three.")
    history = list(
        ResponseRevision.objects.filter(response=response)
        .order_by("pk")
        .values_list("text", flat=True)
    )
    assert [text.rsplit(" ", 1)[-1] for text in history] == ["One.", "Two."]


def test_a_reply_first_seen_after_its_edit_is_recorded_under_its_original_id(announced):
    reply_id = announced.reply(announced.root_id, "late", "Draft words.")
    announced.state.edit_post(reply_id, "Final words.")

    outcome = _collect(announced)

    response = _responses(announced).get()
    assert outcome.created == 1
    assert response.external_id == reply_id
    assert response.text.endswith("Final words.")
    assert not ResponseRevision.objects.filter(response=response).exists()


def test_deleting_the_edited_version_withdraws_the_response(announced):
    reply_id = announced.reply(announced.root_id, "leaves", "Keep the buses.")
    _collect(announced)
    edited = announced.state.edit_post(reply_id, "Keep the buses, my number is 07700 900123.")
    _collect(announced)

    announced.state.delete_post(edited["id"])
    outcome = _sweep(announced)

    response = _responses(announced).get()
    assert outcome.withdrawn == 1
    assert response.external_id == reply_id
    assert response.moderation_state == ModerationState.WITHDRAWN
    assert response.withdrawn_reason == WithdrawalReason.DELETED_AT_SOURCE
    assert response.text == ""
    assert "07700" not in str(_responses(announced).values().get())


def test_the_sweep_judges_an_edited_reply_by_its_latest_version(announced):
    reply_id = announced.reply(announced.root_id, "shy", "Public words.")
    _collect(announced)
    edited = announced.state.edit_post(reply_id, "Words for my followers.")
    _collect(announced)
    # Only the latest version is hidden: a lookup of the original id alone would miss it.
    announced.state.set_private(edited["id"])

    _sweep(announced)

    response = _responses(announced).get()
    assert response.moderation_state == ModerationState.WITHDRAWN
    assert response.withdrawn_reason == WithdrawalReason.PRIVATE_AT_SOURCE
