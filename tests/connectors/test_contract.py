"""The contract every connector passes against its sandbox, through its real client library over HTTP.

Each test runs once per network (the ``network`` fixture is parametrised over
x, mastodon, bluesky and facebook), and once more against Bluesky's reference servers
(``bluesky-reference``) unless it needs a sandbox's fault. Nothing is mocked:
tweepy, Mastodon.py and atproto talk HTTP to the local servers.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from connectors.exceptions import OutcomeUnknown, PermanentError, RateLimited, TransientError
from connectors.formatting import Message, compose_thread
from connectors.models import Delivery, DeliveryEventAction, DeliveryKind, DeliveryStatus
from connectors.registry import connector_class
from connectors.services import (
    channel_account_connector,
    channel_account_verify,
    delivery_schedule_for_consultation,
    delivery_send,
)
from connectors.tasks import retry_countdown
from connectors.types import OutgoingPost
from tests.connectors.conftest import (
    RESET_IN_SECONDS_TARGETS,
    THREADED_TARGETS,
    WRITE_PATHS,
    make_sandbox_channel,
)
from tests.connectors.sandbox_posts import post_id, post_parent, post_text
from tests.factories.connectors import consultation_page

LINK = "https://consult.example.gov.uk/consultations/clean-air-zones-in-market-towns/"
LONG_SUMMARY = " ".join(
    f"Paragraph {n}: we propose clean air zones in ten market towns, with charges for the "
    "most polluting vehicles, exemptions for residents, and grants for small businesses."
    for n in range(1, 8)
)


def _connector(sandbox_channel):
    return channel_account_connector(channel=sandbox_channel.channel)


def _announcement(
    home_page, sandbox_channel, *, summary: str = "Tell us what you think."
) -> Delivery:
    page = consultation_page(
        home_page,
        sandbox_channel.channel.department,
        channels=[sandbox_channel.channel],
        summary=summary,
    )
    deliveries = delivery_schedule_for_consultation(page=page)
    return next(d for d in deliveries if d.kind == DeliveryKind.ANNOUNCE)


# --- The connector on its own ---------------------------------------------------------


def test_verify_names_the_account_the_credentials_belong_to(sandbox_channel):
    account = _connector(sandbox_channel).verify()

    assert account.id == sandbox_channel.account.id
    assert account.handle.split("@")[0] == sandbox_channel.account.handle.split("@")[0]


def test_publish_puts_one_post_with_link_and_hashtag_on_the_network(sandbox_channel, network):
    connector = _connector(sandbox_channel)
    (part,) = compose_thread(
        Message(text="Have your say on clean air zones.", link=LINK, hashtag="CleanAir"),
        connector.rules(),
    )

    published = connector.publish(part)

    posts = sandbox_channel.posts
    assert [post_id(network, post) for post in posts] == [published.id]
    text = post_text(network, posts[0])
    assert "#CleanAir" in text
    if network == "bluesky":
        facets = posts[0]["record"]["facets"]
        uris = [f["uri"] for facet in facets for f in facet["features"] if "uri" in f]
        tags = [f["tag"] for facet in facets for f in facet["features"] if "tag" in f]
        assert uris == [LINK] and tags == ["CleanAir"]
    else:
        assert LINK in text
    assert published.url


@pytest.mark.parametrize("target", THREADED_TARGETS)
def test_thread_parts_are_published_in_order_each_replying_to_the_one_before(
    sandbox_channel, network
):
    connector = _connector(sandbox_channel)
    parts = compose_thread(
        Message(text=LONG_SUMMARY, link=LINK, hashtag="CleanAir"), connector.rules()
    )
    assert len(parts) >= 2

    result = connector.publish_thread(parts)

    posts = sandbox_channel.posts
    assert [post_id(network, post) for post in posts] == [post.id for post in result.posts]
    assert post_parent(network, posts[0]) is None
    for previous, post in zip(posts, posts[1:], strict=False):
        assert post_parent(network, post) == post_id(network, previous)
    assert [
        connector.same_text(part.text, post_text(network, post))
        for part, post in zip(parts, posts, strict=True)
    ] == [True] * len(parts)


def test_delete_removes_the_post_from_the_network(sandbox_channel):
    connector = _connector(sandbox_channel)
    published = connector.publish(OutgoingPost(text="A post to take back"))
    assert len(sandbox_channel.posts) == 1

    connector.delete(published)

    assert sandbox_channel.posts == []


def test_text_over_the_network_limit_is_refused_for_good(sandbox_channel):
    connector = _connector(sandbox_channel)
    too_long = "word " * (connector.rules().limit // 2)

    with pytest.raises(PermanentError) as refused:
        connector.publish(OutgoingPost(text=too_long))

    # Each network words it its own way ("too long", "character limit of 500 exceeded",
    # "grapheme too big (maximum 300, got 1500)").
    assert any(word in refused.value.reason.lower() for word in ("long", "limit", "too big"))
    assert sandbox_channel.posts == []


def test_bad_credentials_are_refused_for_good(db, servers, network):
    other = make_sandbox_channel(servers, network)
    secrets = {key: "wrong-" + value for key, value in other.account.credentials.items()}
    if network == "bluesky":
        secrets["identifier"] = other.account.credentials["identifier"]
    if network == "youtube":
        secrets["video"] = other.account.credentials["video"]  # where, not who: no secret
    if network == "linkedin":
        secrets["organization"] = other.account.credentials["organization"]
    connector = connector_class(network)(
        other.channel.channel_credentials().__class__(
            network=network,
            base_url=other.server.base_url,
            handle=other.account.handle,
            secrets=secrets,
        )
    )

    with pytest.raises(PermanentError):
        connector.verify()


@pytest.mark.sandbox_only
@pytest.mark.parametrize("target", RESET_IN_SECONDS_TARGETS)
def test_rate_limit_reports_when_the_network_resets(sandbox_channel, network):
    connector = _connector(sandbox_channel)
    sandbox_channel.server.inject_fault("rate_limit", path=WRITE_PATHS[network], reset_in=30)

    with pytest.raises(RateLimited) as limited:
        connector.publish(OutgoingPost(text="Rate limited"))

    wait = (limited.value.reset_at - datetime.now(tz=UTC)).total_seconds()
    assert 20 < wait <= 31
    assert sandbox_channel.posts == []


# --- Deliveries: exactly once, through the service ------------------------------------------


@pytest.mark.parametrize("target", THREADED_TARGETS)
def test_delivery_posts_the_thread_once_and_records_every_part(home_page, sandbox_channel, network):
    delivery = _announcement(home_page, sandbox_channel, summary=LONG_SUMMARY)

    delivered = delivery_send(delivery_id=delivery.pk)
    delivery_send(delivery_id=delivery.pk)  # a duplicate task does nothing

    assert delivered.status == DeliveryStatus.DELIVERED
    posts = sandbox_channel.posts
    recorded = list(delivered.posts.order_by("position"))
    assert len(posts) == len(recorded) == len(delivered.planned_parts) >= 2
    assert [p.external_id for p in recorded] == [post_id(network, post) for post in posts]
    assert all(p.url for p in recorded)
    assert delivered.attempts == 1


@pytest.mark.parametrize("target", ["facebook", "youtube", "linkedin"])
def test_a_long_announcement_is_one_post_where_the_network_has_no_threads(
    home_page, sandbox_channel, network
):
    delivery = _announcement(home_page, sandbox_channel, summary=LONG_SUMMARY)

    delivered = delivery_send(delivery_id=delivery.pk)

    assert delivered.status == DeliveryStatus.DELIVERED
    (recorded,) = delivered.posts.all()
    (posted,) = sandbox_channel.posts
    assert recorded.external_id == post_id(network, posted)
    assert LONG_SUMMARY[-40:] in post_text(network, posted)


@pytest.mark.sandbox_only
@pytest.mark.parametrize("target", RESET_IN_SECONDS_TARGETS)
def test_rate_limited_delivery_waits_for_the_reset_then_posts_once(
    home_page, sandbox_channel, network
):
    delivery = _announcement(home_page, sandbox_channel)
    sandbox_channel.server.inject_fault("rate_limit", path=WRITE_PATHS[network], reset_in=2)

    with pytest.raises(RateLimited) as limited:
        delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.events.filter(action=DeliveryEventAction.RATE_LIMITED).exists()
    countdown = retry_countdown(limited.value, retries=0)
    assert 1 <= countdown <= 4
    time.sleep(countdown)

    delivered = delivery_send(delivery_id=delivery.pk)

    assert delivered.status == DeliveryStatus.DELIVERED
    assert len(sandbox_channel.posts) == 1


@pytest.mark.sandbox_only
def test_server_error_then_success_posts_once(home_page, sandbox_channel, network):
    delivery = _announcement(home_page, sandbox_channel)
    sandbox_channel.server.inject_fault("server_error", path=WRITE_PATHS[network])

    with pytest.raises(TransientError):
        delivery_send(delivery_id=delivery.pk)
    assert sandbox_channel.posts == []

    delivered = delivery_send(delivery_id=delivery.pk)

    assert delivered.status == DeliveryStatus.DELIVERED
    assert delivered.attempts == 2
    assert len(sandbox_channel.posts) == 1


@pytest.mark.sandbox_only
def test_crash_between_post_and_save_recovers_without_a_double_post(
    home_page, sandbox_channel, network
):
    delivery = _announcement(home_page, sandbox_channel, summary=LONG_SUMMARY)
    sandbox_channel.server.inject_fault("crash_after_write", path=WRITE_PATHS[network])

    with pytest.raises(OutcomeUnknown):
        delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING  # the next attempt must look before posting
    assert len(sandbox_channel.posts) == 1  # the crashed write did happen
    assert delivery.posts.count() == 0  # ...but was never saved

    delivered = delivery_send(delivery_id=delivery.pk)

    assert delivered.status == DeliveryStatus.DELIVERED
    posts = sandbox_channel.posts
    assert len(posts) == len(delivered.planned_parts)
    assert [p.external_id for p in delivered.posts.order_by("position")] == [
        post_id(network, post) for post in posts
    ]
    for previous, post in zip(posts, posts[1:], strict=False):
        assert post_parent(network, post) == post_id(network, previous)


@pytest.mark.sandbox_only
@pytest.mark.parametrize("fault", ["timeout", "malformed"])
def test_unanswered_or_unreadable_write_is_resolved_without_a_double_post(
    home_page, sandbox_channel, network, fault, settings
):
    settings.HUB_CONNECTOR_TIMEOUT = 1
    delivery = _announcement(home_page, sandbox_channel, summary=LONG_SUMMARY)
    sandbox_channel.server.inject_fault(fault, path=WRITE_PATHS[network], hold=2)

    with pytest.raises(OutcomeUnknown):
        delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING  # it may have been written: look first
    delivered = delivery_send(delivery_id=delivery.pk)

    assert delivered.status == DeliveryStatus.DELIVERED
    posts = sandbox_channel.posts
    assert len(posts) == len(delivered.planned_parts)
    assert [p.external_id for p in delivered.posts.order_by("position")] == [
        post_id(network, post) for post in posts
    ]


def test_worker_killed_after_posting_is_recovered_from_the_sending_status(
    home_page, sandbox_channel, network
):
    """A process killed outright leaves only the committed "sending" status behind."""
    delivery = _announcement(home_page, sandbox_channel)
    delivered = delivery_send(delivery_id=delivery.pk)
    assert len(sandbox_channel.posts) == 1
    # Undo the bookkeeping as if the worker died after the write but before saving it.
    delivered.posts.all().delete()
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING)

    delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(sandbox_channel.posts) == 1
    assert delivery.posts.get().external_id == post_id(network, sandbox_channel.posts[0])


def test_bad_credentials_fail_the_delivery_for_good_and_say_why(home_page, servers, network):
    good = make_sandbox_channel(servers, network)
    wrong = {key: "wrong-" + value for key, value in good.account.credentials.items()}
    if network == "bluesky":
        wrong["identifier"] = good.account.credentials["identifier"]
    good.channel.set_credentials(wrong)
    good.channel.save()
    delivery = _announcement(home_page, good)

    failed = delivery_send(delivery_id=delivery.pk)

    assert failed.status == DeliveryStatus.FAILED
    assert failed.last_error
    assert failed.events.filter(action=DeliveryEventAction.FAILED).exists()
    assert good.posts == []
    # A failed delivery is not retried by a stray task.
    assert delivery_send(delivery_id=delivery.pk).attempts == failed.attempts


def test_text_grown_too_long_fails_the_delivery_for_good(home_page, sandbox_channel):
    delivery = _announcement(home_page, sandbox_channel)
    limit = _connector(sandbox_channel).rules().limit
    Delivery.objects.filter(pk=delivery.pk).update(
        planned_parts=[{"text": "word " * limit, "facets": []}]
    )

    failed = delivery_send(delivery_id=delivery.pk)

    assert failed.status == DeliveryStatus.FAILED
    assert any(word in failed.last_error.lower() for word in ("long", "limit", "too big"))
    assert sandbox_channel.posts == []


def test_reminders_are_not_sent_before_they_are_due(home_page, sandbox_channel):
    page = consultation_page(
        home_page, sandbox_channel.channel.department, channels=[sandbox_channel.channel]
    )
    deliveries = delivery_schedule_for_consultation(page=page)
    kinds = {d.kind: d for d in deliveries}
    assert set(kinds) == {"announce", "reminder_7d", "reminder_1d", "closed"}
    assert kinds["reminder_1d"].due_at == page.closes_at - timezone.timedelta(days=1)

    untouched = delivery_send(delivery_id=kinds["reminder_7d"].pk)

    assert untouched.status == DeliveryStatus.PENDING
    assert untouched.attempts == 0
    assert sandbox_channel.posts == []


def test_test_connection_records_the_account_and_the_time(sandbox_channel):
    channel = sandbox_channel.channel
    channel.account_id = ""
    channel.save()

    channel_account_verify(channel=channel)

    channel.refresh_from_db()
    assert channel.account_id == sandbox_channel.account.id
    assert channel.last_checked_at is not None
    assert channel.last_error == ""
