"""Departments, the people in them, and the consultation pages they publish."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField, StreamField
from wagtail.models import (
    AbstractGroupApprovalTask,
    Locale,
    Orderable,
    Page,
    PagePermissionTester,
    TranslatableMixin,
)
from wagtail.search import index

from consultations.accounts import department_handles
from consultations.blocks import ConsultationBodyBlock
from consultations.service_name import language_is_welsh

HASHTAG_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# These models are the lowest layer (docs/adr/0006-app-layers.md): the record refers to
# them. The pages' public views sit higher (the response form writes to the record), so
# the pages reach them, and what other apps add to a page, through Wagtail hooks:
# - "register_consultation_page_views": returns {route name: view}, see consultations/wagtail_hooks.py;
# - "consultation_page_context": fn(request, page) -> dict, merged into the page's context.
PAGE_VIEWS_HOOK = "register_consultation_page_views"
PAGE_CONTEXT_HOOK = "consultation_page_context"
# Each function registered under it takes a consultation's video link and returns an error
# for the editor ("" when the link will do): the networks that post on videos know theirs.
VIDEO_URL_CHECK_HOOK = "consultation_video_url_check"


def page_view(name: str):
    """The view registered for one of the pages' routes."""
    for register in hooks.get_hooks(PAGE_VIEWS_HOOK):
        views = register()
        if name in views:
            return views[name]
    raise ImproperlyConfigured(f"No view is registered for the consultation route {name!r}.")


def page_context_contributions(request, page) -> dict:
    """What other apps add to a consultation page's context (e.g. the delivered posts)."""
    context: dict = {}
    for contribute in hooks.get_hooks(PAGE_CONTEXT_HOOK):
        context.update(contribute(request, page))
    return context


# The retention schedule's defaults (days after a consultation closes), stated in the
# README. Original words outlast the outcome's usual twelve weeks and the three months a
# legal challenge to it may take; raw payloads are only needed to look into a collection
# problem; user agents only to look into a flood of responses while it is fresh.
RETAIN_ORIGINAL_TEXT_DAYS = 365
RETAIN_RAW_PAYLOADS_DAYS = 90
RETAIN_EMAILS_DAYS = 365
RETAIN_USER_AGENTS_DAYS = 30
RETAIN_MAX_DAYS = 3650


def retention_periods_described(
    *,
    original_text: int = RETAIN_ORIGINAL_TEXT_DAYS,
    raw_payloads: int = RETAIN_RAW_PAYLOADS_DAYS,
    emails: int = RETAIN_EMAILS_DAYS,
    user_agents: int = RETAIN_USER_AGENTS_DAYS,
) -> list[tuple[str, int]]:
    """A retention schedule as the privacy notice states it (the defaults for the hub-wide one)."""
    return [
        (
            gettext("Your words as you wrote them, before personal details were removed"),
            original_text,
        ),
        (gettext("What the social network sent us about your post"), raw_payloads),
        (gettext("The email address you gave on the response form"), emails),
        (gettext("The name of the web browser you responded with"), user_agents),
    ]


# Wagtail ships no types, so the django-stubs plugin cannot find the default manager of
# ConsultationPage (a Page) for the reverse `consultations` accessor.
def name_in_language(*, name: str, name_cy: str, language_code: str | None = None) -> str:
    """``name_cy`` in Welsh (the active language by default) when it is set, else ``name``:
    an untranslated department or topic still has a name on the Welsh pages."""
    if name_cy and language_is_welsh(language_code=language_code):
        return name_cy
    return name


