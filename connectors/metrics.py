"""The networks' public counts (replies, reposts, likes…) of the posts we delivered.

Read on the deletion sweep's schedule for every consultation still collected from, and
kept on each ``DeliveryPost``: the officers' dashboard and the public summary show them
beside the replies the hub collected and published from each post.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from connectors.models import ChannelAccount, DeliveryPost, DeliveryStatus
from connectors.services import _channel_keep_session, channel_account_connector

logger = logging.getLogger(__name__)


def post_metrics_refresh(*, consultation_id: int, channel_id: int) -> int:
    """Read the public counts of the consultation's live posts on the channel; returns
    how many posts the network gave counts for. Raises ConnectorError when it refuses."""
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
    try:
        metrics = connector.post_metrics(list(posts))
    finally:
        _channel_keep_session(channel, connector)
    now = timezone.now()
    for external_id, counts in metrics.items():
        post = posts.get(external_id)
        if post is None:
            continue
        post.public_metrics = counts
        post.metrics_at = now
        post.save(update_fields=["public_metrics", "metrics_at"])
    return len(metrics)
