"""The networks the hub speaks, from ``settings.HUB_CONNECTORS``.

One entry per network, keyed by its name, the way Wagtail configures its
frontend-cache backends::

    HUB_CONNECTORS = {
        "mastodon": {
            "BACKEND": "connectors.backends.mastodon.MastodonConnector",
            "OPTIONS": {"POLL_INTERVAL": 20, "REQUEST_BUDGET": 600},
            "SANDBOX": "connectors.sandbox.mastodon.MastodonApi",
        },
    }

``BACKEND`` is a ``Connector`` subclass, which declares everything that differs
between networks; ``OPTIONS`` overrides its defaults (``OPTION_NAMES``);
``SANDBOX`` (optional) is the local stand-in for the demo and the tests. Choices,
admin filters, labels, intervals and budgets are all built from here, so adding a
network is a backend module, a sandbox module and an entry in the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from connectors.base import Connector
from connectors.schemas import InvalidCredentials, secrets_validate

#: ``OPTIONS`` keys and the ``Connector`` attribute each overrides.
OPTION_NAMES = {
    "POLL_INTERVAL": "poll_interval",
    "REQUEST_BUDGET": "request_budget",
    "READ_BUDGET": "read_budget",
    "QUOTA_UNITS": "quota_units",
}


@dataclass(frozen=True)
class ConnectorOptions:
    """One network's collection settings: its class's defaults, overridden by OPTIONS."""

    #: Seconds between polls of one consultation on one channel.
    poll_interval: int
    #: Requests one channel may make per ``HUB_COLLECT_RATE_WINDOW``; None: no cap of ours.
    request_budget: int | None
    #: Posts one consultation may read, on a network that bills reads; None: no cap.
    read_budget: int | None
    #: Units one channel may spend a day, on a network that meters a daily quota; None: none.
    quota_units: int | None
    bills_reads: bool


def connector_names() -> list[str]:
    return list(settings.HUB_CONNECTORS)


def _entry(network: str) -> dict[str, Any]:
    try:
        entry = settings.HUB_CONNECTORS[network]
    except KeyError:
        known = ", ".join(sorted(settings.HUB_CONNECTORS)) or "none"
        raise ImproperlyConfigured(
            f"No connector for network {network!r} in HUB_CONNECTORS (known: {known})"
        ) from None
    if not isinstance(entry, dict) or "BACKEND" not in entry:
        raise ImproperlyConfigured(
            f'HUB_CONNECTORS[{network!r}] must be a dict with a "BACKEND" dotted path'
        )
    # A backend may declare options of its own (``Connector.backend_options``).
    known_options = [*OPTION_NAMES, *_load(str(entry["BACKEND"])).backend_options]
    unknown = set(entry.get("OPTIONS") or {}) - set(known_options)
    if unknown:
        raise ImproperlyConfigured(
            f"HUB_CONNECTORS[{network!r}] has unknown OPTIONS {sorted(unknown)} "
            f"(known: {', '.join(known_options)})"
        )
    return entry


@cache
def _load(path: str) -> type[Connector]:
    connector_class = import_string(path)
    if not (isinstance(connector_class, type) and issubclass(connector_class, Connector)):
        raise ImproperlyConfigured(f"{path} is not a Connector subclass")
    return connector_class


def connector_class(network: str) -> type[Connector]:
    path = _entry(network)["BACKEND"]
    loaded = _load(path)
    if loaded.network != network:
        raise ImproperlyConfigured(
            f"HUB_CONNECTORS[{network!r}] names {path}, whose network is {loaded.network!r}"
        )
    return loaded


def connector_options(network: str) -> ConnectorOptions:
    backend = connector_class(network)
    values = {attribute: getattr(backend, attribute) for attribute in OPTION_NAMES.values()}
    for key, value in (_entry(network).get("OPTIONS") or {}).items():
        if key in OPTION_NAMES:
            values[OPTION_NAMES[key]] = value
    return ConnectorOptions(**values, bills_reads=backend.bills_reads)


def connector_backend_options(network: str) -> dict[str, Any]:
    """The OPTIONS the network's backend declared for itself (``Connector.backend_options``),
    by the attribute each sets on a connector, for ``Connector(options=...)``."""
    backend = connector_class(network)
    return {
        backend.backend_options[key]: value
        for key, value in (_entry(network).get("OPTIONS") or {}).items()
        if key in backend.backend_options
    }


def network_choices() -> list[tuple[str, str]]:
    """``(name, label)`` of every registered network, for model fields and admin filters."""
    return [(network, connector_class(network).label) for network in connector_names()]


def network_allows_respondent_replies(network: str) -> bool:
    """Whether the network's rules let the hub reply, unasked, to each person who replied
    (``Connector.automated_replies_allowed``); an unregistered name does not."""
    if network not in settings.HUB_CONNECTORS:
        return False
    return connector_class(network).automated_replies_allowed


def network_label(network: str) -> str:
    """The network's label; an unregistered name (a network since removed) as it is."""
    if network in settings.HUB_CONNECTORS:
        return connector_class(network).label
    return network


def sandbox_path(network: str) -> str:
    """The dotted path of the network's sandbox, or "" when it has none."""
    return str(_entry(network).get("SANDBOX") or "")


def sandbox_names() -> list[str]:
    return [network for network in connector_names() if sandbox_path(network)]


def credentials_validate(*, network: str, credentials: object) -> dict[str, str]:
    """The secrets as the network's backend declares them, or InvalidCredentials with the reason."""
    if network not in settings.HUB_CONNECTORS:
        raise InvalidCredentials(f"unknown network {network!r}")
    backend = connector_class(network)
    return secrets_validate(
        schema=backend.secrets_schema, label=backend.label, credentials=credentials
    )
