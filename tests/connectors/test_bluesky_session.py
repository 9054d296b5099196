"""Bluesky: the session is kept (encrypted) on the channel and reused, not a login per post.

The request counts need the sandbox; the last test also runs against the reference PDS.
"""

from __future__ import annotations

import pytest

from connectors.collection import replies_collect
from connectors.models import DeliveryKind, DeliveryStatus
from connectors.services import delivery_schedule_for_consultation, delivery_send
from tests.connectors.conftest import make_sandbox_channel
from tests.factories.connectors import consultation_page

CREATE_SESSION = "/xrpc/com.atproto.server.createSession"
REFRESH_SESSION = "/xrpc/com.atproto.server.refreshSession"


def _count(server, path: str) -> int:
    return sum(1 for _, logged in server.state.request_log if logged == path)


def _resigned(jwt: str) -> str:
    header, payload, _signature = jwt.split(".")
    return f"{header}.{payload}.{'A' * 43}"


def _announce(home_page, sandbox):
    page = consultation_page(home_page, sandbox.channel.department, channels=[sandbox.channel])
    announce = next(
        d for d in delivery_schedule_for_consultation(page=page) if d.kind == DeliveryKind.ANNOUNCE
    )
    return delivery_send(delivery_id=announce.pk)


@pytest.fixture
def bluesky(db, sandboxes):
    return make_sandbox_channel(sandboxes, "bluesky")


def test_session_is_stored_encrypted_and_reused_by_the_next_delivery(home_page, bluesky):
    server = bluesky.server
    logins_before = _count(server, CREATE_SESSION)

    assert _announce(home_page, bluesky).status == DeliveryStatus.DELIVERED
    bluesky.channel.refresh_from_db()
    session = bluesky.channel.credentials.get("session")
    assert session
    assert session not in bluesky.channel.credentials_ciphertext
    assert _count(server, CREATE_SESSION) == logins_before + 1

    assert _announce(home_page, bluesky).status == DeliveryStatus.DELIVERED

    assert _count(server, CREATE_SESSION) == logins_before + 1  # no second login


def test_a_refreshed_session_replaces_the_stored_one(home_page, bluesky):
    server = bluesky.server
    ttl = server.state.access_token_ttl
    # Within atproto's 15-minute margin from the start, so the next use refreshes it.
    server.state.access_token_ttl = 60
    try:
        _announce(home_page, bluesky)
        bluesky.channel.refresh_from_db()
        short_lived = bluesky.channel.credentials["session"]
        logins, refreshes = _count(server, CREATE_SESSION), _count(server, REFRESH_SESSION)

        assert _announce(home_page, bluesky).status == DeliveryStatus.DELIVERED

        bluesky.channel.refresh_from_db()
        assert _count(server, REFRESH_SESSION) == refreshes + 1
        assert _count(server, CREATE_SESSION) == logins
        assert bluesky.channel.credentials["session"] != short_lived
    finally:
        server.state.access_token_ttl = ttl


def test_a_session_the_server_no_longer_accepts_leads_to_one_fresh_login(home_page, bluesky):
    server = bluesky.server
    _announce(home_page, bluesky)
    bluesky.channel.refresh_from_db()
    handle, did, access, refresh, pds = bluesky.channel.credentials["session"].split(":::")
    # Well-formed and unexpired, but signed by someone else: the PDS answers 400 InvalidToken.
    forged = ":::".join([handle, did, _resigned(access), _resigned(refresh), pds])
    bluesky.channel.set_credentials({**bluesky.channel.credentials, "session": forged})
    bluesky.channel.save()
    logins_before = _count(server, CREATE_SESSION)

    assert _announce(home_page, bluesky).status == DeliveryStatus.DELIVERED

    assert _count(server, CREATE_SESSION) == logins_before + 1
    bluesky.channel.refresh_from_db()
    assert bluesky.channel.credentials["session"] != forged


def test_an_unreadable_stored_session_leads_to_a_fresh_login(home_page, bluesky):
    _announce(home_page, bluesky)
    bluesky.channel.refresh_from_db()
    handle, did, _access, _refresh, pds = bluesky.channel.credentials["session"].split(":::")
    garbled = ":::".join([handle, did, "not-a-token", "not-a-token", pds])
    bluesky.channel.set_credentials({**bluesky.channel.credentials, "session": garbled})
    bluesky.channel.save()

    assert _announce(home_page, bluesky).status == DeliveryStatus.DELIVERED


def test_a_session_made_for_another_address_is_not_used(home_page, bluesky):
    _announce(home_page, bluesky)
    bluesky.channel.refresh_from_db()
    session = bluesky.channel.credentials["session"]
    moved = session.rsplit(":::", 1)[0] + ":::http://127.0.0.1:9/xrpc"
    bluesky.channel.set_credentials({**bluesky.channel.credentials, "session": moved})
    bluesky.channel.save()

    assert _announce(home_page, bluesky).status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize("target", ["bluesky", "bluesky-reference"])
def test_a_session_naming_the_accounts_own_pds_is_reused_by_the_next_delivery_and_poll(
    home_page, sandbox_channel
):
    """createSession answers with the DID document naming the account's PDS, under another
    name than the channel's address (on bsky.social: the account's *.host.bsky.network)."""
    channel = sandbox_channel.channel
    first = _announce(home_page, sandbox_channel)
    channel.refresh_from_db()
    session = channel.credentials["session"]
    assert session.rsplit(":::", 1)[1].rstrip("/") not in (
        channel.base_url,
        f"{channel.base_url}/xrpc",
    )

    assert _announce(home_page, sandbox_channel).status == DeliveryStatus.DELIVERED
    sandbox_channel.settle()
    replies_collect(consultation_id=first.consultation_id, channel_id=channel.pk)

    channel.refresh_from_db()
    # A login would have stored new tokens: the delivery and the poll used the stored session.
    assert channel.credentials["session"] == session