class Department(models.Model):  # type: ignore[django-manager-missing]
    """A government department or public body that runs consultations.

    The ``retain_*_days`` fields are its retention schedule: how long after one of its
    consultations closes the hub keeps what it collected beyond the published, redacted
    record (``engagement.record.retention`` enforces them; the README has the defaults).
    """

    name = models.CharField(max_length=200, unique=True)
    name_cy = models.CharField(
        "Welsh name",
        max_length=200,
        blank=True,
        help_text="The department's name on the Welsh pages, feeds and emails. "
        "Left blank, the Welsh pages show the English name.",
    )
    slug = models.SlugField(max_length=100, unique=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    retain_original_text_days = models.PositiveIntegerField(
        "Keep original texts for (days)",
        default=RETAIN_ORIGINAL_TEXT_DAYS,
        validators=[MaxValueValidator(RETAIN_MAX_DAYS)],
        help_text="Days after a consultation closes that respondents' words as they wrote "
        "them (before redaction), their earlier wordings and the names they gave are kept. "
        "After that only the published, redacted text stays. Responses still waiting for a "
        "moderator are kept whole until someone has looked at them.",
    )
    retain_raw_payloads_days = models.PositiveIntegerField(
        "Keep raw payloads for (days)",
        default=RETAIN_RAW_PAYLOADS_DAYS,
        validators=[MaxValueValidator(RETAIN_MAX_DAYS)],
        help_text="Days after a consultation closes that the posts exactly as the social "
        "networks sent them (including payloads held in quarantine) are kept.",
    )
    retain_emails_days = models.PositiveIntegerField(
        "Keep email addresses for (days)",
        default=RETAIN_EMAILS_DAYS,
        validators=[MaxValueValidator(RETAIN_MAX_DAYS)],
        help_text="Days after a consultation closes that the email addresses given on the "
        "response form are kept. A person who also responded to a consultation still "
        "within its period keeps theirs until that one's period ends too.",
    )
    retain_user_agents_days = models.PositiveIntegerField(
        "Keep browser details (user agents) for (days)",
        default=RETAIN_USER_AGENTS_DAYS,
        validators=[MaxValueValidator(RETAIN_MAX_DAYS)],
        help_text="Days after a consultation closes that the browser details sent with "
        "web responses (kept to look into floods of responses) are kept.",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("name_cy"),
        FieldPanel("slug"),
        FieldPanel("logo"),
        MultiFieldPanel(
            [
                FieldPanel("retain_original_text_days"),
                FieldPanel("retain_raw_payloads_days"),
                FieldPanel("retain_emails_days"),
                FieldPanel("retain_user_agents_days"),
            ],
            heading="Retention after a consultation closes",
        ),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name the public sees in the active language (the admin keeps ``name``)."""
        return name_in_language(name=self.name, name_cy=self.name_cy)

    def retention_periods(self) -> list[tuple[str, int]]:
        """The schedule in the privacy notice's words: (what is kept, days after closing)."""
        return retention_periods_described(
            original_text=self.retain_original_text_days,
            raw_payloads=self.retain_raw_payloads_days,
            emails=self.retain_emails_days,
            user_agents=self.retain_user_agents_days,
        )

    @property
    def social_handles(self) -> str:
        """The department's own accounts (its channel accounts), for the admin listing."""
        return ", ".join(department_handles(department_id=self.pk)) if self.pk else ""


class DepartmentMembership(models.Model):
    """An officer's membership of a department: they manage its consultations only.

    What an officer may do (write, approve, moderate, analyse) comes from their
    Wagtail groups; which consultations they may do it to comes from here.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="department_memberships"
    )
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")

    panels = [FieldPanel("user"), FieldPanel("department")]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "department"], name="unique_department_member")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.department}"


def department_ids_for_user(user) -> set[int]:
    """The departments whose consultations ``user`` manages (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_hub_department_ids", None)
    if cached is None:
        cached = set(
            DepartmentMembership.objects.filter(user=user).values_list("department_id", flat=True)
        )
        user._hub_department_ids = cached
    return cached


# --- Privacy notices ---------------------------------------------------------------------
# The wording a new notice starts from, and what the hub shows before anyone has written
# one. Plain words for the public; editors' guidance is in each field's help text.

NOTICE_FEATURES = ["bold", "italic", "link", "ul", "ol"]

DEFAULT_SOCIAL_NETWORKS = (
    "<p>When you reply on a social network to one of our posts about a consultation, or "
    "post with the consultation's hashtag while it is open, we collect from that network:</p>"
    "<ul><li>what you wrote, and any later changes you make to it</li>"
    "<li>when you wrote it, and a link to it</li>"
    "<li>your account's name, handle and the network's identifier for it</li></ul>"
    "<p>We do not collect anything else from your account, and we do not collect posts "
    "that are not about the consultation. If you delete your post or make it private, we "
    "stop publishing it.</p>"
)
DEFAULT_WEB_FORM = (
    "<p>When you respond on this website we collect your answers and, if you give them, "
    "your name and email address. We also keep the name of the web browser you used, "
    "to help us spot automated responses.</p>"
    "<p>We use your email address only to contact you about this consultation, and we "
    "never publish it. We publish your name only if you ask us to.</p>"
)
DEFAULT_LAWFUL_BASIS = (
    "<p>We collect and use this information because consulting the public is part of our "
    "official functions: the lawful basis is <strong>public task</strong> (Article 6(1)(e) "
    "of the UK General Data Protection Regulation).</p>"
    "<p>If you tell us about your health, religion, ethnicity or other special category "
    "information, we use it only to understand your response, on the basis of "
    "substantial public interest (Article 9(2)(g) of the UK GDPR and Schedule 1 of the "
    "Data Protection Act 2018).</p>"
    "<p>Before we publish any response, we remove personal details such as email "
    "addresses, phone numbers, postcodes and other identifying numbers, and a moderator "
    "checks it.</p>"
)
DEFAULT_RETENTION = (
    "<p>After a consultation closes, we keep what we collected for the periods listed "
    "below, then delete it. Responses a moderator has not yet read are kept until one has.</p>"
    "<p>The published responses, with personal details removed, are kept as part of the "
    "public record of the consultation.</p>"
)
DEFAULT_ERASURE = (
    "<p>You can ask us to erase your response at any time. Tell us the reference number we "
    "gave you when you responded, or the social network and account you replied from, or "
    "the email address you gave us.</p>"
    "<p>We will erase your words, your name and your email address everywhere we hold "
    "them, including the published responses and our analysis. We keep only a record "
    "that a response was erased, so the published totals still add up.</p>"
    "<p>You also have the right to see the information we hold about you, to have it "
    "corrected, and to object to how we use it.</p>"
)
DEFAULT_CONTACT = (
    "<p>Contact the data protection officer of the department that runs the consultation. "
    "Their contact details are on the department's website.</p>"
    "<p>If you are unhappy with how we have used your information, you can complain to "
    'the <a href="https://ico.org.uk/make-a-complaint/">Information Commissioner\'s '
    "Office</a>.</p>"
)


# The same wording in Welsh: what a Welsh page shows before anyone has written a notice
# (``consultations.selectors.privacy_notice_for``).
WELSH_DEFAULT_SECTIONS = {
    "social_networks": (
        "<p>Pan fyddwch yn ateb un o’n negeseuon am ymgynghoriad ar rwydwaith cymdeithasol, "
        "neu’n postio gyda hashnod yr ymgynghoriad tra bydd ar agor, rydym yn casglu’r "
        "canlynol gan y rhwydwaith hwnnw:</p>"
        "<ul><li>yr hyn a ysgrifennoch, ac unrhyw newidiadau a wnewch iddo wedyn</li>"
        "<li>pryd y gwnaethoch ei ysgrifennu, a dolen iddo</li>"
        "<li>enw eich cyfrif, eich enw defnyddiwr a dynodydd y rhwydwaith ar ei gyfer</li></ul>"
        "<p>Nid ydym yn casglu dim byd arall o’ch cyfrif, ac nid ydym yn casglu negeseuon nad "
        "ydynt yn ymwneud â’r ymgynghoriad. Os byddwch yn dileu eich neges neu’n ei gwneud yn "
        "breifat, byddwn yn peidio â’i chyhoeddi.</p>"
    ),
    "web_form": (
        "<p>Pan fyddwch yn ymateb ar y wefan hon, rydym yn casglu eich atebion ac, os byddwch "
        "yn eu rhoi, eich enw a’ch cyfeiriad e-bost. Rydym hefyd yn cadw enw’r porwr gwe a "
        "ddefnyddiwyd gennych, i’n helpu i adnabod ymatebion awtomataidd.</p>"
        "<p>Dim ond i gysylltu â chi am yr ymgynghoriad hwn y byddwn yn defnyddio eich "
        "cyfeiriad e-bost, ac ni fyddwn byth yn ei gyhoeddi. Dim ond os byddwch yn gofyn i ni "
        "wneud hynny y byddwn yn cyhoeddi eich enw.</p>"
    ),
    "lawful_basis": (
        "<p>Rydym yn casglu ac yn defnyddio’r wybodaeth hon oherwydd bod ymgynghori â’r "
        "cyhoedd yn rhan o’n swyddogaethau swyddogol: y sail gyfreithlon yw <strong>tasg "
        "gyhoeddus</strong> (Erthygl 6(1)(e) o Reoliad Cyffredinol y DU ar Ddiogelu Data).</p>"
        "<p>Os byddwch yn dweud wrthym am eich iechyd, eich crefydd, eich ethnigrwydd neu "
        "wybodaeth categori arbennig arall, dim ond i ddeall eich ymateb y byddwn yn ei "
        "defnyddio, ar sail budd cyhoeddus sylweddol (Erthygl 9(2)(g) o GDPR y DU ac Atodlen 1 "
        "i Ddeddf Diogelu Data 2018).</p>"
        "<p>Cyn i ni gyhoeddi unrhyw ymateb, rydym yn tynnu manylion personol fel cyfeiriadau "
        "e-bost, rhifau ffôn, codau post a rhifau adnabod eraill, ac mae cymedrolwr yn ei "
        "wirio.</p>"
    ),
    "retention": (
        "<p>Ar ôl i ymgynghoriad gau, rydym yn cadw’r hyn a gasglwyd gennym am y cyfnodau a "
        "restrir isod, ac yna’n ei ddileu. Caiff ymatebion nad yw cymedrolwr wedi’u darllen "
        "eto eu cadw nes bod un wedi gwneud hynny.</p>"
        "<p>Caiff yr ymatebion a gyhoeddwyd, heb y manylion personol, eu cadw fel rhan o "
        "gofnod cyhoeddus yr ymgynghoriad.</p>"
    ),
    "erasure": (
        "<p>Gallwch ofyn i ni ddileu eich ymateb ar unrhyw adeg. Rhowch i ni’r cyfeirnod a "
        "roesom i chi pan wnaethoch ymateb, neu’r rhwydwaith cymdeithasol a’r cyfrif y "
        "gwnaethoch ateb ohono, neu’r cyfeiriad e-bost a roesoch i ni.</p>"
        "<p>Byddwn yn dileu eich geiriau, eich enw a’ch cyfeiriad e-bost ym mhob man lle rydym "
        "yn eu cadw, gan gynnwys yr ymatebion a gyhoeddwyd a’n dadansoddiad. Dim ond cofnod "
        "bod ymateb wedi’i ddileu a gadwn, fel bod y cyfansymiau a gyhoeddwyd yn dal i "
        "gyfateb.</p>"
        "<p>Mae gennych hefyd yr hawl i weld yr wybodaeth sydd gennym amdanoch, i’w chywiro, "
        "ac i wrthwynebu’r ffordd rydym yn ei defnyddio.</p>"
    ),
    "contact": (
        "<p>Cysylltwch â swyddog diogelu data’r adran sy’n cynnal yr ymgynghoriad. Mae eu "
        "manylion cyswllt ar wefan yr adran.</p>"
        "<p>Os ydych yn anfodlon â’r ffordd rydym wedi defnyddio eich gwybodaeth, gallwch "
        'gwyno i <a href="https://ico.org.uk/make-a-complaint/">Swyddfa’r Comisiynydd '
        "Gwybodaeth</a>.</p>"
    ),
}


def privacy_notice_default(*, language_code: str) -> PrivacyNotice:
    """The default wording, unsaved, in ``language_code`` where the hub has it (Welsh),
    else in English."""
    if language_code.split("-")[0] == "cy":
        return PrivacyNotice(**WELSH_DEFAULT_SECTIONS)
    return PrivacyNotice()


# Callables, so that changing the default wording needs no migration.
def default_social_networks() -> str:
    return DEFAULT_SOCIAL_NETWORKS


def default_web_form() -> str:
    return DEFAULT_WEB_FORM


def default_lawful_basis() -> str:
    return DEFAULT_LAWFUL_BASIS


def default_retention() -> str:
    return DEFAULT_RETENTION


def default_erasure() -> str:
    return DEFAULT_ERASURE


def default_contact() -> str:
    return DEFAULT_CONTACT


class PrivacyNoticeForm(WagtailAdminModelForm):
    """A department's editors write their own department's notice; only superusers the
    hub-wide one (the notice without a department)."""

    def clean_department(self):
        department = self.cleaned_data.get("department")
        user = getattr(self, "for_user", None)
        if department is None and user is not None and not user.is_superuser:
            raise ValidationError("Choose your department.")
        return department

    def clean(self):
        cleaned = super().clean()
        # The database's one-per-department-and-language constraint names the locale, which
        # is not a form field, so the form checks it here (Django would skip it).
        if "department" in cleaned:
            department = cleaned["department"]
            locale_id = self.instance.locale_id or Locale.get_default().pk
            others = PrivacyNotice.objects.filter(locale_id=locale_id).exclude(pk=self.instance.pk)
            clash = (
                others.filter(department__isnull=True)
                if department is None
                else others.filter(department=department)
            )
            if clash.exists():
                raise ValidationError(
                    "There is already a hub-wide privacy notice in this language: edit that one "
                    "instead."
                    if department is None
                    else "There is already a privacy notice for this department in this "
                    "language: edit that one instead."
                )
        return cleaned


class PrivacyNotice(TranslatableMixin, models.Model):
    """How the hub uses the information of people who respond: one notice per department,
    and one without a department, hub-wide, for departments that have not written theirs;
    each in English and, translated in the CMS, in Welsh.

    A snippet, not a page: it belongs to a department the way its channels and members do,
    so the same department scope guards its admin screens (docs/adr/0009); its public page
    is served at /privacy/<department>/ by ``consultations.views.privacy_notice``.
    """

    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="privacy_notices",
        help_text="Leave empty for the hub-wide notice, which applies to every department "
        "that has not written its own.",
    )
    social_networks = RichTextField(
        gettext_noop("What we collect from social networks"),
        features=NOTICE_FEATURES,
        default=default_social_networks,
    )
    web_form = RichTextField(
        gettext_noop("What we collect on the response form"),
        features=NOTICE_FEATURES,
        default=default_web_form,
    )
    lawful_basis = RichTextField(
        gettext_noop("Our lawful basis"),
        features=NOTICE_FEATURES,
        default=default_lawful_basis,
        help_text="Check the basis with your data protection officer.",
    )
    retention = RichTextField(
        gettext_noop("How long we keep it"),
        features=NOTICE_FEATURES,
        default=default_retention,
        help_text="Say how long you keep each kind of information after a consultation "
        "closes; keep it in step with the department's retention periods.",
    )
    erasure = RichTextField(
        gettext_noop("How to ask us to erase your response"),
        features=NOTICE_FEATURES,
        default=default_erasure,
    )
    contact = RichTextField(
        gettext_noop("Who to contact"),
        features=NOTICE_FEATURES,
        default=default_contact,
        help_text="Your data protection officer's email or postal address.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    # On a translation: its English notice's sections as they were when the translation was
    # last saved (saving it is the translator saying "this follows the English"), so the
    # translations report can name the sections changed since (consultations.translations).
    # Empty on an English notice, and on a translation saved before this was kept.
    source_sections = models.JSONField(default=dict, blank=True, editable=False)

    base_form_class = PrivacyNoticeForm
    panels = [
        FieldPanel("department"),
        FieldPanel("social_networks"),
        FieldPanel("web_form"),
        FieldPanel("lawful_basis"),
        FieldPanel("retention"),
        FieldPanel("erasure"),
        FieldPanel("contact"),
    ]

    # The sections in the order the public page shows them, with their anchors.
    SECTIONS = (
        ("social-networks", "social_networks"),
        ("web-form", "web_form"),
        ("lawful-basis", "lawful_basis"),
        ("retention", "retention"),
        ("erasure", "erasure"),
        ("contact", "contact"),
    )

    class Meta(TranslatableMixin.Meta):
        constraints = [
            # In each language, one per department and at most one hub-wide.
            models.UniqueConstraint(
                Coalesce(F("department"), Value(0)),
                "locale",
                name="one_privacy_notice_per_department_and_locale",
                violation_error_message="There is already a privacy notice for this "
                "department in this language: edit that one instead.",
            )
        ]

    def __str__(self) -> str:
        if self.department_id is None:
            return "Hub-wide privacy notice"
        return f"Privacy notice of {self.department}"

    def save(self, *args, **kwargs):
        source = (
            PrivacyNotice.objects.filter(
                translation_key=self.translation_key,
                locale__language_code=default_language_code(),
            )
            .exclude(pk=self.pk)
            .first()
        )
        if source is not None:
            self.source_sections = {name: getattr(source, name) for _, name in self.SECTIONS}
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "source_sections"}
        super().save(*args, **kwargs)

    @property
    def translation_version_at(self):
        """When this notice last changed: a translation older than its English source is
        out of date (consultations.translations)."""
        return self.updated_at

    @property
    def is_hub_wide(self) -> bool:
        return self.department_id is None

    @property
    def sections(self) -> list[tuple[str, str, str]]:
        """(anchor, heading, rich text) of each section, for the public page."""
        fields = {field.name: field for field in self._meta.fields}
        return [
            (anchor, gettext(str(fields[name].verbose_name)), getattr(self, name))
            for anchor, name in self.SECTIONS
        ]


class Topic(models.Model):  # type: ignore[django-manager-missing]  # as Department
    """A subject area people can filter consultations by, e.g. Transport."""

    name = models.CharField(max_length=100, unique=True)
    name_cy = models.CharField(
        "Welsh name",
        max_length=100,
        blank=True,
        help_text="The topic's name on the Welsh pages and feeds. "
        "Left blank, the Welsh pages show the English name.",
    )
    slug = models.SlugField(max_length=100, unique=True)

    panels = [FieldPanel("name"), FieldPanel("name_cy"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name the public sees in the active language (the admin keeps ``name``)."""
        return name_in_language(name=self.name, name_cy=self.name_cy)


def default_language_code() -> str:
    """The content language everything else translates from ("en-gb"): asked of the
    settings, not the database, so it answers before any Locale row exists."""
    return get_supported_content_language_variant(settings.LANGUAGE_CODE)


class ConsultationIndexPage(RoutablePageMixin, Page):
    """The list of consultations, at /consultations/, with its feeds."""

    introduction = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    subpage_types = ["consultations.ConsultationPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(page_view("index_context")(request, self))
        return context

    def route(self, request, path_components):
        # Wagtail's route asks for the child as a generic Page, then again for its specific
        # row, then once each for its locale, department and topic as the page reads them:
        # one query here instead. The child's own route() still decides whether it is live.
        if path_components and not (self.live and self._has_own_route(path_components)):
            consultation = (
                ConsultationPage.objects.child_of(self)
                .filter(slug=path_components[0])
                .select_related("locale", "department", "topic")
                .first()
            )
            if consultation is not None:
                consultation._cached_parent_obj = self  # treebeard's get_parent() reads it
                return consultation.route(request, path_components[1:])
        return super().route(request, path_components)

    def _has_own_route(self, path_components) -> bool:
        """Whether the path is one of this page's own routes (the feeds), which Wagtail's
        RoutablePageMixin answers before looking for a child page of that slug."""
        try:
            self.resolve_subpage("/" + "/".join(path_components) + "/")
        except Http404:
            return False
        return True

    @path("feed/")
    def rss_feed(self, request):
        return page_view("rss_feed")(request, self)

    @path("feed/atom/")
    def atom_feed(self, request):
        return page_view("atom_feed")(request, self)

    @path("feed/outcomes/")
    def outcomes_feed(self, request):
        return page_view("outcomes_feed")(request, self)


class ConsultationStatus(models.TextChoices):
    UPCOMING = "upcoming", _("Upcoming")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    OUTCOME_PUBLISHED = "outcome", _("Outcome published")


class DepartmentPagePermissionTester(PagePermissionTester):
    """Wagtail's page permissions, narrowed to the departments the user belongs to.

    Every consultation lives under the one /consultations/ index, so Wagtail's
    subtree permissions cannot tell departments apart; this can.
    """

    def __init__(self, user, page):
        super().__init__(user, page)
        self.in_department = bool(
            user.is_active
            and (user.is_superuser or page.department_id in department_ids_for_user(user))
        )
        if not self.in_department:
            self.permissions = set()

    @staticmethod  # a helper used only while building the class (callable since 3.10)
    def _scoped(name: str):
        def method(self, *args, **kwargs):
            return self.in_department and getattr(PagePermissionTester, name)(self, *args, **kwargs)

        method.__name__ = name
        return method

    can_edit = _scoped("can_edit")
    can_delete = _scoped("can_delete")
    can_unpublish = _scoped("can_unpublish")
    can_publish = _scoped("can_publish")
    can_submit_for_moderation = _scoped("can_submit_for_moderation")
    can_set_view_restrictions = _scoped("can_set_view_restrictions")
    can_unschedule = _scoped("can_unschedule")
    can_lock = _scoped("can_lock")
    can_unlock = _scoped("can_unlock")
    can_move = _scoped("can_move")
    can_copy = _scoped("can_copy")
    can_view_revisions = _scoped("can_view_revisions")
    del _scoped


# When a consultation opens, closes and shows its outcome. A translation (the Welsh page)
# is a page of its own with its own copy of them, but it is the same consultation: its copy
# follows its default-language page, so the Welsh form is open exactly while the English
# one is (docs/adr/0018). Copied onto the live translations when the English page is
# published (``consultations.translations.translations_schedule_follow``), and taken from
# the English page whenever a translation is built from a revision (``with_content_json``:
# publishing, scheduled publishing, the editor).
SCHEDULE_FIELDS = ("opens_at", "closes_at", "outcome_published_at")


def schedule_followed(source: dict[str, datetime | None], *, has_outcome: bool) -> dict:
    """A translation's schedule, from its source page's. Its outcome shows when the
    source's does, once it has an outcome of its own written: until then the source's
    outcome is the one shown and linked (``consultation_outcome_page``), and a page with
    an outcome date and no outcome would show an empty "you said, we did"."""
    followed = {name: source[name] for name in SCHEDULE_FIELDS}
    if not has_outcome:
        followed["outcome_published_at"] = None
    return followed


class ConsultationPageForm(WagtailAdminPageForm):
    """Officers may only file a consultation under a department they belong to. On a
    translation the schedule is the source page's, shown but not editable."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if user is not None and not user.is_superuser and "department" in self.fields:
            self.fields["department"].queryset = Department.objects.filter(
                pk__in=department_ids_for_user(user)
            )
        self.source_schedule = (
            self.instance.source_schedule() if isinstance(self.instance, ConsultationPage) else None
        )
        if self.source_schedule is not None:
            # The English page's as it is now: Wagtail edits a page with no unpublished
            # changes from its row, not from a revision (``with_content_json``).
            followed = schedule_followed(
                self.source_schedule, has_outcome=bool(self.instance.outcome)
            )
            for name in SCHEDULE_FIELDS:
                if name in self.fields:
                    self.initial[name] = followed[name]
                    self.fields[name].disabled = True
                    self.fields[name].help_text = (
                        "Follows the English page: change it there. Copied here whenever "
                        "either page is published."
                    )

    def clean(self):
        cleaned = super().clean()
        if self.source_schedule is not None:
            # Whatever the form was built from, the English page's schedule as it is now
            # (and no outcome date while this page has no outcome to show).
            cleaned.update(
                schedule_followed(self.source_schedule, has_outcome=bool(cleaned.get("outcome")))
            )
        return cleaned


class ConsultationPage(RoutablePageMixin, Page):
    """One consultation: what is proposed, when it is open, how to respond."""

    summary = models.TextField(
        max_length=500, help_text="One or two sentences shown in lists and link previews."
    )
    body = StreamField(ConsultationBodyBlock(), blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="consultations"
    )
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="consultations"
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    hashtag = models.CharField(
        max_length=100,
        blank=True,
        help_text="Without the #, e.g. CleanAirPlan: letters, digits and underscores, "
        "not starting with a digit",
    )
    outcome = StreamField(
        ConsultationBodyBlock(),
        blank=True,
        help_text='What you heard and what you will do ("you said, we did").',
    )
    outcome_published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the outcome is shown to the public; leave empty until it is ready.",
    )
    video_url = models.URLField(
        "Video link",
        max_length=500,
        blank=True,
        help_text="The department's video this consultation is announced on, where a "
        "network posts comments on videos. Leave empty to use the channel's video, or the "
        "first video in the body.",
    )
    auto_approve_responses = models.BooleanField(
        default=False,
        help_text="Publish new responses without waiting for a moderator, unless the "
        "abuse and profanity screen flags them.",
    )
    redact_private_mentions = models.BooleanField(
        "Remove @-mentions of private individuals",
        default=True,
        help_text="Replace @-mentions in published responses, except of the department's "
        "own accounts.",
    )

    base_form_class = ConsultationPageForm
    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("department"), FieldPanel("topic")]),
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("hashtag"),
                FieldPanel("video_url"),
            ],
            heading="Who and when",
        ),
        InlinePanel("questions", heading="Questions", label="Question"),
        # The ParentalKey lives in connectors.ConsultationChannel: channels belong to
        # that app, and it checks each one belongs to the page's department.
        InlinePanel(
            "cross_post_channels",
            heading="Cross-post to",
            label="Channel",
            help_text="The department's social media channels to announce this consultation on.",
        ),
        MultiFieldPanel(
            [FieldPanel("outcome_published_at"), FieldPanel("outcome")],
            heading="Outcome (you said, we did)",
            classname="collapsed",
        ),
        MultiFieldPanel(
            [FieldPanel("auto_approve_responses"), FieldPanel("redact_private_mentions")],
            heading="Moderation",
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.AutocompleteField("summary"),
        index.FilterField("department"),
        index.FilterField("topic"),
        index.FilterField("opens_at"),
        index.FilterField("closes_at"),
        # consultations_public() leaves out expired pages, in searches too.
        index.FilterField("expire_at"),
    ]
    parent_page_types = ["consultations.ConsultationIndexPage"]
    subpage_types: list[str] = []

    # --- Status ---------------------------------------------------------------

    def status_at(self, moment: datetime | None = None) -> ConsultationStatus:
        moment = moment or timezone.now()
        if moment < self.opens_at:
            return ConsultationStatus.UPCOMING
        if moment < self.closes_at:
            return ConsultationStatus.OPEN
        if self.outcome_published_at and moment >= self.outcome_published_at:
            return ConsultationStatus.OUTCOME_PUBLISHED
        return ConsultationStatus.CLOSED

    @property
    def status(self) -> ConsultationStatus:
        return self.status_at()

    @property
    def is_open(self) -> bool:
        return self.status == ConsultationStatus.OPEN

    @property
    def status_tag_class(self) -> str:
        return {
            ConsultationStatus.UPCOMING: "govuk-tag--blue",
            ConsultationStatus.OPEN: "govuk-tag--green",
            ConsultationStatus.CLOSED: "govuk-tag--grey",
            ConsultationStatus.OUTCOME_PUBLISHED: "govuk-tag--purple",
        }[self.status]

    @property
    def public_url(self) -> str:
        """The page's address on the public site (HUB_BASE_URL), for links that leave it:
        posts on the networks, the open-data API."""
        full_url = self.get_full_url() or self.url or ""
        path = urlsplit(full_url).path or "/"
        return urljoin(settings.HUB_BASE_URL.rstrip("/") + "/", path.lstrip("/"))

    @cached_property
    def source_consultation(self) -> ConsultationPage:
        """The consultation itself: its page in the default language, which the record,
        the channels and the open data refer to. A Welsh page is a translation of it.

        Kept on the instance: one page view asks for it several times (the expiry check,
        the announcements, the template), and a served page instance lives for one request."""
        if self.locale.language_code == default_language_code():
            return self
        source = (
            ConsultationPage.objects.filter(
                translation_key=self.translation_key,
                locale__language_code=default_language_code(),
            )
            .select_related("department", "topic")
            .first()
        )
        return source if source is not None else self

    @property
    def outcome_is_public(self) -> bool:
        return self.status == ConsultationStatus.OUTCOME_PUBLISHED

    # --- The schedule of a translation -----------------------------------------------

    def source_schedule(self) -> dict[str, datetime | None] | None:
        """The schedule of the default-language page this one translates; None for that
        page itself, or for a page in another language with no source."""
        return (
            ConsultationPage.objects.filter(
                translation_key=self.translation_key,
                locale__language_code=default_language_code(),
            )
            .exclude(pk=self.pk)
            .values(*SCHEDULE_FIELDS)
            .first()
        )

    def with_content_json(self, content):
        # Wagtail builds the page from a revision here to publish it (by hand, by workflow
        # or when scheduled) and to edit it: a translation's revision, saved before the
        # English dates moved, must not bring its old dates back.
        page = super().with_content_json(content)
        source = page.source_schedule()
        if source is not None:
            for name, value in schedule_followed(source, has_outcome=bool(page.outcome)).items():
                setattr(page, name, value)
        return page

    # --- Validation -------------------------------------------------------------

    def clean(self):
        super().clean()
        errors: dict[str, list[str]] = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors.setdefault("closes_at", []).append(
                "The closing date must be after the opening date."
            )
        if self.hashtag:
            self.hashtag = self.hashtag.lstrip("#")
            if not HASHTAG_PATTERN.match(self.hashtag):
                errors.setdefault("hashtag", []).append(
                    "Use only letters, digits and underscores, and do not start with a digit."
                )
            elif self.opens_at and self.closes_at:
                clash = self._open_hashtag_clash()
                if clash is not None:
                    errors.setdefault("hashtag", []).append(
                        f"#{self.hashtag} is already used by “{clash.title}”, which is open "
                        "at the same time; choose another hashtag."
                    )
        if self.video_url:
            for check in hooks.get_hooks(VIDEO_URL_CHECK_HOOK):
                error = check(self.video_url)
                if error:
                    errors.setdefault("video_url", []).append(error)
        if self.outcome_published_at and not self.outcome:
            errors.setdefault("outcome", []).append(
                "Write the outcome before setting when it is published."
            )
        if errors:
            raise ValidationError(errors)

    def _open_hashtag_clash(self) -> ConsultationPage | None:
        """Another consultation with this hashtag whose open window overlaps ours."""
        others = ConsultationPage.objects.filter(
            hashtag__iexact=self.hashtag,
            opens_at__lt=self.closes_at,
            closes_at__gt=max(self.opens_at, timezone.now()),
        )
        if self.pk:
            others = others.exclude(pk=self.pk)
        # Its own translations (the Welsh page) share the consultation's hashtag.
        return others.exclude(translation_key=self.translation_key).first()

    # --- Permissions ------------------------------------------------------------

    def permissions_for_user(self, user):
        return DepartmentPagePermissionTester(user, self)

    # --- Public pages --------------------------------------------------------------

    def is_expired_at(self, moment: datetime | None = None) -> bool:
        """Past its expiry date: no longer public, even before Wagtail's ``publish_scheduled``
        (run every minute by Celery beat) has unpublished it. A translation expires with its
        English page too: it is the same consultation, gone from the lists and the record's
        public pages once the English page expires (``consultations_public``)."""
        moment = moment or timezone.now()
        expiries = [self.expire_at]
        # The English page's, where this is a translation (none for the English page).
        source = self.source_consultation
        if source.pk != self.pk:
            expiries.append(source.expire_at)
        return any(expire_at is not None and expire_at <= moment for expire_at in expiries)

    def serve(self, request, *args, **kwargs):
        if self.is_expired_at():
            raise Http404("This consultation has expired.")
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["questions"] = list(self.questions.all())
        context.update(page_context_contributions(request, self))
        return context

    @path("respond/")
    def respond(self, request):
        return page_view("respond")(request, self)

    @path("respond/confirmation/")
    def respond_confirmation(self, request):
        return page_view("respond_confirmation")(request, self)

    def get_sitemap_urls(self, request=None):
        if self.is_expired_at():
            return []
        urls = super().get_sitemap_urls(request)
        for entry in urls:
            entry["changefreq"] = "daily" if self.is_open else "monthly"
        return urls


