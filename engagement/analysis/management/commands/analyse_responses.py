"""python manage.py analyse_responses --consultation SLUG: analyse now, with a progress bar."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from consultations.models import ConsultationPage
from engagement.analysis.engine import EmbeddingModelUnavailable
from engagement.analysis.services import analysis_run


class Command(BaseCommand):
    help = (
        "Analyse a consultation's responses: sentiment, themes and campaigns. Only new or "
        "edited responses are embedded again; analysts' theme edits are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--consultation", required=True, help="the consultation's slug")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, consultation: str, seed: int | None, no_progress: bool, **options):
        page = ConsultationPage.objects.filter(slug=consultation).first()
        if page is None:
            raise CommandError(f"No consultation with the slug {consultation!r}.")
        seed = settings.HUB_ANALYSIS_SEED if seed is None else seed
        with tqdm(
            desc=f"Embedding {page.slug}",
            unit="response",
            disable=no_progress,
            file=self.stderr._out,
        ) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.n = done
                bar.refresh()

            try:
                run = analysis_run(consultation=page, seed=seed, progress=progress)
            except EmbeddingModelUnavailable as error:
                raise CommandError(str(error)) from error
        self.stdout.write(
            f"Analysed {run.responses_analysed} responses ({run.responses_embedded} embedded) "
            f"of {page.slug}: {run.themes_found} themes, {run.campaign_groups_found} campaign "
            f"groups, in {run.duration_seconds:.1f} s (seed {run.seed})."
        )
