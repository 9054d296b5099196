"""RSS and Atom feeds of published consultations, served by the index page."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from consultations.selectors import consultations_public

FEED_SIZE = 50


class ConsultationsRssFeed(Feed):
    def __init__(self, index_page):
        super().__init__()
        self.index_page = index_page

    def __call__(self, request, *args, **kwargs):
        self.request = request
        return super().__call__(request, *args, **kwargs)

    def title(self):
        return f"{self.index_page.title} – {self.index_page.get_site().site_name or 'Consultation hub'}"

    def link(self):
        return self.index_page.url

    def description(self):
        return self.index_page.introduction or "New and updated consultations."

    def items(self):
        return list(consultations_public().child_of(self.index_page)[:FEED_SIZE])

    def item_title(self, item):
        return f"{item.title} ({item.status.label})"

    def item_description(self, item):
        closes = item.closes_at.strftime("%-d %B %Y")
        return f"{item.summary} Open {item.opens_at.strftime('%-d %B %Y')} to {closes}."

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
