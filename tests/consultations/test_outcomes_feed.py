"""The Atom feed of published outcomes: one entry per outcome, valid Atom (RFC 4287)."""

from __future__ import annotations

from datetime import timedelta
from xml.etree import ElementTree  # noqa: S405 - parsing our own feed output

import pytest
from django.utils import timezone
from wagtail.models import PageViewRestriction

from tests.factories.consultations import ConsultationPageFactory, welsh_translation

FEED = "/consultations/feed/outcomes/"
WELSH_FEED = "/cy/consultations/feed/outcomes/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
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


def _valid_atom(answer) -> ElementTree.Element:
    """The feed parsed, with RFC 4287's required elements (4.1.1, 4.1.2) checked."""
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(answer.content)  # noqa: S314 - our own output
    assert feed.tag == f"{{{ATOM}}}feed"
    for element in ("id", "title", "updated"):
        assert len(feed.findall(f"atom:{element}", NS)) == 1, element
        assert feed.findtext(f"atom:{element}", namespaces=NS).strip()
    assert feed.findtext("atom:author/atom:name", namespaces=NS)
    for entry in feed.findall("atom:entry", NS):
        for element in ("id", "title", "updated"):
            assert len(entry.findall(f"atom:{element}", NS)) == 1, element
            assert entry.findtext(f"atom:{element}", namespaces=NS).strip()
        assert entry.find("atom:link[@rel='alternate']", NS) is not None
    return feed


def test_the_welsh_index_has_a_welsh_outcomes_feed_linking_the_welsh_pages(client, outcomes):
    welsh = welsh_translation(outcomes["newer"], title="Canlyniad mwy newydd")
    PageViewRestriction.objects.create(
        page=outcomes["private"], restriction_type=PageViewRestriction.LOGIN
    )

    feed = _valid_atom(client.get(WELSH_FEED))

    assert feed.get(XML_LANG) == "cy"
    assert feed.findtext("atom:title", namespaces=NS).startswith("Canlyniadau – ")
    assert feed.find("atom:link[@rel='self']", NS).get("href") == f"http://testserver{WELSH_FEED}"
    entries = feed.findall("atom:entry", NS)
    assert [entry.findtext("atom:title", namespaces=NS) for entry in entries] == [
        "Canlyniad: Canlyniad mwy newydd",
        # Not translated: the Welsh feed still lists it, on its English page.
        "Canlyniad: Older outcome",
    ]
    links = [entry.find("atom:link[@rel='alternate']", NS).get("href") for entry in entries]
    assert links == [
        f"http://testserver{welsh.url}#outcome",
        f"http://testserver{outcomes['older'].url}#outcome",
    ]
    assert welsh.url.startswith("/cy/consultations/")
    ids = [entry.findtext("atom:id", namespaces=NS) for entry in entries]
    assert len(set(ids)) == 2
    # The entry's link shows the outcome it announces.
    assert 'id="outcome"' in client.get(welsh.url).text


def test_the_welsh_feed_links_the_english_outcome_until_the_welsh_one_is_published(
    client, outcomes
):
    welsh_translation(
        outcomes["newer"], title="Canlyniad mwy newydd", outcome=[], outcome_published_at=None
    )

    feed = _valid_atom(client.get(WELSH_FEED))

    links = [
        entry.find("atom:link[@rel='alternate']", NS).get("href")
        for entry in feed.findall("atom:entry", NS)
    ]
    assert links[0] == f"http://testserver{outcomes['newer'].url}#outcome"


def test_welsh_pages_link_to_the_welsh_outcomes_feed(client, outcomes):
    welsh = welsh_translation(outcomes["newer"])

    page = client.get(welsh.url).text

    assert (
        '<link rel="alternate" type="application/atom+xml" '
        f'title="Canlyniadau ymgynghoriadau (Atom)" href="{WELSH_FEED}">'
    ) in page
