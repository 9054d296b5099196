"""python manage.py collect_loop: collection without a broker, for the demo's embedded default.

With Celery, beat runs ``collect_due_replies``, ``announce_outcomes`` and
``sweep_deletions``; with no broker nothing would, so ``make demo`` runs this beside the
server: every ``--interval`` seconds it replies with outcomes just published, polls
whatever is due and, less often, sweeps deletions.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from connectors.collection import collection_claim, replies_collect, responses_sweep
from connectors.exceptions import ConnectorError
from connectors.metrics import post_metrics_refresh
from connectors.outcomes import outcome_replies_schedule
from connectors.selectors import collection_due, sweep_pairs

logger = logging.getLogger(__name__)


def collect_once() -> tuple[int, int]:
    """Poll every due consultation and channel once; returns (polls, new responses)."""
    now = timezone.now()
    polls = created = 0
    for consultation_id, channel_id in collection_due(now=now):
        if not collection_claim(consultation_id=consultation_id, channel_id=channel_id, now=now):
            continue
        outcome = replies_collect(consultation_id=consultation_id, channel_id=channel_id)
        polls += 1
        created += outcome.created
    return polls, created


def sweep_once() -> int:
    withdrawn = 0
    for consultation_id, channel_id in sweep_pairs():
        try:
            withdrawn += responses_sweep(
                consultation_id=consultation_id, channel_id=channel_id
            ).withdrawn
            # The networks' public counts of our posts, on the same schedule as with beat.
            post_metrics_refresh(consultation_id=consultation_id, channel_id=channel_id)
        except ConnectorError as error:
            logger.warning("Deletion sweep of %s failed: %s", consultation_id, error)
    return withdrawn


class Command(BaseCommand):
    help = "Poll due consultations for replies (and sweep deletions) in a loop, without Celery."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between looks")
        parser.add_argument("--once", action="store_true", help="one look, then exit")

    def handle(self, *args, interval: float, once: bool, **options):
        last_sweep = 0.0
        while True:
            try:
                # In-process tasks: each reply is sent before this returns.
                outcomes = len(outcome_replies_schedule())
                polls, created = collect_once()
                if time.monotonic() - last_sweep >= settings.HUB_SWEEP_INTERVAL:
                    last_sweep = time.monotonic()
                    withdrawn = sweep_once()
                else:
                    withdrawn = 0
            except Exception:  # noqa: BLE001 - one bad look must not end the demo's collector
                logger.exception("Collecting replies failed; trying again in %s s", interval)
                polls = created = withdrawn = outcomes = 0
            if polls or withdrawn or outcomes or once:
                self.stdout.write(
                    f"{timezone.localtime():%H:%M:%S} {polls} polls, {created} new responses, "
                    f"{withdrawn} withdrawn, {outcomes} outcome replies"
                )
                self.stdout.flush()  # the demo's log file, read while the loop runs
            if once:
                return
            time.sleep(interval)
