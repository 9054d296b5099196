"""The three sandbox networks, started once per test session on free loopback ports,
and Bluesky's own reference servers (``scripts/services/atproto.sh``).

Their URLs are stored as each ChannelAccount's base URL, so a Celery worker in
another process (which reads the channel from the database) reaches the same
sandboxes as the test.

Tests that take ``network`` run on four targets: the three sandboxes and, as
``bluesky-reference``, the reference Bluesky stack in place of the Bluesky
sandbox. Where the two disagree the reference stack is right. Tests marked
``sandbox_only`` need a fault that only a sandbox can be made to give.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import pytest

from connectors.sandbox import SandboxServer, start_sandbox
from tests.atproto_reference import ReferenceBluesky, reference_bluesky
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory
from tests.worker_processes import processes  # noqa: F401 - a fixture for this folder

NETWORKS = ("x", "mastodon", "bluesky", "facebook", "youtube", "linkedin")
REFERENCE = "bluesky-reference"
TARGETS = (*NETWORKS, REFERENCE)
# Facebook, YouTube and LinkedIn have no threads (a long text is one post); Facebook gives the
# time to wait after a rate limit in whole minutes, YouTube and LinkedIn none at all (Google's
# 403 and LinkedIn's 429 say only which limit): the tests that need either run on the others.
THREADED_NETWORKS = ("x", "mastodon", "bluesky")
THREADED_TARGETS = (*THREADED_NETWORKS, REFERENCE)
RESET_IN_SECONDS_TARGETS = ("x", "mastodon", "bluesky")
# The endpoint each network writes posts to, for faults aimed at writes only. Graph's
# write is /{page-id}/feed: the version prefix matches it as the first request of a publish.
WRITE_PATHS = {
    "x": "/2/tweets",
    "mastodon": "/api/v1/statuses",
    "bluesky": "/xrpc/com.atproto.repo.createRecord",
    "facebook": "/v23.0/",
    "youtube": "/youtube/v3/commentThreads",
    "linkedin": "/rest/posts",
}
_handles = itertools.count(1)


def connector_options_set(settings, network: str, **options) -> None:
    """Override one network's HUB_CONNECTORS OPTIONS for this test (pytest-django's settings)."""
    connectors = copy.deepcopy(settings.HUB_CONNECTORS)
    connectors[network]["OPTIONS"] = {**connectors[network].get("OPTIONS", {}), **options}
    settings.HUB_CONNECTORS = connectors


@pytest.fixture(scope="session")
def sandboxes():
    servers = {network: start_sandbox(network) for network in NETWORKS}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def reference_stack():
    stack = reference_bluesky()
    yield stack
    stack.close()


@dataclass
class SandboxChannel:
    server: SandboxServer | ReferenceBluesky
    account: object  # connectors.sandbox.SandboxAccount
    channel: object  # connectors.models.ChannelAccount

    @property
    def posts(self) -> list[dict]:
        """Live posts of the account on the sandbox, oldest first."""
        return list(reversed(self.server.state.posts_by(self.account.id)))

    def settle(self) -> None:
        """Wait until what was written can be read (the reference App View indexes afterwards)."""
        if isinstance(self.server, ReferenceBluesky):
            self.server.process_all()


def make_sandbox_channel(sandboxes, network: str, *, department=None, credentials=None):
    server = sandboxes[network]
    handle = f"dept{next(_handles)}"
    account = server.state.create_account(
        handle=handle, display_name=f"Department {handle}", password=f"pw-{handle}-secret"
    )
    channel = ChannelAccountFactory(
        department=department or DepartmentFactory(),
        network=network,
        handle=account.handle,
        account_id=account.id,
        base_url=server.base_url,
        credentials=credentials or account.credentials,
    )
    return SandboxChannel(server=server, account=account, channel=channel)


@pytest.fixture(params=TARGETS)
def target(request) -> str:
    return request.param


@pytest.fixture
def network(target) -> str:
    return "bluesky" if target == REFERENCE else target


def on_reference(request) -> bool:
    """Whether this test is the ``bluesky-reference`` variant (``target`` may be overridden)."""
    callspec = getattr(request.node, "callspec", None)
    return callspec is not None and callspec.params.get("target") == REFERENCE


@pytest.fixture
def servers(request, sandboxes) -> dict:
    """The servers this test runs against, by network name."""
    if on_reference(request):
        return {**sandboxes, "bluesky": request.getfixturevalue("reference_stack")}
    return sandboxes


@pytest.fixture
def sandbox_channel(db, servers, network) -> SandboxChannel:
    """A fresh account on the network's sandbox (or the reference stack) and its ChannelAccount."""
    return make_sandbox_channel(servers, network)
