"""What only LinkedIn does, through LinkedIn's ``linkedin-api-client`` against the sandbox.

The shared contract and collection suites run on LinkedIn too (tests/connectors/conftest.py
``NETWORKS``); these cover the rest: the little text format of a post's commentary, the
pinned ``LinkedIn-Version`` header, replies to comments read through the comment's own
``socialActions``, a deleted comment withdrawn by the sweep, and the daily limits' 429.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from connectors.backends.linkedin import little_text_escape, little_text_plain
from connectors.collection import StopReason, replies_collect, responses_sweep
from connectors.exceptions import PermanentError, RateLimited
from connectors.models import CollectionState
from connectors.sandbox import start_sandbox
from connectors.sandbox.linkedin import little_text_shown
from connectors.services import channel_account_connector
from connectors.types import OutgoingPost
from engagement.record.models import Response, WithdrawalReason
from tests.collection.conftest import announce
from tests.connectors.conftest import connector_options_set, make_sandbox_channel


@pytest.fixture
def linkedin(db, sandboxes):
    return make_sandbox_channel(sandboxes, "linkedin")


@pytest.fixture
def own_sandbox():
    """A LinkedIn sandbox of this test's own, whose daily counts no other test spent."""
    server = start_sandbox("linkedin")
    yield {"linkedin": server}
    server.stop()


def _connector(sandbox):
    return channel_account_connector(channel=sandbox.channel)


def _collect(announced):
    return replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


def _recorded(announced) -> set[str]:
    return set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    )


def _next_midnight_utc(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def test_little_text_escapes_every_reserved_character():
    reserved = "\\|{}@[]()<>#*_~"

    escaped = little_text_escape(f"a{reserved}b")

    assert escaped == "a" + "".join(f"\\{char}" for char in reserved) + "b"
    assert little_text_plain(escaped) == f"a{reserved}b"
    # Unescaped, LinkedIn cuts the text at the first stray reserved character.
    assert little_text_shown("Buses on the (A40) corridor") == "Buses on the "


def test_a_post_with_brackets_and_a_hashtag_survives_whole(linkedin):
    text = "Have your say on the clean air zone (A40 corridor) #CleanAir @council_team"
    published = _connector(linkedin).publish(OutgoingPost(text=text))

    (post,) = linkedin.posts
    assert post["id"] == published.id
    assert post["author"] == f"urn:li:organization:{linkedin.account.id}"
    assert post["lifecycleState"] == "PUBLISHED" and post["visibility"] == "PUBLIC"
    assert "\\(A40 corridor\\)" in post["commentary"]
    assert little_text_shown(post["commentary"]) == text


def test_every_request_carries_the_pinned_linkedin_version(linkedin, settings):
    connector_options_set(settings, "linkedin", LINKEDIN_VERSION="202507")
    state = linkedin.server.state
    seen_before = len(state.versions_seen)

    connector = _connector(linkedin)
    connector.verify()
    connector.publish(OutgoingPost(text="Versioned post about school streets"))

    assert state.versions_seen[seen_before:] == ["202507", "202507"]


def test_a_retired_linkedin_version_is_refused_for_good(linkedin, settings):
    connector_options_set(settings, "linkedin", LINKEDIN_VERSION="202301")

    with pytest.raises(PermanentError) as refused:
        _connector(linkedin).verify()

    assert "202301 is not active" in refused.value.reason


def test_replies_to_comments_are_read_through_the_comments_own_social_actions(
    linkedin, home_page, settings
):
    settings.HUB_COLLECT_PAGE_SIZE = 2
    announced = announce(home_page, linkedin)
    comments = [announced.reply(announced.root_id, f"c{n}", f"Comment {n}") for n in range(3)]
    replies = {announced.reply(comments[0], f"r{n}", f"Reply {n}") for n in range(3)}
    # A reply to a reply joins its top-level comment, as on LinkedIn.
    deeper = announced.reply(next(iter(replies)), "deep", "And a reply to that.")

    outcome = _collect(announced)

    assert outcome.complete
    assert _recorded(announced) == {*comments, *replies, deeper}
    parents = dict(
        Response.objects.filter(consultation=announced.page).values_list(
            "external_id", "parent_external_id"
        )
    )
    assert {parents[c] for c in comments} == {announced.root_id}
    assert {parents[r] for r in (*replies, deeper)} == {comments[0]}
    log = linkedin.server.state.request_log
    assert ("GET", f"/rest/socialActions/{quote(comments[0], safe='')}/comments") in log


def test_a_comment_deleted_on_linkedin_is_withdrawn_by_the_sweep(linkedin, home_page):
    announced = announce(home_page, linkedin)
    kept = announced.reply(announced.root_id, "stays", "I stand by this.")
    gone = announced.reply(announced.root_id, "regrets", "I take this back.")
    _collect(announced)
    linkedin.server.state.delete_post(gone)

    outcome = responses_sweep(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    assert outcome.withdrawn == 1
    assert Response.objects.get(external_id=gone).withdrawn_reason == (
        WithdrawalReason.DELETED_AT_SOURCE
    )
    assert Response.objects.get(external_id=kept).withdrawn_at is None


@pytest.mark.sandbox_only
def test_the_daily_member_limit_pauses_collection_until_midnight_utc(own_sandbox, home_page):
    server = own_sandbox["linkedin"]
    announced = announce(home_page, make_sandbox_channel(own_sandbox, "linkedin"))
    announced.reply(announced.root_id, "late", "Too late today.")
    server.state.member_day_limit = sum(server.state.calls.values()) // 2
    before = datetime.now(tz=UTC)

    outcome = _collect(announced)

    assert outcome.stopped_by == StopReason.RATE_LIMITED
    state = CollectionState.objects.get(consultation=announced.page)
    assert state.rate_limited_until == _next_midnight_utc(before)
    assert "MEMBER DAY" in state.last_error


@pytest.mark.sandbox_only
def test_the_daily_application_limit_refuses_a_post_until_midnight_utc(own_sandbox, db):
    server = own_sandbox["linkedin"]
    sandbox = make_sandbox_channel(own_sandbox, "linkedin")
    server.state.application_day_limit = 0
    before = datetime.now(tz=UTC)

    with pytest.raises(RateLimited) as limited:
        _connector(sandbox).publish(OutgoingPost(text="Cycling lanes consultation"))

    assert limited.value.reset_at == _next_midnight_utc(before)
    assert server.state.posts == {}
