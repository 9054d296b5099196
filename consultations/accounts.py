"""A department's own accounts on the social networks, as the app that holds them says.

The accounts (``connectors.ChannelAccount``) live in a layer above this one, so
connectors registers a lookup here in its ``AppConfig.ready()``. Moderation keeps
mentions of these handles published; the admin lists them on the department.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_lookups: list[Callable[[int], Iterable[str]]] = []


def department_handles_lookup_register(lookup: Callable[[int], Iterable[str]]) -> None:
    """Register ``lookup(department_id)``: the handles people mention the department by."""
    if lookup not in _lookups:
        _lookups.append(lookup)


def department_handles(*, department_id: int) -> list[str]:
    """Every handle of the department's own accounts, in the form people mention them."""
    handles: list[str] = []
    for lookup in _lookups:
        handles.extend(handle for handle in lookup(department_id) if handle.strip())
    return list(dict.fromkeys(handles))
