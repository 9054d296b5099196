"""RSS and Atom feeds of published consultations, served by the index page."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.utils import dateformat, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from wagtail.models import Locale

from consultations.selectors import consultation_translation, consultations_public

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
        return f"{self.index_page.title} – {self.index_page.get_site().site_name or 'Consultation hub'}"

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
            name for name in (item.department.name, item.topic.name if item.topic else "") if name
        ]


class ConsultationsAtomFeed(ConsultationsRssFeed):
    feed_type = Atom1Feed

    def subtitle(self):
        return self.description()


def rss_feed(request, index_page):
    return ConsultationsRssFeed(index_page)(request)


def atom_feed(request, index_page):
    return ConsultationsAtomFeed(index_page)(request)
