"""Benchmark the public search: draining the outbox in bulk, then searches with facets.

    .venv/bin/python scripts/bench_search.py [--responses 5000] [--rounds 3]
    HUB_BENCH_RESPONSES=100000 .venv/bin/python scripts/bench_search.py

Runs on a throwaway SQLite database with the database search backend (or
DATABASE_URL / SEARCH_URL when set) and prints p50/p95 figures. Every search checks
its answer against what the bench wrote (the exact number of responses with the word,
facet counts adding up to it, the right rows on a deep page): a search that finds
the wrong number fails the bench. Not a test.
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
    parser.add_argument(
        "--responses", type=int, default=int(os.environ.get("HUB_BENCH_RESPONSES", "5000"))
    )
    parser.add_argument("--rounds", type=int, default=3)
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
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(3, 12))) for _ in respondents]
    # What each search must find: the responses whose words include it.
    expected = {word: sum(word in text.split() for text in texts) for word in WORDS}
    Response.objects.bulk_create(
        [
            Response(
                consultation=page,
                channel=rng.choice(channels),
                respondent=respondent,
                received_at=now - timedelta(days=rng.randint(0, 120), seconds=n),
                reference=f"B{tag % 10**8}-{n}",
                moderation_state=ModerationState.APPROVED,
                published_text=text,
            )
            for n, (respondent, text) in enumerate(zip(respondents, texts, strict=True))
        ],
        batch_size=1000,
    )
    pks = list(Response.objects.filter(consultation=page).values_list("pk", flat=True))
    search_index_enqueue(model=Response, pks=pks)

    started = time.perf_counter()
    result = search_index_drain(batch_size=2000, max_batches=10**6)
    drained = time.perf_counter() - started
    print(
        f"Drain: {result.indexed} responses indexed in {drained:.2f}s "
        f"({result.indexed / drained:,.0f}/s), {result.left} left"
    )

    def checked(found, what: str, want: int) -> None:
        # A search that finds nothing, or not what was written, is broken, not fast.
        if found.total != want or not found.page.object_list:
            sys.exit(f"FAILED: {what} counted {found.total}, the bench wrote {want}")
        channels_sum = sum(option.count for option in found.facets["channel"])
        if channels_sum != want:
            sys.exit(f"FAILED: {what}: the channel facet adds up to {channels_sum}, not {want}")

    def p50_p95(timings: list[float]) -> str:
        timings = sorted(timings)
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        return f"p50 {timings[len(timings) // 2] * 1000:6.0f} ms  p95 {p95 * 1000:6.0f} ms"

    def timed(run) -> tuple[float, object]:
        started = time.perf_counter()
        found = run()
        return time.perf_counter() - started, found

    if result.failed or result.indexed < len(pks):
        sys.exit(f"FAILED: the drain indexed {result.indexed} of {len(pks)} ({result.error})")
    size = len(pks)
    words = WORDS[:10]
    figures: dict[str, list[float]] = {"newest": [], "relevance": [], "browse": [], "deep": []}
    for _ in range(arguments.rounds):
        for word in words:
            for sort in ("newest", "relevance"):
                seconds, found = timed(
                    lambda word=word, sort=sort: responses_search(
                        filters=ResponseFilters(q=word, sort=sort), consultation=page
                    )
                )
                figures[sort].append(seconds)
                checked(found, f"the search for {word!r} ({sort})", expected[word])
        seconds, found = timed(
            lambda: responses_search(filters=ResponseFilters(), consultation=page)
        )
        figures["browse"].append(seconds)
        checked(found, "browsing", size)
        # Page 500 of a search (or its last page, at small sizes), oldest first.
        word = words[0]
        last = max(1, (expected[word] + 19) // 20)
        deep = min(500, last)
        seconds, found = timed(
            lambda word=word, deep=deep: responses_search(
                filters=ResponseFilters(q=word, sort="oldest"),
                consultation=page,
                page_number=deep,
            )
        )
        figures["deep"].append(seconds)
        checked(found, f"page {deep} of {word!r}", expected[word])
        wanted_rows = 20 if deep < last else expected[word] - 20 * (last - 1)
        if len(found.page.object_list) != wanted_rows:
            sys.exit(f"FAILED: page {deep} showed {len(found.page.object_list)} rows")
    print(f"Over {size:,} public responses ({arguments.rounds} rounds, every answer checked):")
    print(f"  word search with facets, newest first   {p50_p95(figures['newest'])}")
    print(f"  word search with facets, by relevance   {p50_p95(figures['relevance'])}")
    print(f"  browse with facets (no words)           {p50_p95(figures['browse'])}")
    print(f"  page {deep} of a word search, oldest first {p50_p95(figures['deep'])}")
    print(f"  (the last search matched {expected[words[0]]:,}, as written)")


if __name__ == "__main__":
    main()
