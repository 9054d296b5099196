"""The deletion sweep: posts deleted or made private at the source leave the public record."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from connectors.collection.budgets import quota_charge
from connectors.collection.outcomes import StopReason, SweepOutcome
from connectors.exceptions import RateLimited
from connectors.models import ChannelAccount, CollectionState
from connectors.registry import connector_options
from connectors.services import _channel_keep_session, channel_account_connector
from connectors.types import PostState
from engagement.moderation.services import responses_withdraw
from engagement.record.models import Response, WithdrawalReason


def responses_sweep(
    *, consultation_id: int, channel_id: int, batch_size: int | None = None
) -> SweepOutcome:
    """Re-check a batch of collected posts at the source; withdraw the deleted and the private.

    Walks the record by primary key from where the last sweep stopped and wraps
    around, so every post is re-checked in turn however large the record.
    """
    channel = ChannelAccount.objects.get(pk=channel_id)
    state, _ = CollectionState.objects.get_or_create(
        consultation_id=consultation_id, channel=channel
    )
    size = batch_size or settings.HUB_SWEEP_BATCH
    outcome = SweepOutcome()

    # external_id__isnull=False: no id is None, though the values_list type allows it.
    def batch(after: int) -> list[tuple[int, str | None]]:
        return list(
            Response.objects.filter(
                consultation_id=consultation_id,
                channel=channel.network,
                withdrawn_at__isnull=True,
                external_id__isnull=False,
                pk__gt=after,
            )
            .order_by("pk")
            .values_list("pk", "external_id")[:size]
        )

    rows = batch(state.sweep_after_id)
    if not rows and state.sweep_after_id:
        rows = batch(0)
    if not rows:
        return outcome
    connector = channel_account_connector(channel=channel)
    try:
        states = connector.lookup_posts([cast(str, external_id) for _, external_id in rows])
    except RateLimited as error:
        CollectionState.objects.filter(pk=state.pk).update(last_error=str(error))
        outcome.stopped_by = StopReason.RATE_LIMITED
        return outcome
    finally:
        _channel_keep_session(channel, connector)
        # Counted against a daily quota like any read, but never stopped by it: deletions
        # must be honoured whatever is left.
        quota_charge(
            consultation_id=consultation_id,
            channel_id=channel.pk,
            network=channel.network,
            now=timezone.now(),
            units=connector.units_spent,
        )
    outcome.checked = len(rows)
    options = connector_options(channel.network)
    by_reason = {
        WithdrawalReason.DELETED_AT_SOURCE: [
            external_id for external_id, found in states.items() if found == PostState.DELETED
        ],
        WithdrawalReason.PRIVATE_AT_SOURCE: [
            external_id for external_id, found in states.items() if found == PostState.PRIVATE
        ],
    }
    with transaction.atomic():
        for reason, external_ids in by_reason.items():
            if external_ids:
                outcome.withdrawn += responses_withdraw(
                    channel=channel.network, external_ids=external_ids, reason=reason
                )
        CollectionState.objects.filter(pk=state.pk).update(
            sweep_after_id=rows[-1][0],
            last_swept_at=timezone.now(),
            # Where lookups are billed as reads, they count, but never stop a sweep
            # (deletions must be honoured whatever the budget).
            posts_read=F("posts_read") + (len(rows) if options.bills_reads else 0),
        )
    return outcome
