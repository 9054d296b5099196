"""Connectors' copy of an erased person's posts: payloads kept in quarantine.

Connected to ``record.signals.responses_erasing`` in ``ConnectorsConfig.ready()``.
A quarantined payload failed validation, so no response points to it: it is found by
the person's platform ids, post ids or handle anywhere among its values, whatever
the network's shape (X's ``author_id``, Mastodon's ``account.id``, Bluesky's ``did``).
"""

from __future__ import annotations

from collections.abc import Iterable

from connectors.models import QuarantinedPayload
from engagement.record.erasure import ErasureScope


def _values(payload) -> Iterable[str]:
    if isinstance(payload, dict):
        for value in payload.values():
            yield from _values(value)
    elif isinstance(payload, list):
        for value in payload:
            yield from _values(value)
    elif payload is not None and not isinstance(payload, bool):
        yield str(payload)


def quarantine_erase(*, scope: ErasureScope, dry_run: bool = False) -> int:
    """Delete (or count) the quarantined payloads carrying any of the person's ids."""
    wanted: dict[str, set[str]] = {}
    for network, external_id in (*scope.accounts, *scope.posts):
        wanted.setdefault(network, set()).add(external_id)
    handles = {handle.lower().lstrip("@") for handle in scope.handles}
    matched = []
    for network, ids in wanted.items():
        rows = QuarantinedPayload.objects.filter(network=network).values_list("pk", "payload")
        for pk, payload in rows.iterator(chunk_size=500):
            for value in _values(payload):
                if value in ids or value.lower().lstrip("@") in handles:
                    matched.append(pk)
                    break
    if dry_run:
        return len(matched)
    deleted, _ = QuarantinedPayload.objects.filter(pk__in=matched).delete()
    return deleted


def responses_erasing(*, scope: ErasureScope, dry_run: bool, **kwargs) -> dict[str, int]:
    return {"quarantined payloads": quarantine_erase(scope=scope, dry_run=dry_run)}
