"""Departments and the consultation pages they publish."""

from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class Department(models.Model):
    """A government department or public body that runs consultations."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ConsultationIndexPage(Page):
    """The list of consultations, at /consultations/."""

    introduction = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    subpage_types = ["consultations.ConsultationPage"]
    max_count = 1


class ConsultationStatus(models.TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ConsultationPage(Page):
    """One consultation: what is proposed, when it is open, how to respond."""

    summary = models.TextField(help_text="One or two sentences shown in lists and link previews.")
    body = RichTextField(blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="consultations"
    )
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    hashtag = models.CharField(
        max_length=100, blank=True, help_text="Without the #, e.g. CleanAirPlan"
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("department"), FieldPanel("opens_at"), FieldPanel("closes_at")],
            heading="Who and when",
        ),
        FieldPanel("hashtag"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.AutocompleteField("summary"),
        index.FilterField("department"),
        index.FilterField("closes_at"),
    ]
    parent_page_types = ["consultations.ConsultationIndexPage"]
    subpage_types: list[str] = []

    def status_at(self, moment=None) -> ConsultationStatus:
        moment = moment or timezone.now()
        if moment < self.opens_at:
            return ConsultationStatus.UPCOMING
        if moment < self.closes_at:
            return ConsultationStatus.OPEN
        return ConsultationStatus.CLOSED

    @property
    def status(self) -> ConsultationStatus:
        return self.status_at()
