"""Connectors by network name, from ``settings.HUB_CONNECTORS`` (name → dotted path)."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from connectors.base import Connector


def connector_names() -> list[str]:
    return list(settings.HUB_CONNECTORS)


@cache
def _load(path: str) -> type[Connector]:
    connector_class = import_string(path)
    if not (isinstance(connector_class, type) and issubclass(connector_class, Connector)):
        raise ImproperlyConfigured(f"{path} is not a Connector subclass")
    return connector_class


def connector_class(network: str) -> type[Connector]:
    try:
        path = settings.HUB_CONNECTORS[network]
    except KeyError:
        known = ", ".join(sorted(settings.HUB_CONNECTORS)) or "none"
        raise ImproperlyConfigured(
            f"No connector for network {network!r} in HUB_CONNECTORS (known: {known})"
        ) from None
    return _load(path)
