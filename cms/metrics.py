"""The hub's own Prometheus metrics, read from the database when Prometheus scrapes.

Replies are collected, deliveries sent and the search outbox drained by whichever worker
picks the task up, on whichever machine. Counters kept in each process's memory would
each see a slice and reset on every restart; the database already holds the whole truth
(the record, the quarantine, the delivery log, the outbox, the collection states), so the
collector reads it there at scrape time. The figures are the same whichever web process
answers and however many workers there are. django-prometheus adds the per-process
request and latency metrics beside them.

The queries are grouped counts over indexed columns; at a million responses a scrape
costs a few hundred milliseconds, fine at Prometheus's usual 15–60 s interval.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from connectors.models import CollectionState, Delivery, DeliveryEvent, QuarantinedPayload
from engagement.record.models import Response
from search.models import SearchIndexQueue

# Each counted family: (metric type, name, help, the label, the rows, the field counted).
# Counters are counts that only grow (tombstones of erased responses stay); gauges go both ways.
_COUNTED = (
    (
        CounterMetricFamily,
        "hub_replies_collected",
        "Responses in the record, by channel (tombstones of erased ones included).",
        "channel",
        Response,
        "channel",
    ),
    (
        GaugeMetricFamily,
        "hub_responses",
        "Responses in the record, by moderation state.",
        "state",
        Response,
        "moderation_state",
    ),
    (
        CounterMetricFamily,
        "hub_payloads_quarantined",
        "Payloads from a network that failed validation and were kept aside.",
        "network",
        QuarantinedPayload,
        "network",
    ),
    (
        GaugeMetricFamily,
        "hub_deliveries",
        "Scheduled posts, by status.",
        "status",
        Delivery,
        "status",
    ),
    (
        CounterMetricFamily,
        "hub_delivery_events",
        "Events in the delivery log, by action (rate_limited counts the pauses).",
        "action",
        DeliveryEvent,
        "action",
    ),
)


class HubCollector(Collector):
    """Figures an operator alerts on: what was collected and quarantined per channel,
    deliveries by outcome, rate-limit pauses, read budgets, and the search outbox's lag."""

    def collect(self) -> Iterator[Metric]:
        for family_type, name, documentation, label, model, field in _COUNTED:
            family = family_type(name, documentation, labels=[label])
            rows = model.objects.order_by().values(field).annotate(n=Count("pk"))
            for value, n in sorted((str(row[field]), row["n"]) for row in rows):
                family.add_metric([value], n)
            yield family
        yield from self._collection_states()
        yield from self._search_outbox()

    def _collection_states(self) -> Iterator[Metric]:
        now = timezone.now()
        rows = (
            CollectionState.objects.order_by()
            .values("channel__network")
            .annotate(
                posts_read=Sum("posts_read"),
                rate_limited=Count("pk", filter=Q(rate_limited_until__gt=now)),
                incomplete=Count("pk", filter=Q(incomplete_since__isnull=False)),
            )
        )
        read = CounterMetricFamily(
            "hub_posts_read",
            "Posts the network counted as read for collection (the read budget used).",
            labels=["network"],
        )
        paused = GaugeMetricFamily(
            "hub_collections_rate_limited",
            "Collections waiting for a network's rate limit to reset.",
            labels=["network"],
        )
        incomplete = GaugeMetricFamily(
            "hub_collections_incomplete",
            "Collections a budget, limit or refusal stopped before they caught up.",
            labels=["network"],
        )
        for row in sorted(rows, key=lambda row: row["channel__network"]):
            labels = [row["channel__network"]]
            read.add_metric(labels, row["posts_read"] or 0)
            paused.add_metric(labels, row["rate_limited"])
            incomplete.add_metric(labels, row["incomplete"])
        yield from (read, paused, incomplete)

    def _search_outbox(self) -> Iterator[Metric]:
        outbox = SearchIndexQueue.objects.aggregate(n=Count("pk"), oldest=Min("enqueued_at"))
        yield GaugeMetricFamily(
            "hub_search_outbox_length", "Index changes waiting to be sent.", value=outbox["n"]
        )
        lag = (timezone.now() - outbox["oldest"]).total_seconds() if outbox["oldest"] else 0.0
        yield GaugeMetricFamily(
            "hub_search_outbox_lag_seconds",
            "Age of the oldest index change waiting (0 when the outbox is empty).",
            value=lag,
        )
