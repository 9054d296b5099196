"""Edits and deletions at the source: text history kept, deleted or private posts withdrawn."""

from __future__ import annotations

import pytest

from connectors.collection import replies_collect, responses_sweep
from connectors.models import CollectionState
from engagement.record.models import ModerationState, Response, ResponseRevision, WithdrawalReason


def _collect(announced):
    announced.settle()
    return replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


def _sweep(announced, **kwargs):
    announced.settle()
    return responses_sweep(
        consultation_id=announced.page.pk, channel_id=announced.channel.pk, **kwargs
    )


# Facebook gives an edit no time: the changed text is taken as an edit seen by the poll.
# YouTube gives it as the comment's updatedAt, LinkedIn as its lastModified time.
@pytest.mark.parametrize("network", ["mastodon", "facebook", "youtube", "linkedin"])
def test_an_edit_at_the_source_keeps_the_earlier_text_as_a_revision(announced):
    reply_id = announced.reply(announced.root_id, "editor", "Buses every hour.")
    _collect(announced)
    response = Response.objects.get(external_id=reply_id)
    Response.objects.filter(pk=response.pk).update(moderation_state=ModerationState.APPROVED)

    announced.state.edit_post(reply_id, "Buses every half hour, please.")
    outcome = _collect(announced)

    response.refresh_from_db()
    assert outcome.edited == 1
    assert response.text.endswith("Buses every half hour, please.")
    assert response.edited_at is not None
    # Approved words were replaced by unmoderated ones: back to the moderators.
    assert response.moderation_state == ModerationState.PENDING
    revisions = list(ResponseRevision.objects.filter(response=response))
    assert len(revisions) == 1
    assert revisions[0].text.endswith("Buses every hour.")

    assert _collect(announced).edited == 0
    assert ResponseRevision.objects.filter(response=response).count() == 1


def test_a_post_deleted_at_the_source_is_withdrawn_leaving_a_tombstone(announced):
    kept = announced.reply(announced.root_id, "stays", "I stand by this.")
    gone = announced.reply(announced.root_id, "leaves", "My phone is 07700 900123.")
    _collect(announced)
    received_at = Response.objects.get(external_id=gone).received_at

    announced.state.delete_post(gone)
    outcome = _sweep(announced)

    assert outcome.checked == 2
    assert outcome.withdrawn == 1
    tombstone = Response.objects.get(external_id=gone)
    assert tombstone.moderation_state == ModerationState.WITHDRAWN
    assert tombstone.withdrawn_reason == WithdrawalReason.DELETED_AT_SOURCE
    assert tombstone.withdrawn_at is not None
    assert tombstone.text == ""
    assert tombstone.raw_payload == {}
    assert tombstone.received_at == received_at
    assert tombstone.root_external_id == announced.root_id
    assert Response.objects.get(external_id=kept).moderation_state == ModerationState.PENDING
    assert "07700" not in str(Response.objects.filter(external_id=gone).values().get())


def test_a_withdrawn_reply_is_not_brought_back_by_the_next_poll(announced):
    gone = announced.reply(announced.root_id, "leaves", "Changed my mind.")
    _collect(announced)
    announced.state.delete_post(gone)
    _sweep(announced)

    _collect(announced)

    assert Response.objects.get(external_id=gone).text == ""


# Facebook: the Page hid the comment (is_hidden), seen only by its author and their friends.
@pytest.mark.parametrize("network", ["x", "mastodon", "facebook"])
def test_a_post_made_private_at_the_source_is_withdrawn(announced):
    reply_id = announced.reply(announced.root_id, "shy", "Only for my followers now.")
    _collect(announced)

    announced.state.set_private(reply_id)
    _sweep(announced)

    response = Response.objects.get(external_id=reply_id)
    assert response.moderation_state == ModerationState.WITHDRAWN
    assert response.withdrawn_reason == WithdrawalReason.PRIVATE_AT_SOURCE
    assert response.text == ""


