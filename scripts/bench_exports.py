"""Benchmark the open-data exports: stream 100,000 public responses as CSV and as JSON.

    .venv/bin/python scripts/bench_exports.py [--rows 100000] [--chunk-size 2000]

Runs on a throwaway SQLite database (or DATABASE_URL when set) and prints, for each
export, the wall time, bytes written and peak resident memory, next to the peak of
loading the same rows into a list, which is what streaming avoids. A figure for the
notes, not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import benchkit  # noqa: E402
from benchkit import bench_consultation  # noqa: E402


def measure(name: str, run: Callable[[], int | None]) -> None:
    taken = benchkit.measure(run)
    size = taken.result
    print(
        f"  {name:<28} {taken.seconds:7.2f} s  "
        + (f"{size / 1e6:8.1f} MB  " if size is not None else " " * 13)
        + f"peak RSS {taken.peak_mib:7.1f} MiB (+{taken.growth_mib:.1f} MiB over the start)",
        flush=True,
    )


def _drain(chunks: Iterable[bytes]) -> int:
    return sum(len(chunk) for chunk in chunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=2000)
    arguments = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="hub-bench-exports-")
    os.environ["HUB_DATA_DIR"] = scratch
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.base")
    os.environ.pop("CELERY_BROKER_URL", None)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import RequestFactory
    from tqdm import tqdm

    from consultations.models import (
        Question,
        QuestionKind,
    )
    from engagement.opendata import exports
    from engagement.opendata.views import responses_csv, responses_json
    from engagement.record.models import Answer, Channel, ModerationState, Respondent, Response

    if "DATABASE_URL" in os.environ:
        print("Using DATABASE_URL; the bench's rows stay there.")
    call_command("migrate", verbosity=0)
    stamp = time.time_ns()
    page = bench_consultation(title="Bench exports", opened_days_ago=30)
    now = datetime.now(tz=UTC)
    question = Question.objects.create(page=page, text="How would this affect you?", sort_order=0)
    choice = Question.objects.create(
        page=page,
        text="How do you travel?",
        kind=QuestionKind.SINGLE_CHOICE,
        options="Car\nBus\nBicycle",
        sort_order=1,
    )
    respondents = Respondent.objects.bulk_create(
        Respondent(channel=Channel.WEB, external_id=f"bench-{stamp}-{n}", pseudonym=n + 1000)
        for n in range(1000)
    )
    batch = 5000
    with tqdm(total=arguments.rows, desc="seeding responses", unit="row") as progress:
        for start in range(0, arguments.rows, batch):
            rows = Response.objects.bulk_create(
                Response(
                    consultation=page,
                    channel=Channel.WEB,
                    respondent=respondents[n % len(respondents)],
                    text=f"Original words {n}",
                    published_text=f'Response {n}: =cells, quotes " and commas, [email removed]',
                    moderation_state=ModerationState.APPROVED,
                    received_at=now - timedelta(seconds=n),
                    reference=f"B{stamp % 10**8}-{n}",
                    language="en",
                )
                for n in range(start, min(start + batch, arguments.rows))
            )
            Answer.objects.bulk_create(
                answer
                for response in rows
                for answer in (
                    Answer(
                        response=response,
                        question=question,
                        question_text=question.text,
                        published_text="It would help",
                    ),
                    Answer(
                        response=response,
                        question=choice,
                        question_text=choice.text,
                        choices=["Bus"],
                    ),
                )
            )
            progress.update(len(rows))

    request = RequestFactory().get("/")
    print(f"{arguments.rows} public responses, two answers each, chunks of {arguments.chunk_size}")
    exports.CHUNK_SIZE = arguments.chunk_size
    measure(
        "CSV export (streamed)",
        lambda: _drain(responses_csv(request, page.slug).streaming_content),
    )
    measure(
        "JSON export (streamed)",
        lambda: _drain(responses_json(request, page.slug).streaming_content),
    )
    measure(
        "for comparison: list(responses)",
        lambda: len(list(exports.export_queryset(consultation=page))) and None,
    )


if __name__ == "__main__":
    main()
