"""RSS and Atom feeds of published consultations, and an Atom feed of their published
outcomes, served by the index page."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.utils import dateformat, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from wagtail.models import Locale

from consultations.models import ConsultationStatus
from consultations.selectors import (
    consultation_outcome_page,
    consultation_translation,
    consultations_public,
)
from consultations.service_name import service_name

FEED_SIZE = 50


class ConsultationsRssFeed(Feed):
    def __init__(self, index_page):
        super().__init__()
        self.index_page = index_page

    def __call__(self, request, *args, **kwargs):
        self.request = request
        # The feed speaks its index page's language (the <language> element too).
        self.language = self.index_page.locale.language_code
        with translation.override(self.language):
            return super().__call__(request, *args, **kwargs)

    def title(self):
        return f"{self.index_page.title} – {self.site_name()}"

    def site_name(self) -> str:
        # The site's own name in English (editors may set it in Settings → Sites), the
        # deployment's Welsh name in Welsh (the feed's language is active here).
        if (self.language or "").split("-")[0] == "cy":
            return service_name()
        return self.index_page.get_site().site_name or service_name()

    def link(self):
        return self.index_page.url

    def description(self):
        return self.index_page.introduction or gettext("New and updated consultations.")

    def items(self):
        # The consultations are the default language's pages; each shown in the feed's
        # language where it has been translated.
        source = self.index_page.get_translation_or_none(Locale.get_default()) or self.index_page
        consultations = list(consultations_public().child_of(source)[:FEED_SIZE])
        if source.pk == self.index_page.pk:
            return consultations
        return [consultation_translation(c, language_code=self.language) for c in consultations]

    def item_title(self, item):
        return f"{item.title} ({item.status.label})"

    def item_description(self, item):
        return gettext("%(summary)s Open %(opens)s to %(closes)s.") % {
            "summary": item.summary,
            "opens": dateformat.format(item.opens_at, "j F Y"),
            "closes": dateformat.format(item.closes_at, "j F Y"),
        }

    def item_link(self, item):
        return item.url

    def item_pubdate(self, item):
        return item.first_published_at or item.opens_at

    def item_updateddate(self, item):
        return item.last_published_at or item.opens_at

    def item_categories(self, item):
        return [
            name
            for name in (
                item.department.display_name,
                item.topic.display_name if item.topic else "",
            )
            if name
        ]


class ConsultationsAtomFeed(ConsultationsRssFeed):
    feed_type = Atom1Feed

    def subtitle(self):
        return self.description()


class OutcomesAtomFeed(ConsultationsAtomFeed):
    """One entry per published outcome ("you said, we did"), newest first: only live public
    consultations whose ``outcome_published_at`` has come."""

    def title(self):
        return gettext("Outcomes – %(site_name)s") % {"site_name": self.site_name()}

    def subtitle(self):
        return gettext("What each consultation heard and what will be done, as each is published.")

    def link(self):
        return self.index_page.url + self.index_page.reverse_subpage("outcomes_feed")

    # RFC 4287: a feed names an author unless every entry does; every entry does (its
    # department), and the feed names the hub as well for readers that want one.
    def author_name(self):
        return self.site_name()

    def items(self):
        # The consultations are the default language's pages (their outcome is what is
        # published); each entry is the feed's language's page where that shows the outcome.
        source = self.index_page.get_translation_or_none(Locale.get_default()) or self.index_page
        consultations = list(
            consultations_public(status=ConsultationStatus.OUTCOME_PUBLISHED)
            .child_of(source)
            .order_by("-outcome_published_at", "pk")[:FEED_SIZE]
        )
        if source.pk == self.index_page.pk:
            return consultations
        return [consultation_outcome_page(c, language_code=self.language) for c in consultations]

    def item_title(self, item):
        return gettext("Outcome: %(title)s") % {"title": item.title}

    def item_description(self, item):
        return gettext("%(summary)s Read what was heard and what will be done.") % {
            "summary": item.summary
        }

    def item_link(self, item):
        return item.url + "#outcome"

    def item_guid(self, item):
        # One id per consultation's outcome, stable however often the page is edited.
        return self._full_url(item.url) + "#outcome"

    def item_guid_is_permalink(self, item):
        return False

    def item_author_name(self, item):
        return item.department.display_name

    def item_pubdate(self, item):
        return item.outcome_published_at

    def item_updateddate(self, item):
        return max(item.outcome_published_at, item.last_published_at or item.outcome_published_at)

    def _full_url(self, path):
        return self.request.build_absolute_uri(path)


def rss_feed(request, index_page):
    return ConsultationsRssFeed(index_page)(request)


def atom_feed(request, index_page):
    return ConsultationsAtomFeed(index_page)(request)


def outcomes_feed(request, index_page):
    return OutcomesAtomFeed(index_page)(request)
