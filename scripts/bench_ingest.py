"""Benchmark ingest: the hub's full path for collected replies against the raw ceiling.

    .venv/bin/python scripts/bench_ingest.py [--replies 2000]
    DATABASE_URL=postgres://... SEARCH_URL=opensearch3+http://... HUB_BENCH_REPLIES=100000 \\
        .venv/bin/python scripts/bench_ingest.py

The hub's path is what a collection run does with a batch of replies: validate them,
redact and screen the words, store responses (auto-approved here, so every one is
public) and index them (the outbox drain). The ceiling, in the same run, writes the
same rows with no hub code at all: PostgreSQL ``COPY`` into a scratch copy of the
responses table plus one OpenSearch ``_bulk`` of their documents (on SQLite, one
``executemany`` INSERT). Prints both rates and their ratio; checks that every reply
was stored, published and indexed. Not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchkit import bench_consultation  # noqa: E402

COLUMNS = ("consultation_id", "channel", "external_id", "text", "published_text", "received_at")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--replies", type=int, default=int(os.environ.get("HUB_BENCH_REPLIES", "2000"))
    )
    arguments = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="hub-bench-ingest-")
    os.environ["HUB_DATA_DIR"] = scratch
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.base")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["HUB_SEARCH_DRAIN_ON_COMMIT"] = "false"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from modelsearch.backends import get_search_backend

    from connectors.collection.outcomes import CollectOutcome
    from connectors.collection.recording import page_record
    from connectors.models import ChannelAccount
    from connectors.registry import connector_names
    from connectors.types import CollectionScope, IncomingReply
    from engagement.record.models import Response
    from search.indexes import is_search_node
    from search.services import search_index_drain

    call_command("migrate", verbosity=0)
    backend = get_search_backend()
    print(
        f"Ingest of {arguments.replies:,} replies on {connection.vendor}, search backend "
        f"{settings.WAGTAILSEARCH_BACKENDS['default']['BACKEND']}"
    )
    page = bench_consultation(title="Bench ingest", publish=True)
    page.auto_approve_responses = True
    page.save_revision().publish()
    network = connector_names()[0]
    channel = ChannelAccount(department=page.department, network=network, handle="bench")
    channel.set_credentials({})
    channel.save()
    tag = time.time_ns() % 10**9
    now = datetime.now(tz=UTC)
    root = f"{tag}"
    replies = [
        IncomingReply(
            id=f"{tag}{n:07d}",
            parent_id=root,
            root_id=root,
            author_id=str(5_000 + n % 1500),
            author_handle=f"citizen{n % 1500}",
            text=(
                f"Reply {n}: the buses should run later, call me on 07700 900{n % 1000:03d} "
                "or write to me about the ring road and the parking."
            ),
            created_at=now - timedelta(seconds=n),
            url=f"https://social.example/@citizen/{tag}{n}",
            language="en",
            raw={"id": f"{tag}{n:07d}"},
        )
        for n in range(arguments.replies)
    ]

    # Before the clock: an index missing here is created and refilled from the whole record,
    # and earlier runs' rows wait in the outbox's sweep; neither is this batch's ingest.
    search_index_drain(batch_size=2000, max_batches=10**6)

    # The hub: validate, redact, screen, store (auto-approved), then index.
    started = time.perf_counter()
    # This process's CPU as well: on a shared machine the wall clock also counts the others.
    cpu_started = time.process_time()
    outcome = CollectOutcome()
    page_record(
        consultation=page,
        channel=channel,
        scope=CollectionScope(root_ids=(root,)),
        replies=replies,
        quarantined=(),
        outcome=outcome,
    )
    stored = time.perf_counter() - started
    drained = search_index_drain(batch_size=2000, max_batches=10**6)
    hub_seconds = time.perf_counter() - started
    hub_cpu_seconds = time.process_time() - cpu_started
    public = Response.objects.public().filter(consultation=page).count()
    if outcome.created != len(replies) or public != len(replies):
        sys.exit(f"FAILED: {outcome.created} stored, {public} public of {len(replies)} replies")
    if drained.failed or drained.indexed < len(replies):
        sys.exit(f"FAILED: {drained.indexed} of {len(replies)} indexed ({drained.error})")
    redacted = Response.objects.filter(consultation=page, published_text__contains="07700").count()
    if redacted:
        sys.exit(f"FAILED: {redacted} published texts still hold the phone number")

    # The ceiling: the same rows, no hub code.
    rows = list(Response.objects.filter(consultation=page).values_list(*COLUMNS))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The same columns of the same rows, with a primary key and a unique reference.
        cursor.execute(
            "CREATE TEMP TABLE bench_ingest_ceiling (id integer PRIMARY KEY, "
            "consultation_id integer, channel varchar(20), external_id varchar(255), "
            "text text, published_text text, received_at timestamp with time zone, "
            "reference varchar(20) UNIQUE)"
        )
        numbered = [(n, *row, f"C{tag}-{n}") for n, row in enumerate(rows)]
        if connection.vendor == "postgresql":
            with cursor.cursor.copy("COPY bench_ingest_ceiling FROM STDIN") as copy:
                for row in numbered:
                    copy.write_row(row)
        else:
            cursor.executemany(
                "INSERT INTO bench_ingest_ceiling VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", numbered
            )
        cursor.execute("SELECT count(*) FROM bench_ingest_ceiling")
        copied = cursor.fetchone()[0]
    if copied != len(rows):
        sys.exit(f"FAILED: the ceiling wrote {copied} of {len(rows)} rows")
    if is_search_node(backend):
        index = f"{backend.get_index_for_model(Response).name}-bench-ceiling-{tag}"
        actions = [
            {
                "_op_type": "index",
                "_index": index,
                "_id": str(n),
                "published_text": row[4],
                "channel": row[1],
                "received_at": row[5].isoformat(),
            }
            for n, row in enumerate(rows)
        ]
        # One _bulk request, as the issue defines the ceiling.
        ok, errors = backend.bulk(backend.es, actions, chunk_size=len(actions) or 1)
        if ok != len(rows) or errors:
            sys.exit(f"FAILED: the node took {ok} of {len(rows)} documents: {errors[:2]}")
    ceiling_seconds = time.perf_counter() - started
    if is_search_node(backend):
        backend.es.indices.delete(index=index)

    hub_rate = len(replies) / hub_seconds
    ceiling_rate = len(rows) / ceiling_seconds
    print(
        f"  hub (validate, redact, store, index) {hub_seconds:7.2f} s  {hub_rate:9,.0f} replies/s"
        f"  (stored in {stored:.2f} s, indexed in {hub_seconds - stored:.2f} s)"
    )
    print(
        f"  hub CPU in this process {hub_cpu_seconds:.2f} s, "
        f"{hub_cpu_seconds / len(replies) * 1000:.2f} ms a reply (the database's and the "
        f"search node's not counted); load average {os.getloadavg()[0]:.2f}"
    )
    ceiling = "COPY + one _bulk" if is_search_node(backend) else "one INSERT"
    if connection.vendor == "postgresql" and not is_search_node(backend):
        ceiling = "COPY"
    print(
        f"  raw ceiling ({ceiling:<16})     {ceiling_seconds:7.2f} s  {ceiling_rate:9,.0f} rows/s"
    )
    print(f"  the hub runs at 1/{ceiling_rate / hub_rate:.1f} of the ceiling")


if __name__ == "__main__":
    main()
