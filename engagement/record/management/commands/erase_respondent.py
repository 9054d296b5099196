"""Erase one person's responses everywhere, on their request (engagement.record.erasure)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from engagement.record.channels import channel_values
from engagement.record.erasure import ErasureError, erasure_plan, respondent_erase


class Command(BaseCommand):
    help = (
        "Erase one person's responses everywhere (text, answers, earlier wordings, names, "
        "emails, payloads, quarantine, analysis, search index), leaving counted tombstones. "
        "Find them by --channel and --platform-id, by --email, or by --reference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--channel", choices=channel_values(), default="")
        parser.add_argument("--platform-id", default="", help="the network's user id")
        parser.add_argument("--email", default="")
        parser.add_argument("--reference", default="", help="a response reference, HUB-…")
        parser.add_argument("--reason", default="", help="the request (who asked, when, how)")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would be erased; change nothing"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        if options["platform_id"] and not options["channel"]:
            raise CommandError("--platform-id needs --channel.")
        try:
            plan = erasure_plan(
                channel=options["channel"],
                platform_id=options["platform_id"],
                email=options["email"],
                reference=options["reference"],
            )
        except ErasureError as error:
            raise CommandError(str(error)) from error
        if plan.already_erased:
            self.stdout.write(f"Already erased: {len(plan.already_erased)} responses.")
        reason = options["reason"] or "Erased on request (command line)."
        with tqdm(
            total=len(plan.response_ids),
            desc="Erasing",
            unit="response",
            disable=options["no_progress"] or options["dry_run"],
            file=self.stderr._out,
        ) as bar:
            try:
                result = respondent_erase(
                    plan=plan, reason=reason, dry_run=options["dry_run"], progress=bar.update
                )
            except ErasureError as error:
                raise CommandError(str(error)) from error
        counts = ", ".join(f"{store} {rows}" for store, rows in result.erased.items())
        if result.dry_run:
            self.stdout.write(
                f"Dry run: would erase {len(plan.response_ids)} responses "
                f"({', '.join(plan.references) or 'none'}): {counts}. Nothing was changed."
            )
        else:
            self.stdout.write(
                f"Erased {len(plan.response_ids)} responses "
                f"({', '.join(plan.references) or 'none'}): {counts}."
            )
