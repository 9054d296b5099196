"""Issue 14: the uncached consultation page asks the database a fixed, small number of
questions, in English and in Welsh; the shortcuts that keep it small (the index routing to
its consultation in one query, the English source looked up once) serve nothing the full
routing would not."""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import PageViewRestriction

from consultations.models import ConsultationPage
from tests.factories.consultations import (
    ConsultationPageFactory,
    TopicFactory,
    consultation_with_questions,
    welsh_translation,
)

ENGLISH_PAGE = "/consultations/quieter-streets/"
WELSH_PAGE = "/cy/consultations/quieter-streets/"

# The site with its root page, the active locale, the home page's specific row, the index
# (generic, then specific), the consultation with its locale, department and topic, Wagtail's
# two view-restriction queries, the questions, the announcements, the language switch's
# translations. (Before issue 14's work: 16, and 20 in Welsh.)
ENGLISH_QUERIES = 11
# And the Welsh home page for the site's root, the English source (once), and the
# announcements' check for Welsh ones.
WELSH_QUERIES = 14


@pytest.fixture
def consultation(index):
    return consultation_with_questions(title="Quieter streets", topic=TopicFactory(name="Roads"))


@pytest.fixture
def welsh(consultation):
    return welsh_translation(consultation)


def test_english_consultation_page_query_count(client, welsh, django_assert_num_queries):
    client.get(ENGLISH_PAGE)  # Wagtail keeps the site's root paths in the cache
    with django_assert_num_queries(ENGLISH_QUERIES):
        response = client.get(ENGLISH_PAGE)
    assert response.status_code == 200
    assert "Quieter streets" in response.text
    assert "How do you travel?" in response.text
    assert 'hreflang="cy"' in response.text


def test_welsh_consultation_page_query_count(client, welsh, django_assert_num_queries):
    client.get(WELSH_PAGE)
    with django_assert_num_queries(WELSH_QUERIES):
        response = client.get(WELSH_PAGE)
    assert response.status_code == 200
    assert "Strydoedd tawelach" in response.text
    assert "Sut rydych chi’n teithio?" in response.text
    # Its links to the record name the English consultation's slug.
    assert f"/consultations/{welsh.source_consultation.slug}/summary/" in response.text


def test_breadcrumbs_and_department_come_from_the_one_routing_query(client, consultation):
    response = client.get(ENGLISH_PAGE)

    assert 'class="govuk-breadcrumbs__link" href="/consultations/"' in response.text
    assert 'class="govuk-breadcrumbs__link" href="/"' in response.text
    assert consultation.department.name in response.text


def test_the_index_own_routes_win_over_a_consultation_of_the_same_slug(client, index):
    ConsultationPageFactory(title="Feed", slug="feed")

    response = client.get("/consultations/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")


def test_unpublished_consultation_is_not_served(client, consultation):
    consultation.unpublish()

    assert client.get(ENGLISH_PAGE).status_code == 404
    assert client.get(ENGLISH_PAGE + "respond/").status_code == 404


def test_unpublished_changes_are_not_served(client, consultation):
    consultation.title = "Secret draft title"
    consultation.save_revision()

    response = client.get(ENGLISH_PAGE)

    assert response.status_code == 200
    assert "Secret draft title" not in response.text
    assert "Quieter streets" in response.text


@pytest.mark.parametrize("restricted", ["consultation", "index"])
def test_private_consultation_content_is_not_served(client, consultation, index, restricted):
    page = consultation if restricted == "consultation" else index
    PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="hunter2"
    )

    response = client.get(ENGLISH_PAGE)

    assert "How do you travel?" not in response.text
    assert "password" in response.text.lower()


def test_welsh_page_expires_with_its_english_page(client, welsh, consultation):
    ConsultationPage.objects.filter(pk=consultation.pk).update(
        expire_at=timezone.now() - timedelta(minutes=1)
    )

    assert client.get(WELSH_PAGE).status_code == 404
    assert client.get(ENGLISH_PAGE).status_code == 404


def test_source_consultation_is_looked_up_once_per_instance(welsh, django_assert_num_queries):
    page = ConsultationPage.objects.select_related("locale").get(pk=welsh.pk)
    with django_assert_num_queries(1):
        source = page.source_consultation
        assert page.source_consultation is source
        assert not page.is_expired_at()
    assert source.locale.language_code == "en-gb"
