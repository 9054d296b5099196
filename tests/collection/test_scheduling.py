"""Which consultations beat polls, when, and what the public page can say about gaps."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from connectors.collection import collection_claim
from connectors.selectors import collection_due, collection_gaps_for, collection_pairs, sweep_pairs
from tests.connectors.conftest import connector_options_set
from tests.factories.collection import CollectionStateFactory
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory, consultation_page


def _page(home_page, channel, **fields):
    return consultation_page(home_page, channel.department, channels=[channel], **fields)


def test_open_and_recently_closed_consultations_are_polled_on_active_channels(home_page, settings):
    settings.HUB_COLLECT_AFTER_CLOSE_DAYS = 7
    now = timezone.now()
    department = DepartmentFactory()
    channel = ChannelAccountFactory(department=department)
    inactive = ChannelAccountFactory(department=department, is_active=False)
    open_page = _page(home_page, channel, live=True)
    recently_closed = _page(
        home_page,
        channel,
        live=True,
        opens_at=now - timedelta(days=30),
        closes_at=now - timedelta(days=2),
    )
    long_closed = _page(
        home_page,
        channel,
        live=True,
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=20),
    )
    draft = _page(home_page, channel, live=False)
    not_yet_open = _page(home_page, channel, live=True, opens_at=now + timedelta(days=1))
    on_inactive = _page(home_page, inactive, live=True)

    pairs = collection_pairs(now=now)

    assert (open_page.pk, channel.pk) in pairs
    assert (recently_closed.pk, channel.pk) in pairs
    for page in (long_closed, draft, not_yet_open):
        assert (page.pk, channel.pk) not in pairs
    assert (on_inactive.pk, inactive.pk) not in pairs


def test_a_claimed_poll_is_not_due_again_until_its_interval_has_passed(home_page, settings):
    connector_options_set(settings, "mastodon", POLL_INTERVAL=20)
    channel = ChannelAccountFactory(network="mastodon")
    page = _page(home_page, channel, live=True)
    now = timezone.now()

    assert collection_claim(consultation_id=page.pk, channel_id=channel.pk, now=now)
    assert not collection_claim(consultation_id=page.pk, channel_id=channel.pk, now=now)
    assert (page.pk, channel.pk) not in collection_due(now=now + timedelta(seconds=19))
    assert (page.pk, channel.pk) in collection_due(now=now + timedelta(seconds=21))


def test_deletions_are_swept_for_every_consultation_ever_collected_even_long_closed(home_page):
    now = timezone.now()
    channel = ChannelAccountFactory()
    closed = _page(
        home_page,
        channel,
        live=True,
        opens_at=now - timedelta(days=400),
        closes_at=now - timedelta(days=300),
    )
    CollectionStateFactory(consultation=closed, channel=channel)

    assert (closed.pk, channel.pk) in sweep_pairs()


def test_the_public_page_can_say_where_collection_is_incomplete_and_since_when(home_page):
    channel = ChannelAccountFactory(network="x", handle="cleanair")
    page = _page(home_page, channel, live=True)
    since = timezone.now() - timedelta(hours=3)
    CollectionStateFactory(
        consultation=page,
        channel=channel,
        incomplete_since=since,
        incomplete_reason="the X read budget of 10000 posts for this consultation is used up",
    )
    complete = ChannelAccountFactory(network="mastodon", department=channel.department)
    CollectionStateFactory(consultation=page, channel=complete, last_complete_at=timezone.now())

    gaps = collection_gaps_for(page)

    assert [(gap.network_label, gap.handle, gap.since) for gap in gaps] == [
        ("X", "cleanair", since)
    ]
    assert "read budget" in gaps[0].reason
