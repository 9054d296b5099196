"""Seed the embedded demo: a home page, a department and an open consultation.

With the sandbox networks running (``HUB_SANDBOX_CREDENTIALS``), the consultation is
announced on them, citizens reply there, and their replies reach the record through
collection, as every real reply does. Responses from the web form and by email are
recorded directly, as those channels record them.

Idempotent: running it again finds what it made before and changes nothing.
"""

import random
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.models import Locale, Page, Site
from wagtail.rich_text import RichText

from cms.home.models import HomePage
from connectors.demo import (
    SandboxCredentialsError,
    channel_accounts_seed_from_sandbox,
    demo_announcements_send,
    demo_replies_collect,
    demo_replies_post,
    demo_welsh_replies_post,
)
from connectors.exceptions import ConnectorError
from connectors.outcomes import outcome_replies_schedule
from connectors.services import delivery_send
from consultations.models import (
    ConsultationIndexPage,
    ConsultationPage,
    Department,
    Question,
    QuestionKind,
    Topic,
)
from consultations.services import roles_ensure, workflow_comms_review_ensure
from consultations.translations import page_translation_create
from engagement.analysis.engine import EmbeddingModelUnavailable
from engagement.analysis.services import analysis_run
from engagement.moderation.services import response_moderate
from engagement.record.channels import Channel, social_channel_values
from engagement.record.models import ModerationState, Response
from engagement.record.services import AnswerInput, RespondentInput, response_record

