"""The Atom feed of published outcomes: one entry per outcome, valid Atom (RFC 4287)."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree  # noqa: S405 - parsing our own feed output

import pytest
from django.utils import timezone
from wagtail.models import PageViewRestriction

from tests.factories.consultations import ConsultationPageFactory

FEED = "/consultations/feed/outcomes/"
ATOM = "http://www.w3.org/2005/Atom"
NS = {"atom": ATOM}
OUTCOME = [("rich_text", "<p>You said fewer lorries; we will close the school road at 8am.</p>")]


def _closed(title: str, *, outcome_at=None, live: bool = True, **fields):
    now = timezone.now()
    return ConsultationPageFactory(
        title=title,
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=30),
        outcome=OUTCOME if outcome_at else [],
        outcome_published_at=outcome_at,
        live=live,
        **fields,
    )


@pytest.fixture
def outcomes(index):
    now = timezone.now()
    return {
        "older": _closed("Older outcome", outcome_at=now - timedelta(days=10)),
        "newer": _closed("Newer outcome", outcome_at=now - timedelta(days=1)),
        "future": _closed("Outcome next week", outcome_at=now + timedelta(days=7)),
        "none": _closed("No outcome yet"),
        "draft": _closed("Draft outcome", outcome_at=now - timedelta(days=2), live=False),
        "private": _closed("Private outcome", outcome_at=now - timedelta(days=3)),
    }


def test_the_outcomes_feed_is_valid_atom_with_one_entry_per_published_outcome(client, outcomes):
    PageViewRestriction.objects.create(
        page=outcomes["private"], restriction_type=PageViewRestriction.LOGIN
    )

    answer = client.get(FEED)

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(answer.content)  # noqa: S314 - our own output
    assert feed.tag == f"{{{ATOM}}}feed"
    # RFC 4287 4.1.1: a feed has exactly one id, title and updated, and an author.
    for element in ("id", "title", "updated"):
        assert len(feed.findall(f"atom:{element}", NS)) == 1, element
        assert feed.findtext(f"atom:{element}", namespaces=NS).strip()
    assert feed.findtext("atom:author/atom:name", namespaces=NS)
    assert feed.find("atom:link[@rel='self']", NS).get("href") == f"http://testserver{FEED}"

    entries = feed.findall("atom:entry", NS)
    titles = [entry.findtext("atom:title", namespaces=NS) for entry in entries]
    assert titles == ["Outcome: Newer outcome", "Outcome: Older outcome"]
    ids = [entry.findtext("atom:id", namespaces=NS) for entry in entries]
    assert len(set(ids)) == len(ids)
    for entry, page in zip(entries, (outcomes["newer"], outcomes["older"]), strict=True):
        # RFC 4287 4.1.2: each entry has one id, title and updated, and an alternate link.
        for element in ("id", "title", "updated"):
            assert len(entry.findall(f"atom:{element}", NS)) == 1, element
        link = entry.find("atom:link[@rel='alternate']", NS)
        assert link.get("href") == f"http://testserver{page.url}#outcome"
        assert entry.findtext("atom:author/atom:name", namespaces=NS) == page.department.name
        assert entry.findtext("atom:published", namespaces=NS).startswith(
            page.outcome_published_at.strftime("%Y-%m-%d")
        )


def test_pages_link_to_the_outcomes_feed(client, outcomes):
    page = client.get(outcomes["newer"].url).text

    assert (
        '<link rel="alternate" type="application/atom+xml" '
        'title="Outcomes of consultations (Atom)" href="/consultations/feed/outcomes/">'
    ) in page
