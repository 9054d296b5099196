"""What only YouTube does, through Google's ``google-api-python-client`` against the sandbox.

The shared contract and collection suites run on YouTube too (tests/connectors/conftest.py
``NETWORKS``); these cover the rest: the daily quota in units counted per channel and the
"incomplete" it leaves, Google's own ``quotaExceeded``, a thread with more replies than it
carries, and a deleted comment withdrawn by the sweep's lookup by ids.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from django.core.exceptions import ValidationError

from connectors.backends.youtube import video_id_from
from connectors.collection import StopReason, replies_collect, responses_sweep
from connectors.metrics import post_metrics_refresh
from connectors.models import CollectionState, DeliveryPost
from connectors.sandbox import start_sandbox
from connectors.selectors import collection_gaps_for
from engagement.record.models import Response, WithdrawalReason
from tests.collection.conftest import announce
from tests.connectors.conftest import connector_options_set, make_sandbox_channel
from tests.factories.connectors import consultation_page


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


def test_a_collected_comment_links_to_the_video_with_that_comment_highlighted(youtube, home_page):
    announced = announce(home_page, youtube)
    reply = announced.reply(announced.root_id, "ana", "Please extend the zone.")

    _collect(announced)

    video = youtube.account.credentials["video"]
    url = Response.objects.get(external_id=reply).url
    assert url == f"{youtube.server.base_url}/watch?v={video}&lc={reply}"
    # The sandbox's watch page opens that comment, as YouTube's highlights it.
    opened = requests.get(url, timeout=10)
    assert opened.status_code == 200 and "Please extend the zone." in opened.text


def test_the_daily_quota_stops_collection_and_says_it_is_incomplete(youtube, home_page, settings):
    settings.HUB_COLLECT_PAGE_SIZE = 2
    # The announcement (commentThreads.insert) costs 50 units; three pages then leave none.
    connector_options_set(settings, "youtube", QUOTA_UNITS=53)
    announced = announce(home_page, youtube)
    assert CollectionState.objects.get(consultation=announced.page).quota_units_used == 50
    for n in range(10):
        announced.reply(youtube.account.credentials["video"], f"c{n}", f"Comment {n}")
    before = datetime.now(tz=UTC)

    outcome = _collect(announced)

    assert outcome.stopped_by == StopReason.QUOTA
    assert outcome.pages == 3  # one unit a page
    state = CollectionState.objects.get(consultation=announced.page)
    assert state.quota_units_used == 53
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


# --- The public counts of the hub's comment: read from the same daily quota ------------------


def _units_counted(announced) -> int:
    return sum(
        CollectionState.objects.filter(channel=announced.channel).values_list(
            "quota_units_used", flat=True
        )
    )


def _metrics(announced) -> int:
    return post_metrics_refresh(consultation_id=announced.page.pk, channel_id=announced.channel.pk)


@pytest.mark.sandbox_only
def test_posting_collecting_counting_and_sweeping_spend_the_units_google_charges(
    own_sandbox, home_page
):
    server = own_sandbox["youtube"]
    announced = announce(home_page, make_sandbox_channel(own_sandbox, "youtube"))
    kept = announced.reply(announced.root_id, "ana", "Good idea.")
    _collect(announced)
    spent_at_google = server.state.quota_used[announced.channel.account_id]
    counted = _units_counted(announced)
    # Publishing (an insert, 50) and the poll's one page: what Google counted, we counted.
    assert counted == spent_at_google

    assert _metrics(announced) == 1
    responses_sweep(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    google_spent = server.state.quota_used[announced.channel.account_id] - spent_at_google
    assert google_spent == 2  # a commentThreads.list by id, and a comments.list by id
    assert _units_counted(announced) - counted == google_spent
    assert Response.objects.get(external_id=kept).withdrawn_at is None


def test_the_counts_are_not_read_when_the_quota_left_is_for_collection(
    youtube, home_page, settings, caplog
):
    connector_options_set(settings, "youtube", QUOTA_UNITS=52)
    announced = announce(home_page, youtube)
    announced.reply(announced.root_id, "ana", "Good idea.")
    assert _collect(announced).complete  # 50 units for the announcement, 1 for the page
    requests_before = len(youtube.server.state.request_log)

    with caplog.at_level("WARNING", logger="connectors.metrics"):
        assert _metrics(announced) == 0

    # Two units might be spent (threads by id, then replies by id): one is left.
    assert len(youtube.server.state.request_log) == requests_before
    assert "skipped: 1 units of the YouTube quota left today" in caplog.text
    assert DeliveryPost.objects.get(external_id=announced.root_id).metrics_at is None
    assert _units_counted(announced) == 51


@pytest.mark.sandbox_only
def test_googles_quota_exceeded_skips_the_counts_without_an_error(own_sandbox, home_page, caplog):
    server = own_sandbox["youtube"]
    announced = announce(home_page, make_sandbox_channel(own_sandbox, "youtube"))
    server.state.quota_units = server.state.quota_used[announced.channel.account_id]

    with caplog.at_level("WARNING", logger="connectors.metrics"):
        assert _metrics(announced) == 0

    assert "quotaExceeded" in caplog.text
    assert DeliveryPost.objects.get(external_id=announced.root_id).public_metrics == {}


# --- A consultation's own video ------------------------------------------------------------


def test_two_consultations_naming_their_own_videos_are_announced_and_collected_on_each(
    youtube, home_page
):
    """One by its video link, one by the video in its body (a ``youtu.be`` link); a third
    names none and keeps the channel's video. Each collects only its own video's comments."""
    state = youtube.server.state
    bus_video = state.upload_video(youtube.account.id, "Bus lanes: have your say")
    parks_video = state.upload_video(youtube.account.id, "Parks: have your say")
    by_link = announce(
        home_page, youtube, video_url=f"https://www.youtube.com/watch?v={bus_video}&t=42"
    )
    by_body = announce(
        home_page,
        youtube,
        body=json.dumps(
            [
                {
                    "type": "video",
                    "value": {"video": f"https://youtu.be/{parks_video}", "transcript_url": ""},
                }
            ]
        ),
    )
    plain = announce(home_page, youtube)

    assert state.comments[by_link.root_id]["video_id"] == bus_video
    assert state.comments[by_body.root_id]["video_id"] == parks_video
    assert state.comments[plain.root_id]["video_id"] == youtube.account.credentials["video"]
    on_bus = by_link.reply(bus_video, "bus-rider", "Keep the bus lane on the high street.")
    on_parks = by_body.reply(parks_video, "walker", "More benches in the park, please.")
    on_channel = plain.reply(youtube.account.credentials["video"], "resident", "General point.")

    for announced in (by_link, by_body, plain):
        assert _collect(announced).complete

    assert _recorded(by_link) == {on_bus}
    assert _recorded(by_body) == {on_parks}
    assert _recorded(plain) == {on_channel}
    # Each comment links to its own video, highlighted.
    url = Response.objects.get(external_id=on_bus).url
    assert url == f"{youtube.server.base_url}/watch?v={bus_video}&lc={on_bus}"
    # The delivery's own link too (the hub's comment on the consultation's video).
    post = DeliveryPost.objects.get(external_id=by_body.root_id)
    assert f"watch?v={parks_video}&" in post.url


@pytest.mark.parametrize(
    "link",
    [
        "https://www.youtube.com/watch?v=aBcDeFgHiJk",
        "https://m.youtube.com/watch?v=aBcDeFgHiJk&list=PL1",
        "https://youtu.be/aBcDeFgHiJk",
    ],
)
def test_a_consultation_takes_a_youtube_watch_or_short_link(home_page, youtube, link):
    page = consultation_page(home_page, youtube.channel.department, video_url=link)

    page.full_clean()


@pytest.mark.parametrize(
    "link",
    [
        "https://www.youtube.com/@department",
        "https://www.youtube.com/playlist?list=PL1234",
        "https://www.youtube.com/watch?v=short",
        "https://vimeo.com/76979871",
        "https://youtu.be.example.com/aBcDeFgHiJk",
    ],
)
def test_a_video_link_that_is_not_a_video_is_refused_with_a_govuk_style_error(
    home_page, youtube, link
):
    page = consultation_page(home_page, youtube.channel.department)
    page.video_url = link

    with pytest.raises(ValidationError) as refused:
        page.full_clean()

    (message,) = refused.value.message_dict["video_url"]
    assert message.startswith("Enter a video link in the correct format, like ")
    assert "https://www.youtube.com/watch?v=" in message and "https://youtu.be/" in message
