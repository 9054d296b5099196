"""Benchmark recording collected replies: 5,000 replies in one pass, then the same again.

    .venv/bin/python scripts/bench_collection.py [--replies 5000]

Runs on a throwaway SQLite database (or DATABASE_URL when set) and prints wall
time and queries for each pass. A figure for the notes, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchkit import bench_consultation  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replies", type=int, default=5000)
    arguments = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="hub-bench-collection-")
    os.environ["HUB_DATA_DIR"] = scratch
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.base")
    os.environ.pop("CELERY_BROKER_URL", None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connectors.collection.outcomes import CollectOutcome
    from connectors.collection.recording import page_record
    from connectors.models import ChannelAccount
    from connectors.registry import connector_names
    from connectors.types import CollectionScope, IncomingReply

    if "DATABASE_URL" in os.environ:
        print("Using DATABASE_URL; the bench's rows stay there.")
    call_command("migrate", verbosity=0)
    page = bench_consultation(title="Bench collection")
    now = datetime.now(tz=UTC)
    department = page.department
    # The bench records pages; no network is asked, so any registered one will do.
    network = connector_names()[0]
    channel = ChannelAccount(department=department, network=network, handle="bench")
    channel.set_credentials({})
    channel.save()
    root = "1"
    replies = [
        IncomingReply(
            id=str(1_000_000 + n),
            parent_id=root if n % 3 == 0 else str(1_000_000 + n - 1),
            root_id=root,
            author_id=str(5_000 + n % 1500),
            author_handle=f"citizen{n % 1500}",
            text=f"Reply number {n}: buses should run later in the evening.",
            created_at=now,
            url=f"https://social.example/@citizen/{n}",
            language="en",
            raw={"id": str(1_000_000 + n)},
        )
        for n in range(arguments.replies)
    ]
    scope = CollectionScope(root_ids=(root,))
    print(f"Recording {len(replies)} replies on {connection.vendor}")
    for label in ("first pass (all new)", "second pass (all known)"):
        outcome = CollectOutcome()
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            page_record(
                consultation=page,
                channel=channel,
                scope=scope,
                replies=replies,
                quarantined=(),
                outcome=outcome,
            )
            elapsed = time.perf_counter() - started
        print(
            f"  {label:<24} {elapsed:7.2f} s  {len(queries):5d} queries  "
            f"created {outcome.created}, already recorded {outcome.already_recorded}"
        )


if __name__ == "__main__":
    main()
