"""Outbound calls (SSRF): a channel reaches only public addresses over HTTPS in production,
checked when it is saved and again on every connection (DNS rebinding), and an admin
never reads a network's answer as an error message.

Only loopback is ever connected to: names are resolved by a stub (``connectors.outbound
.addresses_resolve``), the "public" addresses it hands out are only ever checked, never
dialled, and the listeners are on 127.0.0.1.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from connectors import outbound
from connectors.exceptions import ConnectorError
from connectors.models import ChannelAccount
from connectors.services import channel_account_verify
from tests.connectors.conftest import NETWORKS, make_sandbox_channel
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory
from tests.factories.consultations import UserFactory

# Addresses only ever checked, never connected to.
PUBLIC_V4 = "151.101.1.1"
PUBLIC_V6 = "2a00:1450:4009:81f::200e"


@pytest.fixture
def production(settings):
    """The production settings for outbound calls (cms/settings/production.py)."""
    settings.HUB_CONNECTOR_ALLOW_LOOPBACK = False
    settings.HUB_CONNECTOR_REQUIRE_HTTPS = True
    settings.HUB_CONNECTOR_ALLOWED_HOSTS = []
    return settings


@pytest.fixture
def resolver(monkeypatch):
    """Names resolve only through this table; a name not in it does not resolve."""
    table: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(f"{host} is not in the test's resolver")
        return list(table[host])

    monkeypatch.setattr(outbound, "addresses_resolve", resolve)
    return table


class _Listener:
    """A loopback HTTP server that counts the connections it accepts."""

    def __init__(self, status: int = 200, body: bytes = b"{}"):
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                listener.requests += 1
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    made = []

    def start(**kwargs):
        made.append(_Listener(**kwargs))
        return made[-1]

    yield start
    for item in made:
        item.close()


# --- Addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.3.2.1",
        "::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",  # noqa: S104 - the address under test
        "::",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "::ffff:192.168.1.1",
        "fc00::1",
        "fd00:ec2::254",  # AWS's IPv6 metadata service
        "169.254.169.254",  # the cloud metadata service
        "fe80::1",
        "100.64.0.1",  # CGNAT
        "100.100.100.200",  # Alibaba's metadata service, inside CGNAT
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "192.0.0.8",
        "2002:7f00:1::1",  # 6to4 around 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 around 169.254.169.254
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
        "2001:db8::1",
    ],
)
def test_addresses_that_are_not_public_are_refused_in_production(production, address):
    assert outbound.address_refusal(address) is not None


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6, f"::ffff:{PUBLIC_V4}"])
def test_public_addresses_are_allowed(production, address):
    assert outbound.address_refusal(address) is None


def test_loopback_is_allowed_only_where_the_settings_allow_it(settings):
    settings.HUB_CONNECTOR_ALLOW_LOOPBACK = True
    assert outbound.address_refusal("127.0.0.1") is None
    assert outbound.address_refusal("10.0.0.1") is not None

    settings.HUB_CONNECTOR_ALLOW_LOOPBACK = False
    assert outbound.address_refusal("127.0.0.1") is not None


# --- Saving a channel ---------------------------------------------------------------------


def _channel(base_url: str) -> ChannelAccount:
    return ChannelAccount(
        department=DepartmentFactory(), network="mastodon", handle="dept", base_url=base_url
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("base_url", "reason"),
    [
        ("https://127.0.0.1:8443", "loopback"),
        ("https://[::1]/", "loopback"),
        ("https://10.1.2.3", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://sandbox.hub-test.invalid", "loopback"),  # a name resolving to loopback
        ("https://mixed.hub-test.invalid", "private"),  # one bad answer among good ones
        ("https://nowhere.hub-test.invalid", "could not be resolved"),
        ("http://public.hub-test.invalid", "https://"),
        ("https://user:pass@public.hub-test.invalid", "user name"),
    ],
)
def test_a_channel_cannot_be_saved_pointing_anywhere_but_a_public_https_host(
    production, resolver, base_url, reason
):
    resolver.update(
        {
            "sandbox.hub-test.invalid": ["127.0.0.1"],
            "mixed.hub-test.invalid": [PUBLIC_V4, "10.9.8.7"],
            "public.hub-test.invalid": [PUBLIC_V4, PUBLIC_V6],
        }
    )

    with pytest.raises(ValidationError) as refused:
        _channel(base_url).full_clean()

    assert reason in str(refused.value.message_dict["base_url"])


@pytest.mark.django_db
def test_a_public_https_host_may_be_saved_and_the_allow_list_narrows_it(production, resolver):
    resolver["public.hub-test.invalid"] = [PUBLIC_V4]
    _channel("https://public.hub-test.invalid").full_clean()

    production.HUB_CONNECTOR_ALLOWED_HOSTS = ["mastodon.social"]
    with pytest.raises(ValidationError) as refused:
        _channel("https://public.hub-test.invalid").full_clean()
    assert "HUB_CONNECTOR_ALLOWED_HOSTS" in str(refused.value)


# --- Connecting ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_name_that_resolves_to_loopback_when_connecting_is_refused(
    production, resolver, listener
):
    server = listener()
    production.HUB_CONNECTOR_REQUIRE_HTTPS = False  # plain HTTP to the loopback listener
    base_url = f"http://rebind.hub-test.invalid:{server.port}"
    resolver["rebind.hub-test.invalid"] = [PUBLIC_V4]
    channel = ChannelAccountFactory(
        network="mastodon", base_url=base_url, credentials={"access_token": "dept-token"}
    )
    channel.full_clean()  # a public address when saved...

    resolver["rebind.hub-test.invalid"] = ["127.0.0.1"]  # ...loopback when connecting
    with pytest.raises(outbound.OutboundRefused) as refused:
        channel_account_verify(channel=channel)

    assert "loopback" in str(refused.value)
    assert server.requests == 0
    channel.refresh_from_db()
    assert "loopback" in channel.last_error


@pytest.fixture
def rebinding(monkeypatch):
    """A name that answers a public address when first asked, then loopback."""
    answers = {"count": 0}

    def resolve(host: str, port: int) -> list[str]:
        assert host == "rebind.hub-test.invalid", host
        answers["count"] += 1
        return [PUBLIC_V4] if answers["count"] == 1 else ["127.0.0.1"]

    monkeypatch.setattr(outbound, "addresses_resolve", resolve)
    return answers


@pytest.mark.django_db
@pytest.mark.parametrize("network", NETWORKS)
def test_dns_rebinding_between_the_check_and_the_connection_never_connects(
    production, rebinding, listener, network
):
    """The connector checks the name (public), the client library then connects: the
    guard resolves again for that connection and dials only what it checked."""
    server = listener()
    production.HUB_CONNECTOR_REQUIRE_HTTPS = False
    credentials = {
        "x": {
            "consumer_key": "a",
            "consumer_secret": "b",
            "access_token": "c",
            "access_token_secret": "d",
        },
        "mastodon": {"access_token": "dept-token"},
        "bluesky": {"identifier": "dept.example", "password": "secret"},
        "facebook": {"page_access_token": "EAA-dept-token", "app_secret": "app-secret"},
        "youtube": {
            "client_id": "hub.apps.googleusercontent.com",
            "client_secret": "client-secret",
            "refresh_token": "1//refresh",
            "video": "dQw4w9WgXcQ",
        },
        "linkedin": {"access_token": "AQV-dept-token", "organization": "2414183"},
    }[network]
    channel = ChannelAccountFactory(
        network=network,
        base_url=f"http://rebind.hub-test.invalid:{server.port}",
        credentials=credentials,
    )

    with pytest.raises(ConnectorError) as refused:
        channel_account_verify(channel=channel)

    assert rebinding["count"] >= 2
    assert "loopback" in str(refused.value)
    assert server.requests == 0


def test_the_guarded_transports_refuse_what_the_connector_checked_before(
    production, resolver, listener
):
    import httpx
    import requests

    server = listener()
    production.HUB_CONNECTOR_REQUIRE_HTTPS = False
    resolver["rebind.hub-test.invalid"] = ["127.0.0.1"]
    url = f"http://rebind.hub-test.invalid:{server.port}/"

    with pytest.raises(outbound.OutboundRefused):
        outbound.session_guard(requests.Session()).get(url, timeout=5)
    with httpx.Client(transport=outbound.GuardedTransport(), trust_env=False) as client:
        with pytest.raises(outbound.OutboundRefused):
            client.get(url)
    assert server.requests == 0


@pytest.mark.django_db
@pytest.mark.parametrize("network", NETWORKS)
def test_every_network_connects_through_the_guard_to_the_address_it_checked(
    settings, resolver, sandboxes, network
):
    """The sandbox is reached under a name only the stub resolves: a client library that
    resolved names itself (going round the guard) could not connect at all."""
    sandbox = make_sandbox_channel(sandboxes, network)
    port = urlsplit(sandbox.server.base_url).port
    name = f"sandbox-{network}.hub-test.invalid"
    resolver[name] = ["127.0.0.1"]
    # A Bluesky session names the account's own PDS (the sandbox says localhost, as the
    # reference PDS does); the connector then talks to that host, through the guard too.
    resolver["localhost"] = ["127.0.0.1"]
    channel = sandbox.channel
    channel.base_url = f"http://{name}:{port}"
    channel.save()
    settings.HUB_CONNECTOR_ALLOW_LOOPBACK = True

    account = channel_account_verify(channel=channel)
    assert account.id == sandbox.account.id

    settings.HUB_CONNECTOR_ALLOW_LOOPBACK = False
    with pytest.raises(outbound.OutboundRefused) as refused:
        channel_account_verify(channel=channel)
    assert "loopback" in str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("network", NETWORKS)
def test_production_refuses_plain_http_when_connecting(production, sandboxes, network):
    sandbox = make_sandbox_channel(sandboxes, network)

    with pytest.raises(outbound.OutboundRefused) as refused:
        channel_account_verify(channel=sandbox.channel)

    assert "https://" in str(refused.value)


# --- What an admin reads --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("status", [401, 500])
def test_test_connection_shows_a_reason_never_the_networks_answer(client, listener, status):
    secret = "INTERNAL-ONLY " + "x" * 50
    server = listener(status=status, body=f'{{"error": "{secret}"}}'.encode())
    channel = ChannelAccountFactory(
        network="mastodon",
        base_url=f"http://127.0.0.1:{server.port}",
        credentials={"access_token": "dept-token"},
    )
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    answer = client.post(reverse("connectors_channel_test", kwargs={"pk": channel.pk}), follow=True)

    assert server.requests >= 1
    page = answer.content.decode()
    assert "the connection failed" in page
    assert "INTERNAL-ONLY" not in page
    channel.refresh_from_db()
    assert channel.last_error
    assert "INTERNAL-ONLY" not in channel.last_error
