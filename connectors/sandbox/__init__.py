"""Local stand-ins for the networks, speaking the subset of each API the hub uses.

    server = start_sandbox("mastodon")
    account = server.state.create_account(handle="cleanair", display_name="Clean Air")
    ...
    server.stop()

One module per network (its state and its routes, a ``NetworkApi`` subclass),
registered as the ``SANDBOX`` of the network's ``HUB_CONNECTORS`` entry; all of
them share one HTTP server, one fault injector and one control API
(``server.py``). Development and tests only: the installed package leaves this
folder out. See README.md in this folder for the endpoints, faults and control API.
"""

from __future__ import annotations

from django.utils.module_loading import import_string

from connectors.registry import sandbox_names, sandbox_path

from .server import FAULT_KINDS, NetworkApi, SandboxAccount, SandboxError, SandboxServer


def sandbox_api_class(network: str) -> type[NetworkApi]:
    path = sandbox_path(network)
    if not path:
        raise ValueError(f"no sandbox for network {network!r}; expected one of {sandbox_names()}")
    api_class = import_string(path)
    if not (isinstance(api_class, type) and issubclass(api_class, NetworkApi)):
        raise ValueError(f"{path} is not a sandbox NetworkApi subclass")
    return api_class


def start_sandbox(network: str, *, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Start one sandbox network on `host:port` (0 picks a free port); returns once listening."""
    return SandboxServer(sandbox_api_class(network)(), host=host, port=port)


__all__ = [
    "FAULT_KINDS",
    "SandboxAccount",
    "SandboxError",
    "SandboxServer",
    "sandbox_api_class",
    "sandbox_names",
    "start_sandbox",
]
