"""Collecting replies from each sandbox network into the record, through the real client libraries."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.utils import timezone

from connectors.collection import StopReason, replies_collect
from connectors.models import CollectionState
from engagement.record.models import ModerationState, Respondent, Response
from tests.collection.conftest import announce, post_id
from tests.connectors.conftest import TARGETS, make_sandbox_channel

# Facebook, YouTube and LinkedIn keep two levels of comments (a reply to a reply joins its
# top-level comment) and reach a comment by its post's (video's) comments only: their own
# tests show both.
NESTED_TARGETS = tuple(
    target for target in TARGETS if target not in ("facebook", "youtube", "linkedin")
)


def _collect(announced, **kwargs):
    announced.settle()
    return replies_collect(
        consultation_id=announced.page.pk, channel_id=announced.channel.pk, **kwargs
    )


def _recorded(announced) -> dict[str, Response]:
    return {
        response.external_id: response
        for response in Response.objects.filter(
            consultation=announced.page, channel=announced.channel.network
        )
    }


@pytest.mark.parametrize("target", NESTED_TARGETS)
def test_thread_several_levels_deep_is_recorded_with_each_parent_and_the_root(announced):
    parent = announced.root_id
    chain = []
    for level in range(5):
        parent = announced.reply(parent, f"citizen{level}", f"Level {level}: I have a view.")
        chain.append(parent)

    outcome = _collect(announced)

    assert outcome.complete
    recorded = _recorded(announced)
    assert set(recorded) == set(chain)
    parents = [announced.root_id, *chain[:-1]]
    for reply_id, parent_id in zip(chain, parents, strict=True):
        response = recorded[reply_id]
        assert response.parent_external_id == parent_id
        assert response.root_external_id == announced.root_id
        assert response.moderation_state == ModerationState.PENDING
        assert response.raw_payload
    assert "Level 4: I have a view." in recorded[chain[-1]].text


def test_each_platform_identity_becomes_one_pseudonymous_respondent(announced):
    first = announced.reply(announced.root_id, "repeat", "First thought.")
    announced.reply(first, "repeat", "Second thought.")
    announced.reply(announced.root_id, "other", "Someone else.")

    _collect(announced)

    respondents = Respondent.objects.filter(
        responses__consultation=announced.page, channel=announced.channel.network
    ).distinct()
    assert sorted(Counter(r.handle.split(".")[0] for r in respondents).values()) == [1, 1]
    responses = Response.objects.filter(respondent__in=respondents)
    assert all(r.public_name.startswith("Respondent ") for r in responses)


def test_many_pages_are_walked_and_every_reply_is_recorded_once(announced, small_pages):
    replies = {
        announced.reply(announced.root_id, f"crowd{n}", f"Reply number {n}") for n in range(35)
    }
    # Some of them answered deeper in the thread, reached by notification pages too.
    deeper = {announced.reply(sorted(replies)[n], f"deep{n}", f"Deeper {n}") for n in range(12)}

    outcome = _collect(announced)

    assert outcome.complete
    assert outcome.pages >= 4
    recorded = _recorded(announced)
    assert set(recorded) == replies | deeper
    assert Response.objects.filter(consultation=announced.page).count() == len(replies | deeper)


@pytest.mark.parametrize("target", NESTED_TARGETS)
def test_a_reply_reached_by_its_thread_and_as_a_mention_is_stored_once(announced):
    reply_id = announced.reply(announced.root_id, "twice", "Seen by two routes.")

    outcome = _collect(announced)

    # The thread gives it once and the mention (X, Mastodon) or notification (Bluesky) again.
    assert outcome.created == 1
    assert outcome.already_recorded >= 1
    assert list(_recorded(announced)) == [reply_id]


def test_the_next_poll_takes_only_what_is_new(announced):
    announced.reply(announced.root_id, "early", "Early reply.")
    _collect(announced)

    later = announced.reply(announced.root_id, "late", "Later reply.")
    outcome = _collect(announced)

    assert outcome.created == 1
    assert later in _recorded(announced)
    assert len(_recorded(announced)) == 2


@pytest.mark.parametrize("network", ["x", "mastodon"])
def test_posts_with_the_consultation_hashtag_are_collected(announced):
    text = f"Not a reply, but #{announced.page.hashtag} matters to me."
    post = announced.state.citizen_post(handle="tagger", text=text)
    announced.state.citizen_post(handle="other", text="#SomethingElse entirely")

    _collect(announced)

    recorded = _recorded(announced)
    assert list(recorded) == [post_id(announced.channel.network, post)]
    assert recorded[post_id(announced.channel.network, post)].text.endswith("matters to me.")


def test_replies_to_another_consultation_stay_out_of_this_one(db, home_page, servers, network):
    sandbox = make_sandbox_channel(servers, network)
    ours = announce(home_page, sandbox)
    theirs = announce(home_page, sandbox)
    mine = ours.reply(ours.root_id, "alice", "About ours.")
    other = theirs.reply(theirs.root_id, "bob", "About theirs.")

    _collect(ours)
    _collect(theirs)

    assert list(_recorded(ours)) == [mine]
    assert list(_recorded(theirs)) == [other]


def test_our_own_posts_are_not_recorded_as_responses(announced):
    _collect(announced)

    assert _recorded(announced) == {}
    state = CollectionState.objects.get(consultation=announced.page, channel=announced.channel)
    assert state.last_complete_at is not None
    assert state.incomplete_since is None


def test_a_backfill_since_a_date_walks_everything_again_and_leaves_out_older_replies(announced):
    old = announced.reply(announced.root_id, "old", "Before the cut-off.")
    _collect(announced)
    Response.objects.filter(external_id=old).delete()
    # Networks give times to the second: step past the second the old reply was made in.
    time.sleep(1.1)
    cut_off = timezone.now()
    new = announced.reply(announced.root_id, "new", "After the cut-off.")

    outcome = _collect(announced, since=cut_off)

    assert outcome.stopped_by == StopReason.CAUGHT_UP
    assert list(_recorded(announced)) == [new]
