from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    """The site's front page: what the hub is for, and where to start."""

    introduction = models.TextField(
        blank=True, help_text="A sentence or two under the heading, in plain English."
    )
    body = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
        index.AutocompleteField("introduction"),
    ]
    max_count = 1
    template = "home/home_page.html"
