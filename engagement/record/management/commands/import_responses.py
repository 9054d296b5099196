"""python manage.py import_responses FILE --consultation SLUG: offline responses from CSV or JSONL."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from consultations.models import ConsultationPage
from engagement.record.imports import IMPORT_CHANNELS, ImportFileError, responses_import


class Command(BaseCommand):
    help = (
        "Import offline responses (columns or keys: text, received_at, channel — one of "
        f"{', '.join(IMPORT_CHANNELS)} — and optional question, name, email). Bad rows are "
        "reported with their line numbers; the rest are imported. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--consultation", required=True, help="the consultation's slug")
        parser.add_argument("--format", choices=["csv", "jsonl"], default="")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, file: Path, consultation: str, format: str, no_progress: bool, **kw):
        page = ConsultationPage.objects.filter(slug=consultation).first()
        if page is None:
            raise CommandError(f"No consultation with the slug {consultation!r}.")
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        with tqdm(
            desc=f"Importing {file.name}",
            unit="row",
            disable=no_progress,
            file=self.stderr._out,
        ) as bar:
            try:
                report = responses_import(
                    consultation=page, path=file, file_format=format, on_row=lambda: bar.update()
                )
            except ImportFileError as error:
                raise CommandError(str(error)) from error
        for row_error in report.errors:
            self.stderr.write(f"{file.name}: {row_error}")
        self.stdout.write(
            f"{report.rows} rows: {report.created} imported, "
            f"{report.already_recorded} already in the record, {len(report.errors)} with errors."
        )
