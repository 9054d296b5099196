"""RSS and Atom feeds of published consultations, and an Atom feed of their published
outcomes, served by the index page."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from consultations.models import ConsultationStatus
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


class OutcomesAtomFeed(ConsultationsAtomFeed):
    """One entry per published outcome ("you said, we did"), newest first: only live public
    consultations whose ``outcome_published_at`` has come."""

    def title(self):
        return f"Outcomes – {self.index_page.get_site().site_name or 'Consultation hub'}"

    def subtitle(self):
        return "What each consultation heard and what will be done, as each is published."

    def link(self):
        return self.index_page.url + self.index_page.reverse_subpage("outcomes_feed")

    # RFC 4287: a feed names an author unless every entry does; every entry does (its
    # department), and the feed names the hub as well for readers that want one.
    def author_name(self):
        return self.index_page.get_site().site_name or "Consultation hub"

    def items(self):
        return list(
            consultations_public(status=ConsultationStatus.OUTCOME_PUBLISHED)
            .child_of(self.index_page)
            .order_by("-outcome_published_at", "pk")[:FEED_SIZE]
        )

    def item_title(self, item):
        return f"Outcome: {item.title}"

    def item_description(self, item):
        return f"{item.summary} Read what was heard and what will be done."

    def item_link(self, item):
        return item.url + "#outcome"

    def item_guid(self, item):
        # One id per consultation's outcome, stable however often the page is edited.
        return self._full_url(item.url) + "#outcome"

    def item_guid_is_permalink(self, item):
        return False

    def item_author_name(self, item):
        return item.department.name

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
