"""Local stand-ins for X, Mastodon and Bluesky, speaking the subset of each API the hub uses.

    server = start_sandbox("mastodon")
    account = server.state.create_account(handle="cleanair", display_name="Clean Air")
    ...
    server.stop()

See README.md in this folder for the endpoints, faults and control API.
"""

from __future__ import annotations

from .bluesky import BlueskyApi, BlueskyState
from .mastodon import MastodonApi, MastodonState
from .server import FAULT_KINDS, SandboxAccount, SandboxError, SandboxServer
from .x import XApi, XState

NETWORKS = ("x", "mastodon", "bluesky")

_APIS = {
    "x": (XApi, XState),
    "mastodon": (MastodonApi, MastodonState),
    "bluesky": (BlueskyApi, BlueskyState),
}


def start_sandbox(network: str, *, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Start one sandbox network on `host:port` (0 picks a free port); returns once listening."""
    try:
        api_class, state_class = _APIS[network]
    except KeyError:
        raise ValueError(f"unknown network {network!r}; expected one of {NETWORKS}") from None
    return SandboxServer(api_class(state_class()), host=host, port=port)


__all__ = [
    "FAULT_KINDS",
    "NETWORKS",
    "SandboxAccount",
    "SandboxError",
    "SandboxServer",
    "start_sandbox",
]