DEMO_DEPARTMENT = {
    "name": "Department for Clean Air",
    "name_cy": "Adran Aer Glân",
    "slug": "clean-air",
}
DEMO_TOPIC = {"name": "Environment", "name_cy": "Amgylchedd", "slug": "environment"}
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
# "You said, we did": what seed_demo --publish-outcome publishes.
DEMO_OUTCOME = [
    (
        "rich_text",
        RichText(
            "<p>You told us that clean air zones should not charge carers, market traders "
            "and people on low incomes for the vans they rely on. We will introduce zones in "
            "six towns, not ten, with a grant to replace older vans and a year's grace for "
            "blue badge holders.</p>"
        ),
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


# What people wrote on the web form and by email (the social networks' replies are
# written by each sandbox: ``demo_replies`` in connectors/sandbox/<network>.py).
DEMO_WEB_RESPONSES = [
    "I support clean air zones if the money raised goes into buses. At the moment the last "
    "bus back from town leaves at six, so people have no choice but to drive.",
    "My daughter has asthma and her inhaler use goes up every winter. The traffic queuing "
    "outside her school is the worst of it. Please start with school streets.",
    "I run a small plumbing business with two vans. Replacing them would cost more than we "
    "make in a year. A scrappage grant for small businesses is essential.",
    "The zone boundary on the map cuts through our estate, so half the street would pay and "
    "half would not. It needs to follow roads people recognise.",
    "Safe, continuous cycle lanes into the centre would let me leave the car at home. The "
    "painted lanes we have stop at every junction.",
    "Park and ride on market days would keep visitors coming without the traffic. Make it "
    "free at weekends for the first year.",
    "Older people in the villages rely on their cars to get to the surgery in town. There "
    "must be exemptions for medical appointments.",
    "I walk into town every day and the air on the high street is noticeably worse than it "
    "was ten years ago. A zone is overdue.",
    "Taxis and delivery vans idling outside the station are the biggest problem. Enforce the "
    "no-idling rule before charging residents.",
    "Please publish the air quality readings for each town, street by street, so we can see "
    "whether the zone makes a difference.",
    "Charging private cars while the council's own bin lorries are old diesels is unfair. "
    "Clean up the council fleet first.",
    "Electric car charging points are almost non-existent here. People cannot switch to "
    "cleaner cars without them.",
    "As a shop owner I worry customers will go to the out-of-town retail park instead, which "
    "has free parking and no charge.",
    "Carers who drive between clients all day should be exempt, or they will simply leave the job.",
]
DEMO_EMAIL_RESPONSES = [
    "Dear Department, I am writing to object to the clean air zone. Small businesses like "
    "mine cannot absorb a daily charge on top of rising costs. Please think again.",
    "Dear Department, I am writing to object to the clean air zone. Small businesses like "
    "ours cannot absorb a daily charge on top of rising costs. Please think again. "
    "Regards, a market trader",
    "Dear Department, I am writing to object to the clean air zone. Small firms like mine "
    "cannot absorb a daily charge on top of rising costs. Please think again.",
    "Good afternoon, the parents' association at Mill Lane Primary supports the school "
    "streets trial becoming permanent, whatever is decided about the zone.",
]


# The demo consultation in Welsh: its page, questions (same order and options as
# DEMO_QUESTIONS), the home page and the index, as a translator would write them.
WELSH_HOME = {
    "title": "Dweud eich dweud",
    "introduction": (
        "Darllenwch beth mae’r llywodraeth yn ei gynnig a dywedwch wrthym beth rydych chi’n "
        "ei feddwl, yma neu ar y rhwydweithiau cymdeithasol rydych chi’n eu defnyddio’n barod."
    ),
}
WELSH_INDEX = {
    "title": "Ymgynghoriadau",
    "introduction": "Ymgynghoriadau sydd ar agor, sydd ar y gweill ac sydd wedi cau.",
}
WELSH_CONSULTATION = {
    "title": "Parthau aer glân mewn trefi marchnad",
    "summary": (
        "Rydym yn cynnig parthau aer glân mewn deg tref farchnad. Dywedwch wrthym sut y "
        "bydden nhw’n effeithio arnoch chi."
    ),
}
WELSH_BODY = [
    (
        "rich_text",
        RichText(
            "<p>Mae llygredd aer yn niweidio iechyd. Rydym am glywed gan drigolion, "
            "busnesau ac ymwelwyr cyn i ni benderfynu.</p>"
        ),
    ),
    (
        "callout",
        {"style": "inset", "text": "Ni fyddai cerbydau sy’n cyrraedd safonau Ewro 6 yn talu."},
    ),
]
WELSH_QUESTIONS = [
    {"text": "Ydych chi’n cytuno y dylai fod parthau aer glân mewn trefi marchnad?"},
    {
        "text": "Sut rydych chi’n teithio i’r dref fel arfer?",
        "options": "Car neu fan\nBws\nBeic\nAr droed\nArall",
    },
    {
        "text": "Pa rai o’r rhain fyddai’n eich helpu fwyaf?",
        "options": (
            "Rhagor o fysiau\nLlwybrau beicio mwy diogel\nParcio a theithio\n"
            "Help i newid hen gerbyd"
        ),
        "help_text": "Dewiswch bob un sy’n berthnasol.",
    },
    {
        "text": "Sut byddai parth aer glân yn effeithio arnoch chi?",
        "help_text": "Dywedwch wrthym am eich cartref, eich gwaith neu eich busnes.",
    },
]
# What people wrote on the Welsh form, as people write: recorded with language "cy".
DEMO_WELSH_WEB_RESPONSES = [
    "Dwi’n cefnogi’r cynllun os bydd yr arian yn mynd at fysiau gwell. Does dim bws adre o’r "
    "dre ar ôl chwech, felly does gan bobl ddim dewis ond gyrru.",
    "Mae asthma ar y mab ac mae’n waeth bob gaeaf. Y ciw traffig tu allan i’r ysgol ydy’r "
    "gwaethaf. Dechreuwch efo strydoedd ysgol, plis.",
    "Dwi’n ffermio ac yn dod i’r mart bob wythnos efo’r trelar. Fydd rhaid i mi dalu bob tro? "
    "Mae angen eithriad i gerbydau amaethyddol.",
    "Byddai llwybr beicio diogel o’r pentref i’r dref yn newid popeth i ni. Ar hyn o bryd "
    "mae’n rhy beryg ar y ffordd fawr.",
]


def ensure_home_page() -> HomePage:
    """The site's root HomePage, replacing Wagtail's placeholder page on a fresh install."""
    home = HomePage.objects.filter(locale__language_code=settings.LANGUAGE_CODE).first()
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

    def add_arguments(self, parser):
        parser.add_argument(
            "--publish-outcome",
            action="store_true",
            help="close the demo consultation now and publish its outcome: the hub replies "
            "with it in each sandbox announcement thread",
        )
        parser.add_argument(
            "--no-analysis",
            action="store_true",
            help="leave the seeded responses unanalysed (themes come at the next scheduled "
            "run): for a deployment check that does not look at themes",
        )

    def handle(self, *args, publish_outcome: bool = False, no_analysis: bool = False, **options):
        if publish_outcome:
            self.publish_demo_outcome()
            return
        # Each step is idempotent. The page tree and channels commit first: the
        # announcement goes out, and replies come back, once they exist.
        with transaction.atomic():
            home = ensure_home_page()
            department = self.seed_department()
            topic = self.seed_topic()
            index = self.seed_index(home)
            consultation = self.seed_consultation(index, department, topic)
            self.seed_questions(consultation)
            self.seed_welsh(consultation)
            # After the Welsh index exists, so its pages get the same roles and review.
            self.seed_roles_and_workflow(index)
            self.seed_sandbox_channels(department, consultation)
        moderator = self.demo_moderator()
        seeded = self.seed_social_replies(consultation, moderator)
        seeded += self.seed_offline_responses(consultation, moderator)
        seeded += self.seed_welsh_web_responses(consultation, moderator)
        if seeded and not no_analysis:
            self.analyse(consultation)

    def publish_demo_outcome(self) -> None:
        # The consultation is its English page (the Welsh one shares its slug).
        consultation = ConsultationPage.objects.filter(
            slug=DEMO_CONSULTATION_SLUG, locale=Locale.get_default()
        ).first()
        if consultation is None:
            self.stderr.write("No demo consultation: run seed_demo first.")
            return
        now = timezone.now()
        if consultation.closes_at > now:
            consultation.closes_at = now
        if not consultation.outcome:
            consultation.outcome = DEMO_OUTCOME
        if consultation.outcome_published_at is None or consultation.outcome_published_at > now:
            consultation.outcome_published_at = now
        consultation.save_revision().publish()
        self._report("outcome", consultation.title, True)
        # Sent here, as seed_demo sends the announcements: with a broker a worker may get
        # there first, and then this finds the reply delivered (it is sent once either way).
        for delivery_id in outcome_replies_schedule():
            try:
                delivery = delivery_send(delivery_id=delivery_id)
            except ConnectorError as error:
                self.stderr.write(f"  outcome reply {delivery_id} not sent yet: {error}")
                continue
            self.stdout.write(
                f"  outcome reply on {delivery.channel}: {delivery.first_url or delivery.status}"
            )

    def seed_department(self) -> Department:
        department, created = Department.objects.get_or_create(
            slug=DEMO_DEPARTMENT["slug"],
            defaults={"name": DEMO_DEPARTMENT["name"], "name_cy": DEMO_DEPARTMENT["name_cy"]},
        )
        self._welsh_name_fill(department, DEMO_DEPARTMENT["name_cy"])
        self._report("department", department.name, created)
        return department

    def seed_topic(self) -> Topic:
        topic, created = Topic.objects.get_or_create(
            slug=DEMO_TOPIC["slug"],
            defaults={"name": DEMO_TOPIC["name"], "name_cy": DEMO_TOPIC["name_cy"]},
        )
        self._welsh_name_fill(topic, DEMO_TOPIC["name_cy"])
        self._report("topic", topic.name, created)
        return topic

    def _welsh_name_fill(self, row: Department | Topic, name_cy: str) -> None:
        # A database seeded before the Welsh names existed gets them; a Welsh name an
        # editor has written since is theirs to keep.
        if not row.name_cy:
            row.name_cy = name_cy
            row.save(update_fields=["name_cy"])

    def seed_index(self, home) -> ConsultationIndexPage:
        index = ConsultationIndexPage.objects.filter(locale=home.locale).first()
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
        consultation = ConsultationPage.objects.filter(
            slug=DEMO_CONSULTATION_SLUG, locale=index.locale
        ).first()
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
                    # A newcomer's reply on a sandbox shows up under Responses within a
                    # minute; what the abuse screen flags still waits for a moderator.
                    auto_approve_responses=True,
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

    def seed_welsh(self, consultation: ConsultationPage) -> None:
        """The consultation in Welsh at /cy/consultations/clean-air-zones/, with the Welsh
        home page and index it sits under, written and published."""
        Locale.objects.get_or_create(language_code="cy")
        existing = consultation.get_translations().filter(locale__language_code="cy").first()
        if existing is not None:
            self._report("Welsh consultation", existing.title, False)
            return
        consultation.save_revision().publish()  # its questions in the revision it copies
        welsh = page_translation_create(page=consultation, language_code="cy")
        for question, words in zip(
            Question.objects.filter(page=welsh).order_by("sort_order"), WELSH_QUESTIONS, strict=True
        ):
            for field, value in words.items():
                setattr(question, field, value)
            question.save()
        for page, words in (
            (welsh.get_parent().get_parent().specific, WELSH_HOME),
            (welsh.get_parent().specific, WELSH_INDEX),
        ):
            for field, value in words.items():
                setattr(page, field, value)
            page.save_revision().publish()
        welsh = ConsultationPage.objects.get(pk=welsh.pk)  # with its Welsh questions
        welsh.title = WELSH_CONSULTATION["title"]
        welsh.summary = WELSH_CONSULTATION["summary"]
        welsh.body = WELSH_BODY
        welsh.save_revision().publish()
        self._report("Welsh consultation", welsh.title, True)

    def seed_welsh_web_responses(self, consultation, moderator) -> int:
        """Responses sent on the Welsh form, with answers, approved."""
        if Response.objects.filter(
            consultation=consultation, channel=Channel.WEB, language="cy", raw_payload__demo=True
        ).exists():
            self._report("Welsh web responses for", consultation.title, False)
            return 0
        questions = list(consultation.questions.order_by("sort_order"))
        rng = random.Random(29)  # noqa: S311 (made-up demo answers)
        now = timezone.now()
        for position, text in enumerate(DEMO_WELSH_WEB_RESPONSES):
            answers = [
                AnswerInput(question_id=question.pk, choices=(rng.choice(question.choices),))
                for question in questions
                if question.choices
            ]
            response = response_record(
                consultation=consultation,
                channel=Channel.WEB,
                text=text,
                received_at=now - timedelta(hours=5 * (len(DEMO_WELSH_WEB_RESPONSES) - position)),
                respondent=RespondentInput(),
                answers=answers,
                language="cy",
                raw_payload={"demo": True},
            )
            if response.moderation_state != ModerationState.APPROVED:
                response_moderate(
                    response=response, to_state=ModerationState.APPROVED, by=moderator
                )
        count = len(DEMO_WELSH_WEB_RESPONSES)
        self._report(f"{count} Welsh web responses for", consultation.title, True)
        return count

    def _report(self, kind: str, name: str, created: bool) -> None:
        verb = "Created" if created else "Already there:"
        self.stdout.write(f"{verb} {kind} {name}")

    def _lines(self, lines: list[str]) -> None:
        for line in lines:
            self.stdout.write(line)

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
        self._lines(lines)

    def demo_moderator(self):
        # Moderation needs a decider; this account has no usable password, so it cannot log in.
        moderator, _ = get_user_model().objects.get_or_create(
            username="demo-moderator",
            defaults={"is_superuser": True, "email": "demo-moderator@example.gov.uk"},
        )
        if moderator.has_usable_password():
            moderator.set_unusable_password()
            moderator.save()
        return moderator

    def seed_social_replies(self, consultation, moderator) -> int:
        """Announce on the sandboxes, have citizens reply there, collect what they wrote."""
        self._remove_outdated_demo_responses(consultation)
        before = Response.objects.filter(consultation=consultation).count()
        self._lines(demo_announcements_send(consultation=consultation))
        self._lines(demo_replies_post(consultation=consultation))
        self._lines(demo_welsh_replies_post(consultation=consultation))
        self._lines(demo_replies_collect(consultation=consultation))
        # A consultation seeded before auto-approval was on: the demo moderator approves
        # what the abuse screen let through; what it flagged stays for a person to judge.
        for response in Response.objects.filter(
            consultation=consultation,
            channel__in=social_channel_values(),
            moderation_state=ModerationState.PENDING,
            withdrawn_at__isnull=True,
            flagged_terms=[],
        ):
            response_moderate(response=response, to_state=ModerationState.APPROVED, by=moderator)
        return Response.objects.filter(consultation=consultation).count() - before

    def _remove_outdated_demo_responses(self, consultation) -> None:
        """An earlier seed_demo wrote made-up social replies straight into the record (the
        deletion sweep cannot find them on any network and would mark them withdrawn) and
        off-topic ones about libraries and bins: they make way for these."""
        removed, _ = (
            Response.objects.filter(consultation=consultation, raw_payload__demo=True)
            .filter(
                Q(channel__in=social_channel_values())
                | ~Q(text__in=DEMO_WEB_RESPONSES + DEMO_EMAIL_RESPONSES + DEMO_WELSH_WEB_RESPONSES)
            )
            .delete()
        )
        if removed:
            self.stdout.write("Removed the responses an earlier demo inserted directly")

    def seed_offline_responses(self, consultation, moderator) -> int:
        """Responses from the web form (with answers) and by email, approved, for the summary."""
        offline = [Channel.WEB, Channel.EMAIL]
        if Response.objects.filter(
            consultation=consultation, channel__in=offline, raw_payload__demo=True
        ).exists():
            self._report("web and email responses for", consultation.title, False)
            return 0
        questions = list(consultation.questions.order_by("sort_order"))
        rng = random.Random(11)  # noqa: S311 (made-up demo answers)
        now = timezone.now()
        texts = [(Channel.WEB, text) for text in DEMO_WEB_RESPONSES] + [
            (Channel.EMAIL, text) for text in DEMO_EMAIL_RESPONSES
        ]
        for position, (channel, text) in enumerate(texts):
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
                received_at=now - timedelta(hours=3 * (len(texts) - position)),
                # The web form makes its own respondent id; an imported email needs one.
                respondent=RespondentInput(
                    external_id=None if channel == Channel.WEB else f"demo-letter-{position}"
                ),
                answers=answers,
                raw_payload={"demo": True},
            )
            if response.moderation_state != ModerationState.APPROVED:
                response_moderate(
                    response=response, to_state=ModerationState.APPROVED, by=moderator
                )
        self._report(f"{len(texts)} web and email responses for", consultation.title, True)
        return len(texts)

    def analyse(self, consultation) -> None:
        try:
            run = analysis_run(consultation=consultation, seed=0)
        except EmbeddingModelUnavailable as error:
            self.stderr.write(f"Responses not analysed: {error}")
            return
        self.stdout.write(
            f"Analysed {run.responses_analysed} responses: {run.themes_found} themes, "
            f"{run.campaign_groups_found} campaign groups, in {run.duration_seconds:.1f} s"
        )
