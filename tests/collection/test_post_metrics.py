"""Engagement per post: the replies collected and published from each delivered post, and
the network's own public counts of it, read from the sandboxes (and Bluesky's reference
servers) and shown on the officers' dashboard and the public summary."""

from __future__ import annotations

import pytest
from django.utils import timezone

from connectors.collection import replies_collect
from connectors.metrics import post_metrics_refresh
from connectors.models import DeliveryPost
from connectors.selectors import engagement_per_delivery, metric_label
from connectors.tasks import refresh_channel_metrics
from tests.collection.conftest import announce
from tests.connectors.conftest import make_sandbox_channel

# The network's own name of its reply count; the others give no public counts.
REPLY_COUNT = {"x": "reply_count", "mastodon": "replies_count", "bluesky": "replyCount"}


@pytest.mark.django_db
def test_each_post_has_its_replies_collected_published_and_counted_by_the_network(
    home_page, servers, network, client
):
    announced = announce(
        home_page, make_sandbox_channel(servers, network), auto_approve_responses=True
    )
    announced.reply(announced.root_id, "walker", "Please keep the zone away from the school run.")
    announced.reply(announced.root_id, "cyclist", "A zone would make cycling to work safer.")
    announced.settle()
    replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    given = post_metrics_refresh(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    root = DeliveryPost.objects.get(external_id=announced.root_id)
    (engagement,) = engagement_per_delivery(consultation=announced.page)
    assert engagement.responses == 2
    assert engagement.published == 2
    summary = client.get(f"/consultations/{announced.page.slug}/summary/")
    assert summary.status_code == 200
    page = summary.content.decode()
    assert "Responses to our posts on social media" in page
    if network in REPLY_COUNT:
        assert given >= 1
        assert root.public_metrics[REPLY_COUNT[network]] == 2
        assert root.metrics_at is not None
        assert ("replies", 2) in engagement.metrics
        assert "2 replies" in page
    else:
        assert given == 0
        assert root.public_metrics == {}
        assert engagement.metrics == ()
        assert "not given" in page


@pytest.mark.django_db
def test_a_deleted_post_is_not_asked_about(home_page, sandboxes):
    announced = announce(home_page, make_sandbox_channel(sandboxes, "mastodon"))
    replies_collect(consultation_id=announced.page.pk, channel_id=announced.channel.pk)
    DeliveryPost.objects.filter(external_id=announced.root_id).update(deleted_at=timezone.now())

    assert (
        post_metrics_refresh(consultation_id=announced.page.pk, channel_id=announced.channel.pk)
        == 0
    )
    # The beat task's per-channel step: a refusal or a missing channel is not an error.
    assert refresh_channel_metrics.apply(args=[announced.page.pk, 0]).get() == 0


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("like_count", "likes"),
        ("likeCount", "likes"),
        ("replyCount", "replies"),
        ("replies_count", "replies"),
        ("reblogs_count", "reblogs"),
        ("favourites_count", "favourites"),
        ("repostCount", "reposts"),
    ],
)
def test_network_count_names_read_as_words(name, label):
    assert metric_label(name) == label
