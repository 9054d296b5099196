from datetime import timedelta
from xml.etree import ElementTree  # noqa: S405 - parsing our own feed output

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from tests.factories.consultations import (
    ConsultationPageFactory,
    DepartmentFactory,
    TopicFactory,
    consultation_with_questions,
)


@pytest.fixture
def mixed(index):
    now = timezone.now()
    transport = DepartmentFactory(name="Department for Transport", slug="transport")
    health = DepartmentFactory(name="Department of Health", slug="health")
    roads = TopicFactory(name="Roads", slug="roads")
    return {
        "open": ConsultationPageFactory(title="Open roads", department=transport, topic=roads),
        "upcoming": ConsultationPageFactory(
            title="Upcoming clinics",
            department=health,
            opens_at=now + timedelta(days=3),
            closes_at=now + timedelta(days=30),
        ),
        "closed": ConsultationPageFactory(
            title="Closed bridges",
            department=transport,
            opens_at=now - timedelta(days=30),
            closes_at=now - timedelta(days=1),
        ),
        "draft": ConsultationPageFactory(title="Draft secret", department=health, live=False),
    }


def test_index_lists_published_consultations_with_status_tags(client, mixed):
    response = client.get("/consultations/")

    assert response.status_code == 200
    for title in ("Open roads", "Upcoming clinics", "Closed bridges"):
        assert title in response.text
    assert "Draft secret" not in response.text
    assert 'govuk-tag govuk-tag--green">Open' in response.text
    assert 'govuk-tag govuk-tag--blue">Upcoming' in response.text
    assert "3 consultations" in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", {"Open roads"}),
        ("status=upcoming", {"Upcoming clinics"}),
        ("status=closed", {"Closed bridges"}),
        ("department=transport", {"Open roads", "Closed bridges"}),
        ("department=health", {"Upcoming clinics"}),
        ("topic=roads", {"Open roads"}),
        ("department=transport&status=closed", {"Closed bridges"}),
        ("status=bogus", {"Open roads", "Upcoming clinics", "Closed bridges"}),
    ],
)
def test_index_filters(client, mixed, query, expected):
    response = client.get(f"/consultations/?{query}")

    shown = {page.title for page in response.context["consultations"]}
    assert shown == expected


def test_index_paginates_ten_at_a_time_keeping_filters(client, index):
    department = DepartmentFactory(slug="transport")
    for number in range(12):
        ConsultationPageFactory(title=f"Consultation {number:02d}", department=department)

    first = client.get("/consultations/?department=transport")
    second = client.get("/consultations/?department=transport&page=2")

    assert len(first.context["consultations"]) == 10
    assert len(second.context["consultations"]) == 2
    assert 'href="?department=transport&amp;page=2"' in first.text
    assert 'class="govuk-pagination"' in first.text
    assert "12 consultations" in first.text


def test_consultation_page_shows_dates_status_questions_and_how_to_respond(client, index):
    page = consultation_with_questions(title="Quieter streets", hashtag="QuieterStreets")

    response = client.get("/consultations/quieter-streets/")

    assert response.status_code == 200
    assert "Quieter streets" in response.text
    assert page.department.name in response.text
    assert 'govuk-tag govuk-tag--green">Open' in response.text
    assert timezone.localtime(page.closes_at).strftime("%-d %B %Y") in response.text
    assert "#QuieterStreets" in response.text
    for question in page.questions.all():
        assert question.text in response.text
    assert "How to respond" in response.text
    assert 'href="/consultations/quieter-streets/respond/"' in response.text


def test_closed_consultation_page_does_not_offer_the_form(client, index):
    ConsultationPageFactory(
        title="Quieter streets",
        opens_at=timezone.now() - timedelta(days=20),
        closes_at=timezone.now() - timedelta(days=1),
    )

    response = client.get("/consultations/quieter-streets/")

    assert "You can no longer respond" in response.text
    assert "respond/" not in response.text


def test_draft_consultation_is_not_served(client, index):
    ConsultationPageFactory(title="Quieter streets", live=False)

    assert client.get("/consultations/quieter-streets/").status_code == 404
    assert client.get("/consultations/quieter-streets/respond/").status_code == 404


def test_social_links_render_delivered_posts_and_nothing_without_them(index):
    page = ConsultationPageFactory(title="Quieter streets")

    assert "Reply on" not in render_to_string(
        "consultations/includes/social_links.html", {"page": page}
    )
    delivered_posts = [
        {"url": "https://social.example/@dft/1", "network_label": "Mastodon"},
    ]
    html = render_to_string(
        "consultations/includes/social_links.html",
        {"page": page, "delivered_posts": delivered_posts},
    )
    assert 'href="https://social.example/@dft/1"' in html
    assert "Reply on Mastodon" in html


def test_link_preview_meta_tags(client, index):
    ConsultationPageFactory(title="Quieter streets", summary="Should streets be 20mph?")

    response = client.get("/consultations/quieter-streets/")

    assert '<meta property="og:title" content="Quieter streets">' in response.text
    assert '<meta property="og:description" content="Should streets be 20mph?">' in response.text
    assert '<meta property="og:type" content="article">' in response.text
    assert (
        '<meta property="og:url" content="http://testserver/consultations/quieter-streets/">'
        in response.text
    )
    assert '<meta name="twitter:card" content="summary">' in response.text


def test_rss_and_atom_feeds_list_published_consultations(client, mixed):
    rss = client.get("/consultations/feed/")
    atom = client.get("/consultations/feed/atom/")

    assert rss.status_code == 200
    assert rss["Content-Type"].startswith("application/rss+xml")
    rss_tree = ElementTree.fromstring(rss.content)  # noqa: S314 - our own output
    titles = [item.findtext("title") for item in rss_tree.iter("item")]
    assert "Open roads (Open)" in titles
    assert "Closed bridges (Closed)" in titles
    assert not any("Draft secret" in title for title in titles)
    assert atom["Content-Type"].startswith("application/atom+xml")
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    atom_tree = ElementTree.fromstring(atom.content)  # noqa: S314 - our own output
    links = [link.get("href") for link in atom_tree.findall("atom:entry/atom:link", ns)]
    assert "http://testserver/consultations/open-roads/" in links


def test_sitemap_lists_published_consultations(client, mixed):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    # Absolute URLs from the Site record (hostname "localhost" in the test site).
    assert "/consultations/open-roads/</loc>" in response.text
    assert "/consultations/upcoming-clinics/</loc>" in response.text
    assert "/consultations/</loc>" in response.text
    assert "draft-secret" not in response.text
