"""What only YouTube does, through Google's ``google-api-python-client`` against the sandbox.

The shared contract and collection suites run on YouTube too (tests/connectors/conftest.py
``NETWORKS``); these cover the rest: the daily quota in units counted per channel and the
"incomplete" it leaves, Google's own ``quotaExceeded``, a thread with more replies than it
carries, and a deleted comment withdrawn by the sweep's lookup by ids.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.backends.youtube import video_id_from
from connectors.collection import StopReason, replies_collect, responses_sweep
from connectors.models import CollectionState
from connectors.sandbox import start_sandbox
from connectors.selectors import collection_gaps_for
from engagement.record.models import Response, WithdrawalReason
from tests.collection.conftest import announce
from tests.connectors.conftest import connector_options_set, make_sandbox_channel


@pytest.fixture
def youtube(db, sandboxes):
    return make_sandbox_channel(sandboxes, "youtube")


@pytest.fixture
def own_sandbox():
    """A YouTube sandbox of this test's own, whose quota no other test spent."""
    server = start_sandbox("youtube")
    yield {"youtube": server}
    server.stop()


def _collect(announced):
    return replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


def _recorded(announced) -> set[str]:
    return set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    )


def _next_pacific_midnight(now: datetime) -> datetime:
    pacific = ZoneInfo("America/Los_Angeles")
    day = now.astimezone(pacific).date() + timedelta(days=1)
    return datetime.combine(day, datetime.min.time()).replace(tzinfo=pacific)


def test_a_video_is_named_by_its_id_or_any_youtube_link():
    assert video_id_from("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3") == "dQw4w9WgXcQ"
    assert video_id_from("https://youtu.be/dQw4w9WgXcQ") == "dQw4w9WgXcQ"
    assert video_id_from("dQw4w9WgXcQ") == "dQw4w9WgXcQ"
    assert video_id_from("https://www.youtube.com/@department") == ""


def test_the_announcement_is_the_channels_own_top_level_comment_on_its_video(youtube, home_page):
    announced = announce(home_page, youtube)

    thread = youtube.server.state.comments[announced.root_id]
    assert thread["video_id"] == youtube.account.credentials["video"]
    assert thread["parent_id"] == ""
    assert thread["author_id"] == youtube.account.id
    assert announced.page.public_url in thread["text"]


def test_a_thread_with_more_replies_than_it_carries_is_read_by_comments_list(youtube, home_page):
    announced = announce(home_page, youtube)
    replies = {announced.reply(announced.root_id, f"r{n}", f"Reply {n}") for n in range(8)}
    top = announced.reply(youtube.account.credentials["video"], "own", "My own comment.")

    outcome = _collect(announced)

    assert outcome.complete
    assert _recorded(announced) == replies | {top}
    log = youtube.server.state.request_log
    assert ("GET", "/youtube/v3/comments") in log  # the thread carried only 5 of its 8
    parents = dict(
        Response.objects.filter(consultation=announced.page).values_list(
            "external_id", "parent_external_id"
        )
    )
    assert parents[top] == announced.root_id
    assert {parents[reply] for reply in replies} == {announced.root_id}


def test_the_daily_quota_stops_collection_and_says_it_is_incomplete(youtube, home_page, settings):
    settings.HUB_COLLECT_PAGE_SIZE = 2
    connector_options_set(settings, "youtube", QUOTA_UNITS=3)
    announced = announce(home_page, youtube)
    for n in range(10):
        announced.reply(youtube.account.credentials["video"], f"c{n}", f"Comment {n}")
    before = datetime.now(tz=UTC)

    outcome = _collect(announced)

    assert outcome.stopped_by == StopReason.QUOTA
    assert outcome.pages == 3  # one unit a page
    state = CollectionState.objects.get(consultation=announced.page)
    assert state.quota_units_used == 3
    assert state.next_poll_at == _next_pacific_midnight(before)
    gaps = collection_gaps_for(announced.page)
    assert [gap.network for gap in gaps] == ["youtube"]
    assert "quota" in gaps[0].reason

    # The quota is the channel's: another consultation on it has nothing left today.
    other = announce(home_page, youtube)
    assert _collect(other).stopped_by == StopReason.QUOTA


@pytest.mark.sandbox_only
def test_googles_quota_exceeded_pauses_until_its_midnight_pacific(own_sandbox, home_page):
    server = own_sandbox["youtube"]
    announced = announce(home_page, make_sandbox_channel(own_sandbox, "youtube"))
    announced.reply(announced.root_id, "late", "Too late today.")
    server.state.quota_units = server.state.quota_used[announced.channel.account_id]
    before = datetime.now(tz=UTC)

    outcome = _collect(announced)

    assert outcome.stopped_by == StopReason.RATE_LIMITED
    state = CollectionState.objects.get(consultation=announced.page)
    assert state.rate_limited_until == _next_pacific_midnight(before)
    assert "quotaExceeded" in state.last_error


def test_a_comment_deleted_on_youtube_is_withdrawn_by_the_sweep(youtube, home_page):
    announced = announce(home_page, youtube)
    kept = announced.reply(announced.root_id, "stays", "I stand by this.")
    gone = announced.reply(announced.root_id, "regrets", "I take this back.")
    _collect(announced)
    youtube.server.state.delete_post(gone)

    outcome = responses_sweep(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    assert outcome.withdrawn == 1
    assert Response.objects.get(external_id=gone).withdrawn_reason == (
        WithdrawalReason.DELETED_AT_SOURCE
    )
    assert Response.objects.get(external_id=kept).withdrawn_at is None
    lookups = [
        path for method, path in youtube.server.state.request_log if path == "/youtube/v3/comments"
    ]
    assert lookups  # comments.list by ids
