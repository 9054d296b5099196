"""Engagement per post: the replies collected and published from each delivered post, and
the network's own public counts of it, read from the sandboxes (and Bluesky's reference
servers) and shown on the officers' dashboard and the public summary."""

from __future__ import annotations

import pytest
from django.utils import timezone

from connectors.backends.facebook import GRAPH_API_VERSION
from connectors.collection import replies_collect
from connectors.metrics import post_metrics_refresh
from connectors.models import DeliveryPost
from connectors.selectors import engagement_per_delivery, metric_label
from connectors.tasks import refresh_channel_metrics
from tests.collection.conftest import announce
from tests.connectors.conftest import make_sandbox_channel

# The network's own name of its reply count: Graph's top-level comments' summary, the
# YouTube thread's replies to the hub's comment, LinkedIn's comments with their replies.
REPLY_COUNT = {
    "x": "reply_count",
    "mastodon": "replies_count",
    "bluesky": "replyCount",
    "facebook": "comments",
    "youtube": "totalReplyCount",
    "linkedin": "aggregatedTotalComments",
}


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
    label = metric_label(REPLY_COUNT[network])
    assert given >= 1
    assert root.public_metrics[REPLY_COUNT[network]] == 2
    assert root.metrics_at is not None
    assert (label, 2) in engagement.metrics
    assert f"2 {label}" in page


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
        ("comments", "comments"),
        ("reactions", "reactions"),
        ("shares", "shares"),
        ("totalReplyCount", "replies"),
        ("totalLikes", "likes"),
        ("aggregatedTotalComments", "comments"),
    ],
)
def test_network_count_names_read_as_words(name, label):
    assert metric_label(name) == label


# --- Facebook, YouTube and LinkedIn: the counts each gives, as its API names them -----------


@pytest.mark.django_db
def test_a_facebook_page_post_counts_its_reactions_top_level_comments_and_shares(
    home_page, sandboxes
):
    announced = announce(home_page, make_sandbox_channel(sandboxes, "facebook"))
    state = announced.state
    comment = state.citizen_reply(announced.root_id, handle="ana", text="Yes to the zone.")
    state.citizen_reply(comment["id"], handle="bo", text="A reply is not a top-level comment.")
    state.citizen_reply(announced.root_id, handle="cy", text="No to the zone.")
    for handle, kind in (("ana", "LIKE"), ("bo", "LOVE"), ("cy", "ANGRY"), ("ana", "WOW")):
        state.react(announced.root_id, handle=handle, kind=kind)
    state.share(announced.root_id, handle="dee")

    post_metrics_refresh(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    root = DeliveryPost.objects.get(external_id=announced.root_id)
    # One reaction a person (ana changed hers); comments.summary counts the top level only.
    assert root.public_metrics == {"reactions": 3, "comments": 2, "shares": 1}
    # The post's own node, read by id (``GET /vNN.N/{post-id}?fields=...``).
    assert ("GET", f"/{GRAPH_API_VERSION}/{announced.root_id}") in state.request_log


@pytest.mark.django_db
def test_a_facebook_post_nobody_shared_counts_no_shares(home_page, sandboxes):
    """Graph leaves ``shares`` out until someone shares: that is zero, not unknown."""
    announced = announce(home_page, make_sandbox_channel(sandboxes, "facebook"))

    post_metrics_refresh(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    root = DeliveryPost.objects.get(external_id=announced.root_id)
    assert root.public_metrics == {"reactions": 0, "comments": 0, "shares": 0}


@pytest.mark.django_db
def test_the_hubs_youtube_comment_counts_its_likes_and_its_threads_replies(home_page, sandboxes):
    announced = announce(home_page, make_sandbox_channel(sandboxes, "youtube"))
    state = announced.state
    reply = state.citizen_reply(announced.root_id, handle="ana", text="Good idea.")
    state.citizen_reply(announced.root_id, handle="bo", text="Bad idea.")
    for handle in ("ana", "bo", "cy", "ana"):
        state.like(announced.root_id, handle=handle)
    state.like(reply["id"], handle="dee")  # a reply's like is not the hub's comment's

    post_metrics_refresh(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    root = DeliveryPost.objects.get(external_id=announced.root_id)
    assert root.public_metrics == {"likeCount": 3, "totalReplyCount": 2}


@pytest.mark.django_db
def test_a_linkedin_post_counts_its_likes_and_its_comments_with_their_replies(home_page, sandboxes):
    announced = announce(home_page, make_sandbox_channel(sandboxes, "linkedin"))
    state = announced.state
    comment = state.citizen_reply(announced.root_id, handle="ana", text="Agreed.")
    state.citizen_reply(comment["id"], handle="bo", text="Not agreed.")
    state.like(announced.root_id, handle="ana")
    state.like(announced.root_id, handle="bo", reaction="PRAISE")
    state.like(comment["id"], handle="cy")  # the comment's like, not the post's

    post_metrics_refresh(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    root = DeliveryPost.objects.get(external_id=announced.root_id)
    assert root.public_metrics == {"totalLikes": 2, "aggregatedTotalComments": 2}


@pytest.mark.django_db
@pytest.mark.parametrize("network", ["facebook", "youtube", "linkedin"])
def test_a_post_deleted_on_the_network_is_left_out_of_the_counts(home_page, sandboxes, network):
    announced = announce(home_page, make_sandbox_channel(sandboxes, network))
    announced.state.delete_post(announced.root_id)

    given = post_metrics_refresh(consultation_id=announced.page.pk, channel_id=announced.channel.pk)

    assert given == 0
    assert DeliveryPost.objects.get(external_id=announced.root_id).public_metrics == {}