class QuestionKind(models.TextChoices):
    FREE_TEXT = "free_text", "Free text"
    SINGLE_CHOICE = "single_choice", "Single choice"
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    AGREEMENT_SCALE = "agreement_scale", "Agreement scale"


# Recorded in English whatever the page's language; shown translated (gettext at display).
AGREEMENT_SCALE = (
    gettext_noop("Strongly agree"),
    gettext_noop("Agree"),
    gettext_noop("Neither agree nor disagree"),
    gettext_noop("Disagree"),
    gettext_noop("Strongly disagree"),
)


class Question(TranslatableMixin, Orderable):
    """One question on a consultation, in the order the officer set.

    Translatable: a Welsh page's copy keeps the English question's ``translation_key``, so
    a Welsh answer is recorded against the English question (see ``source_question``)."""

    page = ParentalKey(ConsultationPage, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=300)
    help_text = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=QuestionKind, default=QuestionKind.FREE_TEXT)
    options = models.TextField(
        blank=True, help_text="For single and multiple choice: one option per line."
    )
    required = models.BooleanField(default=False)

    panels = [
        FieldPanel("text"),
        FieldPanel("help_text"),
        FieldRowPanel([FieldPanel("kind"), FieldPanel("required")]),
        FieldPanel("options"),
    ]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        pass

    def __str__(self) -> str:
        return self.text

    @property
    def choices(self) -> list[str]:
        if self.kind == QuestionKind.AGREEMENT_SCALE:
            return list(AGREEMENT_SCALE)
        if self.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
            return [line.strip() for line in self.options.splitlines() if line.strip()]
        return []

    def clean(self):
        super().clean()
        if self.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE):
            if len(self.choices) < 2:
                raise ValidationError({"options": "Give at least two options, one per line."})


