"""Seed the embedded demo: a home page, a department and an open consultation.

Idempotent: running it again finds what it made before and changes nothing.
"""

import random
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site
from wagtail.rich_text import RichText

from cms.home.models import HomePage
from connectors.demo import SandboxCredentialsError, channel_accounts_seed_from_sandbox
from consultations.models import (
    ConsultationIndexPage,
    ConsultationPage,
    Department,
    Question,
    QuestionKind,
    Topic,
)
from consultations.services import roles_ensure, workflow_comms_review_ensure
from engagement.analysis.engine import EmbeddingModelUnavailable
from engagement.analysis.engine.synthetic import synthetic_corpus
from engagement.analysis.services import analysis_run
from engagement.moderation.services import response_moderate
from engagement.record.channels import Channel, social_channels
from engagement.record.models import ModerationState, Response
from engagement.record.services import AnswerInput, RespondentInput, response_record

DEMO_DEPARTMENT = {"name": "Department for Clean Air", "slug": "clean-air"}
DEMO_TOPIC = {"name": "Environment", "slug": "environment"}
DEMO_CONSULTATION_SLUG = "clean-air-zones"
DEMO_BODY = [
    (
        "rich_text",
        RichText(
            "<p>Air pollution harms health. We want to hear from residents, "
            "businesses and visitors before we decide.</p>"
        ),
    ),
    (
        "callout",
        {"style": "inset", "text": "Vehicles that meet Euro 6 standards would not be charged."},
    ),
]
DEMO_QUESTIONS = [
    {
        "text": "Do you agree that market towns should have clean air zones?",
        "kind": QuestionKind.AGREEMENT_SCALE,
    },
    {
        "text": "How do you usually travel into town?",
        "kind": QuestionKind.SINGLE_CHOICE,
        "options": "Car or van\nBus\nBicycle\nOn foot\nOther",
    },
    {
        "text": "Which of these would help you most?",
        "kind": QuestionKind.MULTIPLE_CHOICE,
        "options": "More buses\nSafer cycle routes\nPark and ride\nHelp to replace an older vehicle",
        "help_text": "Select all that apply.",
    },
    {
        "text": "How would a clean air zone affect you?",
        "kind": QuestionKind.FREE_TEXT,
        "help_text": "Tell us about your household, work or business.",
    },
]


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

    # Each step is idempotent; later seeding steps append to handle().
    @transaction.atomic
    def handle(self, *args, **options):
        home = ensure_home_page()
        department = self.seed_department()
        topic = self.seed_topic()
        index = self.seed_index(home)
        self.seed_roles_and_workflow(index)
        consultation = self.seed_consultation(index, department, topic)
        self.seed_questions(consultation)
        self.seed_sandbox_channels(department, consultation)
        self.seed_responses_and_analysis(consultation)

    def seed_department(self) -> Department:
        department, created = Department.objects.get_or_create(
            slug=DEMO_DEPARTMENT["slug"], defaults={"name": DEMO_DEPARTMENT["name"]}
        )
        self._report("department", department.name, created)
        return department

    def seed_topic(self) -> Topic:
        topic, created = Topic.objects.get_or_create(
            slug=DEMO_TOPIC["slug"], defaults={"name": DEMO_TOPIC["name"]}
        )
        self._report("topic", topic.name, created)
        return topic

    def seed_index(self, home) -> ConsultationIndexPage:
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
        return index

    def seed_roles_and_workflow(self, index: ConsultationIndexPage) -> None:
        groups = roles_ensure(index_page=index)
        self._report("roles", ", ".join(groups), False)
        workflow = workflow_comms_review_ensure(index_page=index)
        self._report("workflow", workflow.name, False)

    def seed_consultation(self, index, department, topic) -> ConsultationPage:
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
                    body=DEMO_BODY,
                    department=department,
                    topic=topic,
                    opens_at=now - timedelta(days=3),
                    closes_at=now + timedelta(days=28),
                    hashtag="CleanAirZones",
                )
            )
        self._report("consultation", consultation.title, created)
        return consultation

    def seed_questions(self, consultation: ConsultationPage) -> None:
        created = not consultation.questions.exists()
        if created:
            for sort_order, question in enumerate(DEMO_QUESTIONS):
                Question.objects.create(page=consultation, sort_order=sort_order, **question)
        self._report("questions on", consultation.title, created)

    def _report(self, kind: str, name: str, created: bool) -> None:
        verb = "Created" if created else "Already there:"
        self.stdout.write(f"{verb} {kind} {name}")

    def seed_sandbox_channels(self, department, consultation) -> None:
        """Channels on the sandbox networks (connectors), when HUB_SANDBOX_CREDENTIALS names their file."""
        if not settings.HUB_SANDBOX_CREDENTIALS:
            return
        try:
            lines = channel_accounts_seed_from_sandbox(
                department=department,
                consultation=consultation,
                path=Path(settings.HUB_SANDBOX_CREDENTIALS),
            )
        except SandboxCredentialsError as error:
            self.stderr.write(f"No sandbox channels: {error}")
            return
        for line in lines:
            self.stdout.write(line)

    def seed_responses_and_analysis(self, consultation) -> None:
        """A few dozen approved responses across channels, analysed once, for the summary page."""
        if Response.objects.filter(consultation=consultation, raw_payload__demo=True).exists():
            self._report("demo responses for", consultation.title, False)
            return
        # Moderation needs a decider; this account has no usable password, so it cannot log in.
        moderator, _ = get_user_model().objects.get_or_create(
            username="demo-moderator",
            defaults={"is_superuser": True, "email": "demo-moderator@example.gov.uk"},
        )
        if moderator.has_usable_password():
            moderator.set_unusable_password()
            moderator.save()
        corpus = synthetic_corpus(seed=11, per_topic=7, campaign_size=8)
        # The web form, every registered network, and email.
        channels = (Channel.WEB, *(name for name, _ in social_channels()), Channel.EMAIL)
        questions = list(consultation.questions.order_by("sort_order"))
        rng = random.Random(11)  # noqa: S311 (made-up demo answers)
        now = timezone.now()
        for position, text in enumerate(corpus.texts):
            channel = channels[position % len(channels)]
            answers = []
            if channel == Channel.WEB:
                for question in questions:
                    if question.choices:
                        count = rng.randint(1, 2) if question.kind == "multiple_choice" else 1
                        picked = tuple(rng.sample(question.choices, count))
                        answers.append(AnswerInput(question_id=question.pk, choices=picked))
            response = response_record(
                consultation=consultation,
                channel=channel,
                text=text,
                received_at=now - timedelta(hours=3 * (len(corpus.texts) - position)),
                respondent=RespondentInput(
                    external_id=None if channel == Channel.WEB else f"demo-person-{position}",
                    handle="" if channel == Channel.WEB else f"demo{position}",
                ),
                answers=answers,
                external_id=None if channel == Channel.WEB else f"demo-{position}",
                raw_payload={"demo": True},
            )
            if response.moderation_state != ModerationState.APPROVED:
                response_moderate(
                    response=response, to_state=ModerationState.APPROVED, by=moderator
                )
        self._report(f"{len(corpus.texts)} demo responses for", consultation.title, True)
        try:
            run = analysis_run(consultation=consultation, seed=0)
        except EmbeddingModelUnavailable as error:
            self.stderr.write(f"Responses not analysed: {error}")
            return
        self.stdout.write(
            f"Analysed {run.responses_analysed} responses: {run.themes_found} themes, "
            f"{run.campaign_groups_found} campaign groups, in {run.duration_seconds:.1f} s"
        )
