"""Rate limits, budgets, errors and malformed payloads: collection stops honestly and resumes."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.collection import StopReason, replies_collect
from connectors.models import CollectionState, QuarantinedPayload
from connectors.selectors import collection_due, collection_gaps_for
from engagement.record.models import Response
from tests.connectors.conftest import connector_options_set

# Injected faults, budgets and payloads edited in place: only a sandbox can be made to give them.
pytestmark = pytest.mark.sandbox_only

# The first request of a poll on each network: where a fault stops it before anything is read.
READ_PATHS = {
    "x": "/2/tweets/search/recent",
    "mastodon": "/api/v1/statuses/",
    "bluesky": "/xrpc/app.bsky.feed.getPostThread",
    "facebook": "/v23.0/",
    "youtube": "/youtube/v3/commentThreads",
    "linkedin": "/rest/socialActions/",
}


def _collect(announced, **kwargs):
    return replies_collect(
        consultation_id=announced.page.pk, channel_id=announced.channel.pk, **kwargs
    )


def _state(announced) -> CollectionState:
    return CollectionState.objects.get(consultation=announced.page, channel=announced.channel)


def _recorded(announced) -> set[str]:
    return set(
        Response.objects.filter(consultation=announced.page).values_list("external_id", flat=True)
    )


def test_a_429_pauses_collection_until_the_reset_and_the_next_poll_resumes(announced):
    replies = {announced.reply(announced.root_id, f"p{n}", f"Reply {n}") for n in range(3)}
    network = announced.channel.network
    announced.sandbox.server.inject_fault("rate_limit", path=READ_PATHS[network], reset_in=2.0)

    paused = _collect(announced)

    assert paused.stopped_by == StopReason.RATE_LIMITED
    state = _state(announced)
    assert state.rate_limited_until is not None
    assert state.next_poll_at == state.rate_limited_until
    now = timezone.now()
    assert (announced.page.pk, announced.channel.pk) not in collection_due(now=now)
    assert (announced.page.pk, announced.channel.pk) in collection_due(
        now=state.next_poll_at + timedelta(seconds=1)
    )
    gaps = collection_gaps_for(announced.page)
    assert [gap.network for gap in gaps] == [network]
    assert "rate limit" in gaps[0].reason
    # Functional wait: the network said when it would answer again.
    time.sleep(max(0.0, (state.next_poll_at - timezone.now()).total_seconds()) + 0.2)

    resumed = _collect(announced)

    assert resumed.complete
    assert _recorded(announced) == replies
    assert collection_gaps_for(announced.page) == []
    assert _state(announced).rate_limited_until is None


def test_a_server_error_mid_poll_keeps_the_pages_already_committed(announced, small_pages):
    replies = {announced.reply(announced.root_id, f"s{n}", f"Reply {n}") for n in range(25)}
    # Every route after the first page fails: what the first page covered is committed.
    _collect(announced, max_pages=1)
    first_page = _recorded(announced)
    assert first_page
    announced.sandbox.server.inject_fault("server_error", times=50)

    failed = _collect(announced)

    assert failed.stopped_by == StopReason.ERROR
    assert _recorded(announced) == first_page
    assert "error" in _state(announced).incomplete_reason
    announced.sandbox.server.clear_faults()

    assert _collect(announced).complete
    assert _recorded(announced) == replies
    assert _state(announced).incomplete_since is None


def test_a_page_limit_leaves_the_rest_for_the_next_poll_and_says_so(announced, small_pages):
    replies = {announced.reply(announced.root_id, f"l{n}", f"Reply {n}") for n in range(25)}

    first = _collect(announced, max_pages=1)

    assert first.stopped_by == StopReason.PAGE_LIMIT
    assert _state(announced).incomplete_since is not None
    while not _collect(announced, max_pages=1).complete:
        pass
    assert _recorded(announced) == replies
    assert _state(announced).incomplete_since is None


@pytest.mark.parametrize("network", ["x"])
def test_the_x_read_budget_stops_collection_and_the_record_says_it_is_incomplete(
    announced, settings, small_pages
):
    connector_options_set(settings, "x", READ_BUDGET=15)
    for n in range(30):
        announced.reply(announced.root_id, f"b{n}", f"Reply {n}")

    outcome = _collect(announced)

    assert outcome.stopped_by == StopReason.READ_BUDGET
    state = _state(announced)
    assert 15 <= state.posts_read < 30
    assert len(_recorded(announced)) < 30
    gaps = collection_gaps_for(announced.page)
    assert len(gaps) == 1
    assert gaps[0].since == state.incomplete_since
    assert "read budget" in gaps[0].reason


def test_the_request_budget_of_a_network_stops_collection_until_the_window_ends(
    announced, settings, small_pages
):
    network = announced.channel.network
    connector_options_set(settings, network, REQUEST_BUDGET=1)
    # More than a page: a network with a single route (Facebook) needs a second request too.
    for n in range(small_pages + 1):
        announced.reply(announced.root_id, f"r{n}", f"Reply {n}.")

    outcome = _collect(announced)

    assert outcome.stopped_by == StopReason.RATE_BUDGET
    state = _state(announced)
    assert state.next_poll_at > timezone.now()
    assert "request budget" in collection_gaps_for(announced.page)[0].reason


def _corrupt_language(announced, reply_id: str) -> None:
    """Give the post a language tag no BCP 47 tag is as long as, in the network's own JSON."""
    network = announced.channel.network
    bad = "not-a-language-tag-at-all-" * 3
    if network == "x":
        announced.state.tweets[reply_id]["lang"] = bad
    elif network == "mastodon":
        announced.state.statuses[reply_id]["language"] = bad
    else:
        announced.state.posts[reply_id]["record"]["langs"] = [bad]


# Facebook comments carry no language: tests/connectors/test_facebook.py breaks a time instead.
@pytest.mark.parametrize("network", ["x", "mastodon", "bluesky"])
def test_a_malformed_item_is_quarantined_once_while_the_rest_are_recorded(announced):
    good = {announced.reply(announced.root_id, f"g{n}", f"Fine reply {n}") for n in range(3)}
    bad = announced.reply(announced.root_id, "bad", "A reply with a broken language tag")
    _corrupt_language(announced, bad)

    outcome = _collect(announced)
    again = _collect(announced)

    assert outcome.complete and again.complete
    assert _recorded(announced) == good
    quarantined = QuarantinedPayload.objects.get()
    assert quarantined.network == announced.channel.network
    assert quarantined.consultation_id == announced.page.pk
    assert "language" in quarantined.error
    assert bad in str(quarantined.payload)


def test_the_gap_reported_starts_at_the_last_complete_poll(announced):
    assert _collect(announced).complete
    complete_at = _state(announced).last_complete_at
    announced.reply(announced.root_id, "late", "After the last complete poll.")
    path = READ_PATHS[announced.channel.network]
    announced.sandbox.server.inject_fault("rate_limit", path=path, reset_in=30.0)

    _collect(announced)

    announced.sandbox.server.clear_faults()
    assert [gap.since for gap in collection_gaps_for(announced.page)] == [complete_at]