class DepartmentApprovalTask(AbstractGroupApprovalTask):
    """Group approval, but only by approvers who belong to the page's department."""

    def _in_department(self, obj, user) -> bool:
        if user.is_superuser:
            return True
        department_id = getattr(getattr(obj, "specific", obj), "department_id", None)
        return department_id is None or department_id in department_ids_for_user(user)

    def user_can_access_editor(self, obj, user):
        return super().user_can_access_editor(obj, user) and self._in_department(obj, user)

    def locked_for_user(self, obj, user):
        return super().locked_for_user(obj, user) or not self._in_department(obj, user)

    def user_can_lock(self, obj, user):
        return super().user_can_lock(obj, user) and self._in_department(obj, user)

    def get_actions(self, obj, user):
        if not self._in_department(obj, user):
            return []
        return super().get_actions(obj, user)

    def get_task_states_user_can_moderate(self, user, **kwargs):
        states = super().get_task_states_user_can_moderate(user, **kwargs)
        if user.is_superuser:
            return states
        own_pages = ConsultationPage.objects.filter(
            department_id__in=department_ids_for_user(user)
        ).values_list("pk", flat=True)
        return states.filter(
            Q(workflow_state__object_id__in=[str(pk) for pk in own_pages])
            | ~Q(workflow_state__base_content_type__model="page")
        )

    @classmethod
    def get_description(cls):
        return "Members of the chosen groups who belong to the page's department approve it"

    class Meta:
        verbose_name = "Department approval task"
        verbose_name_plural = "Department approval tasks"


__all__ = [
    "AGREEMENT_SCALE",
    "ConsultationIndexPage",
    "ConsultationPage",
    "ConsultationStatus",
    "Department",
    "DepartmentApprovalTask",
    "default_language_code",
    "DepartmentMembership",
    "PrivacyNotice",
    "Question",
    "QuestionKind",
    "SCHEDULE_FIELDS",
    "Topic",
    "schedule_followed",
]
