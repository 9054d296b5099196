"""python manage.py collect_replies --consultation SLUG [--since DATE]: collect (or backfill) now."""

from __future__ import annotations

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from connectors.collection import replies_collect
from connectors.models import ConsultationChannel
from connectors.registry import connector_names
from connectors.selectors import collection_gaps_for
from consultations.models import ConsultationPage

# A backfill may walk far more than a regular poll; the budgets still apply.
_BACKFILL_PAGES = 100_000


def _since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since {value!r} is not a date (2026-03-01) or a date and time.")
        moment = datetime.combine(day, time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = "Collect the replies to one consultation on each of its channels, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--consultation", required=True, help="the consultation's slug")
        parser.add_argument(
            "--since", default="", help="backfill: walk every route again from this date"
        )
        parser.add_argument(
            "--channel",
            default="",
            help=f"only this network ({', '.join(connector_names())})",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, consultation: str, since: str, channel: str, no_progress: bool, **kw):
        page = ConsultationPage.objects.filter(slug=consultation).first()
        if page is None:
            raise CommandError(f"No consultation with the slug {consultation!r}.")
        moment = _since(since) if since else None
        links = ConsultationChannel.objects.filter(page=page, channel__is_active=True)
        if channel:
            links = links.filter(channel__network=channel)
        links = list(links.select_related("channel"))
        if not links:
            raise CommandError(f"“{page.title}” has no active channel to collect from.")
        for link in links:
            with tqdm(
                desc=f"{link.channel.get_network_display()} @{link.channel.handle}",
                unit="page",
                disable=no_progress,
                file=self.stderr._out,
            ) as bar:

                def progress(outcome, bar=bar):
                    bar.update(1)
                    bar.set_postfix(new=outcome.created, seen=outcome.already_recorded)

                outcome = replies_collect(
                    consultation_id=page.pk,
                    channel_id=link.channel.pk,
                    since=moment,
                    max_pages=_BACKFILL_PAGES,
                    on_page=progress,
                )
            status = "caught up" if outcome.complete else f"stopped: {outcome.stopped_by}"
            self.stdout.write(
                f"{link.channel}: {outcome.created} new, {outcome.already_recorded} already "
                f"recorded, {outcome.edited} edited, {outcome.quarantined} quarantined "
                f"({outcome.pages} pages, {status})"
            )
        for gap in collection_gaps_for(page):
            self.stdout.write(
                f"Collection incomplete on {gap.network_label} since "
                f"{timezone.localtime(gap.since):%Y-%m-%d %H:%M}: {gap.reason}"
            )
