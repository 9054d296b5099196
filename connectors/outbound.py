"""Where channels may connect: the one guard on every request to a social network (SSRF).

A channel's base URL is typed by an officer, so without a guard "test connection" and
every delivery would let them make the hub call loopback, the private network or a
cloud's metadata service with a department's token. Three checks, all here:

- the URL: HTTPS in production (``HUB_CONNECTOR_REQUIRE_HTTPS``), and one of
  ``HUB_CONNECTOR_ALLOWED_HOSTS`` when that list is set;
- the address: every address the host resolves to must be public (not loopback,
  private, link-local, CGNAT, multicast, reserved, unspecified or a metadata address,
  IPv4 and IPv6, IPv4 inside IPv6 included); loopback only where
  ``HUB_CONNECTOR_ALLOW_LOOPBACK`` is on (the embedded default and tests, for the
  sandbox networks; never in production);
- DNS rebinding: the connection goes to the very address that was checked. The name
  is resolved once per connection, checked, and the socket opened to that address
  (TLS still verifies the certificate for the name). ``requests`` (tweepy,
  Mastodon.py, facebook-business) gets a transport adapter, ``httpx`` (atproto) a
  network backend, ``httplib2`` (google-api-python-client) pinned connections.

The checks run when a channel is saved (``ChannelAccount.clean``) and again on every
connection, redirects included. A refusal is an ``OutboundRefused`` with a reason that
names no remote content.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httplib2
import httpx
import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from connectors.exceptions import ConnectorError, PermanentError, RateLimited

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not public, whatever Python's is_global says: CGNAT (100.64/10, includes Alibaba's
# metadata address 100.100.100.200), IETF protocol assignments, and the link-local and
# IPv6 ranges the cloud metadata services answer on.
_NOT_PUBLIC = [
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fd00:ec2::/32"),
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(PermanentError):
    """The hub will not connect there; ``reason`` says why (and names no remote content)."""


# --- The checks ---------------------------------------------------------------------------


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_refusal(address: str | IPAddress) -> str | None:
    """Why a channel may not connect to this address, or None when it may."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            refusal = address_refusal(embedded)
            if refusal or ip.ipv4_mapped is not None:
                return refusal
    if ip.is_loopback:
        if settings.HUB_CONNECTOR_ALLOW_LOOPBACK:
            return None
        return f"{ip} is a loopback address"
    kinds = (
        ("unspecified", ip.is_unspecified),
        ("link-local (or a cloud metadata service)", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        (
            "not public",
            any(ip in network for network in _NOT_PUBLIC if ip.version == network.version),
        ),
        ("not public", not ip.is_global),
    )
    for kind, applies in kinds:
        if applies:
            return f"{ip} is a {kind} address"
    return None


def addresses_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to for TCP (the tests replace this with a stub)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def connect_address(host: str, port: int) -> str:
    """The checked address to open a socket to for ``host``: resolved once, every answer
    public (one bad answer among good ones is refused: the resolver is not ours)."""
    host = host.strip("[]").rstrip(".")
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = addresses_resolve(host, port)
        except OSError:
            raise OutboundRefused(f"{host} could not be resolved") from None
    if not addresses:
        raise OutboundRefused(f"{host} could not be resolved")
    for address in addresses:
        refusal = address_refusal(address.split("%", 1)[0])
        if refusal:
            raise OutboundRefused(f"{host} is not a public address: {refusal}")
    return addresses[0]


def url_refusal(url: str) -> str | None:
    """Why a channel may not call this URL (scheme, host, allow-list), or None; no DNS."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "the address must start with https://"
    if settings.HUB_CONNECTOR_REQUIRE_HTTPS and parts.scheme != "https":
        return "the address must start with https:// (production talks to networks over HTTPS only)"
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "the address has no host name"
    if parts.username or parts.password:
        return "the address must not carry a user name or password"
    allowed = settings.HUB_CONNECTOR_ALLOWED_HOSTS
    if allowed and host not in allowed:
        return f"{host} is not one of HUB_CONNECTOR_ALLOWED_HOSTS"
    return None


def url_check(url: str) -> None:
    """Raise OutboundRefused unless the URL passes ``url_refusal``."""
    refusal = url_refusal(url)
    if refusal:
        raise OutboundRefused(f"Refused to connect to {urlsplit(url).netloc or url}: {refusal}")


def base_url_check(url: str) -> None:
    """A channel's base URL, as saved: the URL and every address its host resolves to."""
    url_check(url)
    parts = urlsplit(url)
    connect_address(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))


