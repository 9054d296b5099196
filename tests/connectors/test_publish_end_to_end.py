"""Publishing a consultation in Wagtail cross-posts it through the real Celery worker, exactly once.

The sandboxes run in this process; the worker is a separate process that reads
each channel's base URL (the sandbox's address) from the test database.
"""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model

from cms.tasks import worker_identity
from connectors.models import Delivery, DeliveryEventAction, DeliveryKind, DeliveryStatus
from tests.connectors.conftest import NETWORKS, make_sandbox_channel
from tests.connectors.sandbox_posts import post_id, post_parent
from tests.factories.connectors import DepartmentFactory, consultation_page

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _wait_for(condition, *, timeout: float = 60.0, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _drain_worker():
    """Every task queued before this one has run (the test worker is a single solo process)."""
    worker_identity.delay("drain").get(timeout=60)


def test_publishing_posts_once_on_each_network_and_republishing_does_not_post_again(
    celery_worker, sandboxes, home_page
):
    editor = get_user_model().objects.create_superuser(username="editor", password="x" * 12)
    department = DepartmentFactory()
    channels = {n: make_sandbox_channel(sandboxes, n, department=department) for n in NETWORKS}
    page = consultation_page(home_page, department, channels=[c.channel for c in channels.values()])

    page.save_revision(user=editor).publish(user=editor)

    def announcements_done():
        deliveries = Delivery.objects.filter(consultation=page, kind=DeliveryKind.ANNOUNCE)
        return deliveries.count() == len(NETWORKS) and all(
            d.status == DeliveryStatus.DELIVERED for d in deliveries
        )

    _wait_for(announcements_done, what="the worker to deliver the announcements")
    for network, sandbox in channels.items():
        delivery = Delivery.objects.get(
            consultation=page, channel=sandbox.channel, kind=DeliveryKind.ANNOUNCE
        )
        posts = sandbox.posts
        assert len(posts) == len(delivery.planned_parts) == delivery.posts.count(), network
        assert [p.external_id for p in delivery.posts.order_by("position")] == [
            post_id(network, post) for post in posts
        ]
        assert post_parent(network, posts[0]) is None
        scheduled = delivery.events.get(action=DeliveryEventAction.SCHEDULED)
        assert scheduled.actor == editor
    writes_before = {n: len(c.server.state.request_log) for n, c in channels.items()}

    page.refresh_from_db()
    page.save_revision(user=editor).publish(user=editor)
    _drain_worker()

    for network, sandbox in channels.items():
        delivery = Delivery.objects.get(
            consultation=page, channel=sandbox.channel, kind=DeliveryKind.ANNOUNCE
        )
        assert len(sandbox.posts) == len(delivery.planned_parts), network
        new_requests = sandbox.server.state.request_log[writes_before[network] :]
        assert [r for r in new_requests if r[0] in ("POST", "DELETE")] == [], network
        assert delivery.attempts == 1
    # Reminders wait for their time; nothing but the announcement went out.
    assert Delivery.objects.filter(consultation=page).exclude(kind=DeliveryKind.ANNOUNCE).filter(
        status=DeliveryStatus.PENDING
    ).count() == 3 * len(NETWORKS)
