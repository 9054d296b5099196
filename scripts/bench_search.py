"""Benchmark the public search: draining the outbox in bulk, then searches with facets.

    .venv/bin/python scripts/bench_search.py [--responses 5000]

Runs on a throwaway SQLite database with the database search backend (or
DATABASE_URL / SEARCH_URL when set) and prints the figures. Not a test.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchkit import bench_consultation  # noqa: E402

WORDS = (
    "buses cycle lanes lorries parking pavement trains schools hospital noise speed "
    "crossing trees benches lighting potholes timetable fares station ramps"
).split()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=5000)
    arguments = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="hub-bench-search-")
    os.environ["HUB_DATA_DIR"] = scratch
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.base")
    os.environ.pop("CELERY_BROKER_URL", None)
    os.environ["HUB_SEARCH_DRAIN_ON_COMMIT"] = "false"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from engagement.record.channels import Channel, social_channels
    from engagement.record.models import ModerationState, Respondent, Response
    from search.selectors import ResponseFilters, responses_search
    from search.services import search_index_drain, search_index_enqueue

    call_command("migrate", verbosity=0)
    print(f"Search backend: {settings.WAGTAILSEARCH_BACKENDS['default']['BACKEND']}")
    page = bench_consultation(title="Bench search", publish=True)
    now = datetime.now(tz=UTC)
    rng = random.Random(6)  # noqa: S311 - repeatable bench data
    channels = [*(name for name, _ in social_channels()), Channel.WEB]
    tag = time.time_ns()
    respondents = Respondent.objects.bulk_create(
        [
            Respondent(
                channel=channels[0],
                external_id=f"b{tag}-{n}",
                pseudonym=tag % 10**6 * 1000 + n,
            )
            for n in range(arguments.responses)
        ]
    )
    Response.objects.bulk_create(
        [
            Response(
                consultation=page,
                channel=rng.choice(channels),
                respondent=respondent,
                received_at=now - timedelta(days=rng.randint(0, 120)),
                reference=f"B{tag % 10**8}-{n}",
                moderation_state=ModerationState.APPROVED,
                published_text=" ".join(rng.choices(WORDS, k=25)),
            )
            for n, respondent in enumerate(respondents)
        ],
        batch_size=1000,
    )
    pks = list(Response.objects.filter(consultation=page).values_list("pk", flat=True))
    search_index_enqueue(model=Response, pks=pks)

    started = time.perf_counter()
    result = search_index_drain()
    drained = time.perf_counter() - started
    print(
        f"Drain: {result.indexed} responses indexed in {drained:.2f}s "
        f"({result.indexed / drained:,.0f}/s), {result.left} left"
    )

    def checked(found, what: str) -> None:
        # Every response uses these words: a search that finds none is broken, not fast.
        if found.total == 0 or not found.page.object_list:
            sys.exit(f"FAILED: {what} matched nothing over {len(pks)} public responses")

    if result.failed or result.indexed < len(pks):
        sys.exit(f"FAILED: the drain indexed {result.indexed} of {len(pks)} ({result.error})")
    timings = []
    for word in WORDS[:10]:
        started = time.perf_counter()
        found = responses_search(filters=ResponseFilters(q=word, sort="newest"), consultation=page)
        timings.append(time.perf_counter() - started)
        checked(found, f"the search for {word!r}")
    timings.sort()
    print(
        f"Search (newest first) with facets over {len(pks)} responses: median {timings[len(timings) // 2] * 1000:.0f} ms, "
        f"worst {timings[-1] * 1000:.0f} ms (last matched {found.total})"
    )
    started = time.perf_counter()
    found = responses_search(
        filters=ResponseFilters(q=WORDS[0], sort="relevance"), consultation=page
    )
    print(f"Search sorted by relevance: {(time.perf_counter() - started) * 1000:.0f} ms")
    checked(found, "the search by relevance")
    started = time.perf_counter()
    found = responses_search(filters=ResponseFilters(), consultation=page)
    print(f"Browse with facets (no words): {(time.perf_counter() - started) * 1000:.0f} ms")
    checked(found, "browsing")
    if found.total != len(pks):
        sys.exit(f"FAILED: browsing counted {found.total} of {len(pks)} public responses")


if __name__ == "__main__":
    main()