def error_reason(error: Exception) -> str:
    """What an admin may read of a failed call: our own reason, never the network's body."""
    if isinstance(error, OutboundRefused | RateLimited):
        return str(error)
    if isinstance(error, PermanentError):
        return "the network refused the request (check the credentials and the channel's settings)"
    if isinstance(error, ConnectorError):
        return "the network did not answer as expected; try again later"
    return str(error)


# --- requests (tweepy, Mastodon.py) ---------------------------------------------------------


class _PinnedConnectionMixin:
    # Mixed into urllib3's connections, whose attributes it uses.
    _dns_host: str
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        address = connect_address(self._dns_host, self.port)
        try:
            return urllib3_connection.create_connection(
                (address, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as error:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from error
        except OSError as error:
            raise NewConnectionError(
                self,  # type: ignore[arg-type]  # a mixin of urllib3's HTTPConnection
                f"Failed to connect to {self.host}: {error}",
            ) from error


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests transport that checks each URL and connects only to checked addresses."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PinnedHTTPPool,
            "https": _PinnedHTTPSPool,
        }

    def send(self, request, *args, **kwargs):
        url_check(request.url)
        return super().send(request, *args, **kwargs)


def session_guard(session: requests.Session) -> requests.Session:
    """Route every request of ``session`` through the guard; returns the session."""
    adapter = GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    # A proxy from the environment would be connected to without the pinned transport.
    session.trust_env = False
    return session


# --- httpx (atproto) ------------------------------------------------------------------------


class _GuardedNetworkBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        address = connect_address(host, port)
        return self._inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise OutboundRefused("Refused to connect to a Unix socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport that checks each URL and connects only to checked addresses."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # httpx takes no network backend of its own; its pool (httpcore) does.
        self._pool._network_backend = _GuardedNetworkBackend()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url_check(str(request.url))
        return super().handle_request(request)


# --- httplib2 (google-api-python-client) ------------------------------------------------------


class _PinnedHttplib2Connection(httplib2.HTTPConnectionWithTimeout):
    def connect(self) -> None:
        address = connect_address(self.host, self.port)
        self.sock = socket.create_connection((address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHttplib2TLSConnection(httplib2.HTTPSConnectionWithTimeout):
    def connect(self) -> None:
        address = connect_address(self.host, self.port)
        sock = socket.create_connection((address, self.port), self.timeout)
        # The certificate is still verified for the name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class GuardedHttp(httplib2.Http):
    """An ``httplib2.Http`` that checks each URL (redirects included: httplib2 follows them
    through ``request``) and connects only to checked addresses, never through a proxy."""

    def __init__(self, *, timeout: float) -> None:
        super().__init__(timeout=timeout, proxy_info=None)

    def request(self, uri, method="GET", body=None, headers=None, *args, **kwargs):
        url_check(uri)
        scheme = urlsplit(uri).scheme
        kwargs["connection_type"] = (
            _PinnedHttplib2TLSConnection if scheme == "https" else _PinnedHttplib2Connection
        )
        return super().request(uri, method, body, headers, *args, **kwargs)

    def _conn_request(self, conn, request_uri, method, body, headers):
        if method in self.safe_methods:
            return super()._conn_request(conn, request_uri, method, body, headers)
        # httplib2 sends a request again when the connection closed without an answer
        # (it takes that for a stale keep-alive): a write may then happen twice. A write goes
        # once, on a fresh connection, and a missing answer reaches the caller.
        conn.close()
        conn.connect()
        try:
            conn.request(method, request_uri, body, headers)
            answer = conn.getresponse()
            content = answer.read()
        except Exception:
            conn.close()
            raise
        response = httplib2.Response(answer)
        return response, httplib2._decompressContent(response, content, self.limit_kwargs)
