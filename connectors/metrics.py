"""The networks' public counts (replies, reposts, likes…) of the posts we delivered.

Read on the deletion sweep's schedule for every consultation still collected from, and
kept on each ``DeliveryPost``: the officers' dashboard and the public summary show them
beside the replies the hub collected and published from each post.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from connectors.collection.budgets import quota_charge, quota_left
from connectors.exceptions import RateLimited
from connectors.models import ChannelAccount, DeliveryPost, DeliveryStatus
from connectors.services import _channel_keep_session, channel_account_connector

logger = logging.getLogger(__name__)


def post_metrics_refresh(*, consultation_id: int, channel_id: int) -> int:
    """Read the public counts of the consultation's live posts on the channel; returns
    how many posts the network gave counts for. Raises ConnectorError when it refuses,
    but for its rate limit or quota: the read is then skipped (logged, 0).

    On a network with a daily quota the read is charged to the channel like the polls'
    reads, and skipped when the units left today might not cover it."""
    channel = ChannelAccount.objects.get(pk=channel_id)
    posts = {
        post.external_id: post
        for post in DeliveryPost.objects.filter(
            delivery__consultation_id=consultation_id,
            delivery__channel_id=channel_id,
            delivery__status=DeliveryStatus.DELIVERED,
            deleted_at__isnull=True,
        )
    }
    if not posts:
        return 0
    connector = channel_account_connector(channel=channel)
    now = timezone.now()
    left = quota_left(channel_id=channel.pk, network=channel.network, now=now)
    cost = connector.post_metrics_cost(len(posts))
    if left is not None and left < cost:
        # The counts are a nicety; the quota's units are for collecting replies.
        logger.warning(
            "Post metrics of %s on %s skipped: %s units of the %s quota left today, "
            "reading the counts may cost %s",
            consultation_id,
            channel,
            left,
            connector.label,
            cost,
        )
        return 0
    try:
        metrics = connector.post_metrics(list(posts))
    except RateLimited as error:
        # The network's own limit (a quota spent elsewhere in the project too): the counts
        # stay as last read, and the next round asks again.
        logger.warning("Post metrics of %s on %s skipped: %s", consultation_id, channel, error)
        return 0
    finally:
        _channel_keep_session(channel, connector)
        quota_charge(
            consultation_id=consultation_id,
            channel_id=channel.pk,
            network=channel.network,
            now=now,
            units=connector.units_spent,
        )
    for external_id, counts in metrics.items():
        post = posts.get(external_id)
        if post is None:
            continue
        post.public_metrics = counts
        post.metrics_at = now
        post.save(update_fields=["public_metrics", "metrics_at"])
    return len(metrics)
