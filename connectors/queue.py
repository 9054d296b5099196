"""Handing deliveries to the workers: one place for the modules that schedule them."""

from __future__ import annotations

from collections.abc import Iterable


def deliveries_enqueue(delivery_ids: Iterable[int]) -> None:
    """Queue the ``deliver`` task for each delivery (call it on commit)."""
    # why: connectors.tasks imports the scheduling modules that call this.
    from connectors.tasks import deliver

    for delivery_id in delivery_ids:
        deliver.delay(delivery_id)
