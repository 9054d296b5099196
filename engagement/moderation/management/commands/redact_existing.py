"""python manage.py redact_existing: publishable text for responses recorded before redaction."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from consultations.models import ConsultationPage
from engagement.moderation.services import responses_needing_redaction, responses_redact_existing


class Command(BaseCommand):
    help = (
        "Redact responses recorded before redaction was applied on write: fills the "
        "published text (and the abuse screen's flags) from the original words. With --all, "
        "redacts every response again (after a change of a consultation's mention policy), "
        "except those a moderator redacted further by hand. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--consultation", default="", help="only this consultation's slug")
        parser.add_argument(
            "--all", action="store_true", dest="everything", help="redact every response again"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, consultation: str, everything: bool, no_progress: bool, **options):
        page = None
        if consultation:
            page = ConsultationPage.objects.filter(slug=consultation).first()
            if page is None:
                raise CommandError(f"No consultation with the slug {consultation!r}.")
        ids = list(
            responses_needing_redaction(consultation=page, everything=everything).values_list(
                "pk", flat=True
            )
        )
        with tqdm(
            total=len(ids),
            desc="Redacting responses",
            unit="response",
            disable=no_progress,
            file=self.stderr._out,
        ) as bar:
            result = responses_redact_existing(response_ids=ids, on_progress=bar.update)
        self.stdout.write(
            f"{result.redacted} responses redacted; {result.kept_manual} left as a moderator "
            "redacted them."
        )