@pytest.mark.parametrize("network", ["bluesky"])
def test_a_deleted_bluesky_reply_in_the_middle_of_a_thread_keeps_its_live_replies(announced):
    middle = announced.reply(announced.root_id, "middle", "In the middle.")
    below = announced.reply(middle, "below", "Under the middle one.")
    announced.state.delete_post(middle)
    blocked = announced.reply(announced.root_id, "blocker", "I blocked the department.")
    announced.state.set_blocked(blocked)

    _collect(announced)

    recorded = set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    )
    # The notFoundPost node and the blockedPost node are not kept; the live reply under it is.
    assert below in recorded
    assert middle not in recorded


def test_the_sweep_walks_the_record_in_batches_and_wraps_around(announced):
    replies = [announced.reply(announced.root_id, f"n{n}", f"Reply {n}") for n in range(5)]
    _collect(announced)
    read_collecting = CollectionState.objects.get(consultation=announced.page).posts_read
    announced.state.delete_post(replies[0])
    announced.state.delete_post(replies[4])

    first = _sweep(announced, batch_size=2)
    second = _sweep(announced, batch_size=2)
    third = _sweep(announced, batch_size=2)

    assert (first.checked, second.checked, third.checked) == (2, 2, 1)
    assert first.withdrawn + second.withdrawn + third.withdrawn == 2
    state = CollectionState.objects.get(consultation=announced.page, channel=announced.channel)
    assert state.last_swept_at is not None
    # X bills each post looked up as a read.
    looked_up = 5 if announced.channel.network == "x" else 0
    assert state.posts_read == read_collecting + looked_up
    # Wrapped around: the next batch starts from the beginning of what is still live.
    assert _sweep(announced, batch_size=2).checked == 2


@pytest.mark.parametrize("network", ["mastodon"])
def test_followers_only_replies_and_direct_messages_are_never_collected(announced):
    public = announced.reply(announced.root_id, "open", "For everyone.")
    private = announced.reply(announced.root_id, "closed", "For my followers only.")
    announced.state.set_private(private)

    _collect(announced)

    recorded = set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    )
    assert recorded == {public}


@pytest.mark.parametrize("network", ["x", "mastodon"])
def test_our_own_post_deleted_outside_the_hub_does_not_stop_collection(announced):
    reply = announced.reply(announced.root_id, "loyal", "Still here.")
    announced.state.delete_post(announced.root_id)

    outcome = _collect(announced)

    assert outcome.complete
    recorded = set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    )
    # X still finds the conversation; Mastodon brings it as a mention.
    assert recorded == {reply}


@pytest.mark.parametrize("target", ["bluesky", "bluesky-reference"])
def test_our_own_bluesky_post_deleted_outside_the_hub_keeps_what_was_collected(announced):
    """The App View lists a notification only while the post it is about exists, and drops
    a deleted post's replies from every thread: what came after the last poll is out of reach."""
    early = announced.reply(announced.root_id, "early", "Collected in time.")
    _collect(announced)
    announced.reply(announced.root_id, "late", "Sent just before the post went.")
    announced.state.delete_post(announced.root_id)

    outcome = _collect(announced)

    assert outcome.complete
    recorded = Response.objects.filter(consultation=announced.page)
    assert [response.external_id for response in recorded] == [early]
    assert recorded.get().moderation_state == ModerationState.PENDING


@pytest.mark.parametrize("network", ["x"])
def test_a_withdrawn_response_leaves_what_the_public_sees_and_the_search_index(announced):
    from engagement.record.selectors import public_responses

    reply_id = announced.reply(announced.root_id, "public", "Published, then deleted.")
    _collect(announced)
    Response.objects.filter(external_id=reply_id).update(
        moderation_state=ModerationState.APPROVED, published_text="Published, then deleted."
    )
    announced.page.refresh_from_db()
    assert list(
        public_responses(consultation=announced.page).values_list("external_id", flat=True)
    ) == [reply_id]

    announced.state.delete_post(reply_id)
    _sweep(announced)

    assert not public_responses(consultation=announced.page).exists()
    assert not Response.get_indexed_objects().filter(external_id=reply_id).exists()
