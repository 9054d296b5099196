"""Consultations announced on the sandbox networks, ready for their replies to be collected.

The sandboxes are the ones of ``tests/connectors`` (one set per test session for
this folder); announcements go out through the real delivery service.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone

from connectors.models import Delivery, DeliveryKind, DeliveryStatus
from connectors.services import delivery_send
from tests.atproto_reference import ReferenceBluesky
from tests.connectors import conftest as connector_fixtures
from tests.connectors.conftest import SandboxChannel, make_sandbox_channel
from tests.factories.connectors import consultation_page
from tests.worker_processes import processes  # noqa: F401 - a fixture for this folder

# The connector tests' fixtures: the sandbox networks, the reference Bluesky stack and
# the network parameter (with its bluesky-reference variant).
sandboxes = connector_fixtures.sandboxes
reference_stack = connector_fixtures.reference_stack
target = connector_fixtures.target
network = connector_fixtures.network
servers = connector_fixtures.servers


@dataclass
class Announced:
    sandbox: SandboxChannel
    page: object  # consultations.models.ConsultationPage
    root_id: str  # the announcement's first post on the network

    @property
    def state(self):
        return self.sandbox.server.state

    @property
    def channel(self):
        return self.sandbox.channel

    def reply(self, parent_id: str, handle: str, text: str, **extra) -> str:
        """A citizen replies on the network; returns the reply's id there."""
        post = self.state.citizen_reply(parent_id, handle=handle, text=text, **extra)
        return post_id(self.channel.network, post)

    def settle(self) -> None:
        """Call before collecting: the reference App View indexes what was written afterwards."""
        self.sandbox.settle()


def post_id(network_name: str, post: dict) -> str:
    return post["uri"] if network_name == "bluesky" else str(post["id"])


def announce(home_page, sandbox: SandboxChannel, **page_fields) -> Announced:
    """A live consultation on the channel, announced there through ``delivery_send``."""
    if isinstance(sandbox.server, ReferenceBluesky):
        # The reference stack outlives a test run: a hashtag no earlier run has posted.
        page_fields.setdefault("hashtag", f"CleanAirZones{uuid.uuid4().hex[:10]}")
    page = consultation_page(
        home_page, sandbox.channel.department, channels=[sandbox.channel], live=True, **page_fields
    )
    delivery = Delivery.objects.create(
        consultation=page,
        channel=sandbox.channel,
        kind=DeliveryKind.ANNOUNCE,
        due_at=timezone.now(),
    )
    delivery = delivery_send(delivery_id=delivery.pk)
    assert delivery.status == DeliveryStatus.DELIVERED, delivery.last_error
    first = delivery.posts.order_by("position").first()
    return Announced(sandbox=sandbox, page=page, root_id=first.external_id)


@pytest.fixture
def announced(db, home_page, servers, network) -> Announced:
    """A consultation announced on a fresh account of each network in turn."""
    return announce(home_page, make_sandbox_channel(servers, network))


@pytest.fixture
def small_pages(settings):
    """Pages of ten, the smallest every network accepts, so a few dozen replies span many pages."""
    settings.HUB_COLLECT_PAGE_SIZE = 10
    return 10
