"""Apply the departments' retention schedules now (Celery beat does it every hour)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from consultations.models import Department
from engagement.record.models import RetentionKind
from engagement.record.retention import retention_apply, retention_plan


class Command(BaseCommand):
    help = (
        "Expire what each department's retention schedule no longer keeps after a "
        "consultation closes: original texts, raw payloads (and quarantined ones), emails "
        "and user agents. The published, redacted record stays; responses pending "
        "moderation are left whole and counted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--department", default="", help="one department's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="say what would expire; change nothing"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        department = None
        if options["department"]:
            department = Department.objects.filter(slug=options["department"]).first()
            if department is None:
                known = ", ".join(Department.objects.values_list("slug", flat=True)) or "none"
                raise CommandError(
                    f"No department has the slug {options['department']!r} (known: {known})."
                )
        plan = retention_plan(department=department)
        with tqdm(
            total=plan.total,
            desc="Applying retention",
            unit="row",
            disable=options["no_progress"],
            file=self.stderr._out,
        ) as bar:
            result = retention_apply(
                plan=plan, source="command", dry_run=options["dry_run"], progress=bar.update
            )
        labels = dict(RetentionKind.choices)
        totals = result.totals()
        said = (
            "; ".join(
                f"{labels.get(kind, kind)}: {rows} {store}"
                for (kind, store), rows in sorted(totals.items())
            )
            or "nothing was due"
        )
        held = sum(plan.held.values())
        if held:
            said += (
                f". Left whole: {held} responses still pending moderation in "
                f"{len(plan.held)} consultations past a retention period"
            )
        if result.dry_run:
            self.stdout.write(f"Dry run: would expire {said}. Nothing was changed.")
        else:
            self.stdout.write(f"Expired {said}.")
