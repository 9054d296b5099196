"""The outcome back on the networks: a reply in each announcement thread, exactly once,
sent by a real Celery worker and read back from the sandbox's own state (or, for
``bluesky-reference``, from Bluesky's reference PDS).
"""

from __future__ import annotations

import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.models import Delivery, DeliveryKind, DeliveryStatus
from connectors.services import delivery_send
from connectors.tasks import announce_outcomes, deliver
from consultations.models import ConsultationPage
from tests.connectors.conftest import NETWORKS, SandboxChannel, make_sandbox_channel
from tests.connectors.sandbox_posts import post_parent, post_text
from tests.factories.connectors import consultation_page
from tests.worker_processes import wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Where each network's reply is written: a post in the thread, or a comment on the post.
REPLY_WRITE_PATHS = {
    "x": "/2/tweets",
    "mastodon": "/api/v1/statuses",
    "bluesky": "/xrpc/com.atproto.repo.createRecord",
    "facebook": "/v23.0/",
    "youtube": "/youtube/v3/comments",
    "linkedin": "/rest/socialActions/",
}


def own_replies_on_network(sandbox: SandboxChannel, network: str, parent_id: str) -> list[str]:
    """The texts of the account's live replies directly under ``parent_id``, from the
    network's own state (posts in a thread, or comments on the post)."""
    state = sandbox.server.state
    if network == "facebook":
        return [
            c["message"]
            for c in state.comments_of(parent_id)
            if c["author_id"] == sandbox.account.id and not c["parent_id"]
        ]
    if network == "youtube":
        return [
            c["text"] for c in state.replies_of(parent_id) if c["author_id"] == sandbox.account.id
        ]
    if network == "linkedin":
        organisation = f"urn:li:organization:{sandbox.account.id}"
        return [c["text"] for c in state.comments_on(parent_id) if c["actor"] == organisation]
    sandbox.settle()
    return [
        " ".join([post_text(network, post), *_link_facets(network, post)])
        for post in sandbox.posts
        if post_parent(network, post) == parent_id
    ]


def _link_facets(network: str, post: dict) -> list[str]:
    """Bluesky shows a long link shortened: the link itself is in the record's facets."""
    if network != "bluesky":
        return []
    return [
        feature["uri"]
        for facet in post["record"].get("facets") or []
        for feature in facet["features"]
        if "uri" in feature
    ]


def _announced(home_page, sandbox: SandboxChannel) -> tuple[ConsultationPage, str]:
    """A live consultation announced on the sandbox (in this process); its last part's id."""
    page = consultation_page(
        home_page,
        sandbox.channel.department,
        channels=[sandbox.channel],
        live=True,
        opens_at=timezone.now() - timedelta(days=30),
        closes_at=timezone.now() - timedelta(days=2),
    )
    announcement = Delivery.objects.create(
        consultation=page,
        channel=sandbox.channel,
        kind=DeliveryKind.ANNOUNCE,
        due_at=timezone.now(),
    )
    assert delivery_send(delivery_id=announcement.pk).status == DeliveryStatus.DELIVERED
    last = announcement.posts.order_by("position").last()
    return page, last.external_id


def _publish_outcome(page: ConsultationPage) -> None:
    page.outcome = [("rich_text", "<p>We will introduce clean air zones in six towns.</p>")]
    page.outcome_published_at = timezone.now() - timedelta(minutes=1)
    page.save()


def test_the_outcome_is_replied_once_in_the_announcement_thread_by_a_real_worker(
    processes, sandbox_channel, home_page, network
):
    page, announced = _announced(home_page, sandbox_channel)
    group = processes()
    group.worker()

    # Before the outcome is public nothing is said.
    assert announce_outcomes.apply_async(queue=group.queue).get(timeout=60) == 0
    assert own_replies_on_network(sandbox_channel, network, announced) == []

    _publish_outcome(page)
    assert announce_outcomes.apply_async(queue=group.queue).get(timeout=60) == 1
    outcome = Delivery.objects.get(consultation=page, kind=DeliveryKind.OUTCOME)
    wait_for(
        lambda: Delivery.objects.get(pk=outcome.pk).status == DeliveryStatus.DELIVERED,
        timeout=60,
        what=lambda: f"the outcome reply to be delivered\n{group.log('worker.log')}",
    )
    replies = own_replies_on_network(sandbox_channel, network, announced)
    assert len(replies) == 1, replies
    assert f"/consultations/{page.slug}/summary/" in replies[0]
    assert "outcome" in replies[0]

    # A second scan (beat runs it every minute) posts nothing more.
    assert announce_outcomes.apply_async(queue=group.queue).get(timeout=60) == 0
    result = deliver.apply_async(args=[outcome.pk], queue=group.queue)
    assert result.get(timeout=60) == DeliveryStatus.DELIVERED
    assert len(own_replies_on_network(sandbox_channel, network, announced)) == 1
    assert Delivery.objects.filter(consultation=page, kind=DeliveryKind.OUTCOME).count() == 1


@pytest.mark.sandbox_only
@pytest.mark.parametrize("network", NETWORKS)
def test_a_worker_killed_after_posting_the_outcome_reply_does_not_post_it_twice(
    processes, sandboxes, home_page, network
):
    sandbox = make_sandbox_channel(sandboxes, network)
    page, announced = _announced(home_page, sandbox)
    _publish_outcome(page)
    # The reply is written, but its answer is held back until the worker is dead.
    sandbox.server.inject_fault(
        "hold_after_write", path=REPLY_WRITE_PATHS[network], method="POST", hold=120
    )
    try:
        group = processes()
        worker = group.worker()
        announce_outcomes.apply_async(queue=group.queue)
        wait_for(
            lambda: len(own_replies_on_network(sandbox, network, announced)) == 1,
            timeout=60,
            what=lambda: f"the outcome reply to be written\n{group.log('worker.log')}",
            interval=0.01,
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        sandbox.server.clear_faults()

    outcome = Delivery.objects.get(consultation=page, kind=DeliveryKind.OUTCOME)
    assert outcome.status == DeliveryStatus.SENDING
    assert not outcome.posts.exists()

    group.worker()
    result = deliver.apply_async(args=[outcome.pk], queue=group.queue)
    assert result.get(timeout=120) == DeliveryStatus.DELIVERED, group.log("worker.log")
    replies = own_replies_on_network(sandbox, network, announced)
    assert len(replies) == 1, replies
    # The reply found on the network was adopted as the delivery's own.
    assert outcome.events.filter(action="recovered").exists()
    assert outcome.posts.count() == 1


def test_no_outcome_reply_under_a_deleted_announcement(sandboxes, home_page, db):
    sandbox = make_sandbox_channel(sandboxes, "mastodon")
    page, _ = _announced(home_page, sandbox)
    announcement = Delivery.objects.get(consultation=page, kind=DeliveryKind.ANNOUNCE)
    announcement.posts.update(deleted_at=timezone.now())
    _publish_outcome(page)

    assert announce_outcomes.apply().get() == 0
    assert not Delivery.objects.filter(consultation=page, kind=DeliveryKind.OUTCOME).exists()


def test_an_outcome_older_than_the_window_is_not_announced(sandboxes, home_page, settings, db):
    settings.HUB_OUTCOME_REPLY_MAX_AGE = 30
    sandbox = make_sandbox_channel(sandboxes, "x")
    page, _ = _announced(home_page, sandbox)
    page.outcome = [("rich_text", "<p>Done.</p>")]
    page.outcome_published_at = timezone.now() - timedelta(days=31)
    page.save()

    assert announce_outcomes.apply().get() == 0
