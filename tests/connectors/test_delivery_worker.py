"""Publishing through a real Celery worker that is SIGKILLed in the middle of a thread.

The sandbox holds back its answer to the k-th post of the thread (the post is made,
the worker does not hear so): the worker is killed there, with parts 1..k-1 posted
and recorded and part k live but unrecorded. A new worker must finish the thread
with exactly one copy of every part on the network.
"""

from __future__ import annotations

import signal

import pytest
from django.utils import timezone

from connectors.models import Delivery, DeliveryKind, DeliveryPost, DeliveryStatus
from connectors.tasks import deliver
from tests.connectors.conftest import THREADED_NETWORKS, WRITE_PATHS, make_sandbox_channel
from tests.factories.connectors import LONG_SUMMARY, consultation_page
from tests.worker_processes import wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

KILLED_AT_PART = 3  # 1-based: the post whose answer the sandbox holds back


@pytest.mark.parametrize("network", THREADED_NETWORKS)
def test_a_worker_killed_mid_thread_leaves_one_copy_of_every_part_after_restart(
    processes,
    sandboxes,
    home_page,
    network,
):
    sandbox = make_sandbox_channel(sandboxes, network)
    page = consultation_page(
        home_page,
        sandbox.channel.department,
        channels=[sandbox.channel],
        live=True,
        summary=LONG_SUMMARY,
    )
    delivery = Delivery.objects.create(
        consultation=page,
        channel=sandbox.channel,
        kind=DeliveryKind.ANNOUNCE,
        due_at=timezone.now(),
    )
    sandbox.server.inject_fault(
        "hold_after_write",
        path=WRITE_PATHS[network],
        method="POST",
        skip=KILLED_AT_PART - 1,
        hold=120,
    )
    try:
        group = processes()
        worker = group.worker()
        deliver.apply_async(args=[delivery.pk], queue=group.queue)
        wait_for(
            lambda: len(sandbox.posts) >= KILLED_AT_PART,
            timeout=60,
            what=lambda: f"part {KILLED_AT_PART} to be posted\n{group.log('worker.log')}",
            interval=0.01,
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        sandbox.server.clear_faults()

    delivery.refresh_from_db()
    planned = [part["text"] for part in delivery.planned_parts]
    assert len(planned) > KILLED_AT_PART, "the thread must go on after the killed part"
    # Parts 1..k-1 were committed as each went live; part k is live but unrecorded.
    at_kill = list(delivery.posts.order_by("position").values_list("external_id", flat=True))
    assert len(at_kill) == KILLED_AT_PART - 1
    assert set(at_kill) < {_id(network, post) for post in sandbox.posts}
    assert delivery.status == DeliveryStatus.SENDING

    group.worker()
    # The killed task's message stays unacknowledged; beat or an administrator retries it.
    result = deliver.apply_async(args=[delivery.pk], queue=group.queue)
    assert result.get(timeout=120) == DeliveryStatus.DELIVERED, group.log("worker.log")

    live = [_id(network, post) for post in sandbox.posts]
    recorded = list(
        DeliveryPost.objects.filter(delivery=delivery)
        .order_by("position")
        .values_list("external_id", flat=True)
    )
    # Exactly one copy of every part on the network, each recorded once.
    assert len(live) == len(set(live)) == len(planned), live
    assert sorted(recorded) == sorted(live)
    assert recorded[: KILLED_AT_PART - 1] == at_kill


def _id(network: str, post: dict) -> str:
    return post["uri"] if network == "bluesky" else str(post["id"])


# (network, fault on the first write): X has no idempotency key, so the new attempt reads
# the account's posts; Mastodon's Idempotency-Key makes the network answer with the first.
@pytest.mark.parametrize(
    ("network", "fault"),
    [("x", "hold_after_write"), ("mastodon", "hold_after_write"), ("x", "timeout")],
)
def test_a_worker_killed_mid_post_is_taken_over_by_beat_with_one_copy_on_the_network(
    processes,
    sandboxes,
    home_page,
    network,
    fault,
):
    """Nobody retries it: beat sees the dead worker's lock gone and enqueues the delivery.

    "hold_after_write": the network made the post and the worker died before hearing so;
    the post is recorded, not made again. "timeout": the worker died before the network
    made it; the post is made once.
    """
    sandbox = make_sandbox_channel(sandboxes, network)
    page = consultation_page(home_page, sandbox.channel.department, channels=[sandbox.channel])
    page.live = True
    page.save(update_fields=["live"])
    delivery = Delivery.objects.create(
        consultation=page,
        channel=sandbox.channel,
        kind=DeliveryKind.ANNOUNCE,
        due_at=timezone.now(),
    )
    write_path = WRITE_PATHS[network]
    sandbox.server.inject_fault(fault, path=write_path, method="POST", hold=120)
    group = processes(HUB_DELIVERY_TAKEOVER_INTERVAL="2")
    earlier_requests = len(sandbox.server.state.request_log)  # the sandbox serves every test
    try:
        worker = group.worker()
        deliver.apply_async(args=[delivery.pk], queue=group.queue)
        wait_for(
            lambda: ("POST", write_path) in sandbox.server.state.request_log[earlier_requests:],
            timeout=60,
            what=lambda: f"the post to reach the network\n{group.log('worker.log')}",
            interval=0.01,
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        sandbox.server.clear_faults()
    at_kill = [_id(network, post) for post in sandbox.posts]
    assert len(at_kill) == (1 if fault == "hold_after_write" else 0)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENDING
    assert not delivery.posts.exists()

    group.worker()
    group.beat()
    wait_for(
        lambda: Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED,
        timeout=120,
        what=lambda: (
            f"beat to take the delivery over\n{group.log('beat.log')}\n{group.log('worker.log')}"
        ),
        interval=0.2,
    )

    planned = Delivery.objects.get(pk=delivery.pk).planned_parts
    live = [_id(network, post) for post in sandbox.posts]
    recorded = list(
        DeliveryPost.objects.filter(delivery=delivery)
        .order_by("position")
        .values_list("external_id", flat=True)
    )
    assert len(live) == len(set(live)) == len(planned), live
    assert recorded == live
    # The post the network accepted before the worker died is the one on record.
    assert recorded[: len(at_kill)] == at_kill
