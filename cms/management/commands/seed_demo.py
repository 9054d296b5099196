"""Seed the embedded demo: a home page, a department and an open consultation.

Idempotent: running it again finds what it made before and changes nothing.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site

from cms.home.models import HomePage
from consultations.models import ConsultationIndexPage, ConsultationPage, Department

DEMO_DEPARTMENT = {"name": "Department for Clean Air", "slug": "clean-air"}
DEMO_CONSULTATION_SLUG = "clean-air-zones"


def ensure_home_page() -> HomePage:
    """The site's root HomePage, replacing Wagtail's placeholder page on a fresh install."""
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        # Wagtail's initial migration makes a plain "Welcome" page at /home/.
        for placeholder in root.get_children().filter(slug="home").exact_type(Page):
            placeholder.delete()
        root.refresh_from_db()
        home = root.add_child(
            instance=HomePage(
                title="Have your say",
                slug="home",
                introduction=(
                    "Read what government is proposing and tell us what you think, "
                    "here or on the social networks you already use."
                ),
            )
        )
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="Consultation hub",
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    return home


class Command(BaseCommand):
    help = "Create the demo department and consultation (safe to run repeatedly)."

    @transaction.atomic
    def handle(self, *args, **options):
        home = ensure_home_page()
        department, created = Department.objects.get_or_create(
            slug=DEMO_DEPARTMENT["slug"], defaults={"name": DEMO_DEPARTMENT["name"]}
        )
        self._report("department", department.name, created)

        index = ConsultationIndexPage.objects.first()
        created = index is None
        if created:
            index = home.add_child(
                instance=ConsultationIndexPage(
                    title="Consultations",
                    slug="consultations",
                    introduction="Open, upcoming and closed consultations.",
                )
            )
        self._report("consultation index", index.url_path, created)

        consultation = ConsultationPage.objects.filter(slug=DEMO_CONSULTATION_SLUG).first()
        created = consultation is None
        if created:
            now = timezone.now()
            consultation = index.add_child(
                instance=ConsultationPage(
                    title="Clean air zones in market towns",
                    slug=DEMO_CONSULTATION_SLUG,
                    summary=(
                        "We propose clean air zones in ten market towns. Tell us how "
                        "they would affect you."
                    ),
                    body="<p>Air pollution harms health. We want to hear from residents, "
                    "businesses and visitors before we decide.</p>",
                    department=department,
                    opens_at=now - timedelta(days=3),
                    closes_at=now + timedelta(days=28),
                    hashtag="CleanAirZones",
                )
            )
        self._report("consultation", consultation.title, created)

    def _report(self, kind: str, name: str, created: bool) -> None:
        verb = "Created" if created else "Already there:"
        self.stdout.write(f"{verb} {kind} {name}")
