"""Where responses come from: the record's own channels, and the social networks.

The networks are registered in ``settings.HUB_CONNECTORS`` and known to the
connectors app, which sits above the record; it hands the record a provider of
``(name, label)`` pairs in its ``AppConfig.ready()``. The record never imports
connectors, and its choices follow the registry without a change here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Channel(models.TextChoices):
    """The channels the hub itself receives responses by (social networks are added)."""

    WEB = "web", gettext_lazy("Web form")
    EMAIL = "email", gettext_lazy("Email")
    LETTER = "letter", gettext_lazy("Letter")
    EVENT = "event", gettext_lazy("Event")
    OTHER = "other", gettext_lazy("Other")


_social_providers: list[Callable[[], Iterable[tuple[str, str]]]] = []


def social_channels_provide(provider: Callable[[], Iterable[tuple[str, str]]]) -> None:
    """Register where the social networks' ``(name, label)`` pairs come from (once each)."""
    if provider not in _social_providers:
        _social_providers.append(provider)


def social_channels() -> list[tuple[str, str]]:
    """``(name, label)`` of each social network a response may come from."""
    pairs: dict[str, str] = {}
    for provider in _social_providers:
        for name, label in provider():
            pairs.setdefault(name, label)
    return [(name, label) for name, label in pairs.items() if name not in Channel.values]


def social_channel_values() -> set[str]:
    return {name for name, _ in social_channels()}


def channel_choices() -> list[tuple[str, StrOrPromise]]:
    """Every channel, for model fields and filters: the web form, the networks, the rest.
    The hub's own channels' labels are lazy: each page shows them in its language."""
    web, *offline = Channel.choices
    return [web, *social_channels(), *offline]


def channel_values() -> list[str]:
    return [value for value, _ in channel_choices()]


def channel_label(value: str) -> str:
    return str(dict(channel_choices()).get(value, value))
