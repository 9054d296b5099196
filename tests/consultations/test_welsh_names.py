"""Issue 16: departments and topics named in Welsh on the Welsh pages, in English elsewhere."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from consultations.models import ConsultationPage, Department, Topic
from tests.factories.consultations import (
    DepartmentFactory,
    TopicFactory,
    consultation_with_questions,
    welsh_translation,
)

ENGLISH_PAGE = "/consultations/quieter-streets/"
WELSH_PAGE = "/cy/consultations/quieter-streets/"


@pytest.fixture
def named(index):
    department = DepartmentFactory(
        name="Department for Clean Air", name_cy="Adran Aer Glân", slug="clean-air"
    )
    topic = TopicFactory(name="Environment", name_cy="Amgylchedd", slug="environment")
    page = consultation_with_questions(title="Quieter streets", department=department, topic=topic)
    welsh_translation(page)
    return page


def _options(text: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', text, re.S)
    assert select, f"no {name} filter"
    return re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]+)</option>", select[0])


def test_welsh_consultation_page_names_department_and_topic_in_welsh(client, named):
    response = client.get(WELSH_PAGE)

    assert response.status_code == 200
    assert "Adran Aer Glân" in response.text
    assert "Amgylchedd" in response.text
    assert "Department for Clean Air" not in response.text
    assert "Environment" not in response.text


def test_welsh_list_names_department_and_topic_in_welsh_and_filters_by_them(client, named):
    response = client.get("/cy/consultations/")

    assert response.status_code == 200
    assert "Adran Aer Glân · Amgylchedd" in response.text
    assert _options(response.text, "department") == ["Adran Aer Glân"]
    assert _options(response.text, "topic") == ["Amgylchedd"]
    assert "Department for Clean Air" not in response.text
    assert "Environment" not in response.text

    filtered = client.get("/cy/consultations/", {"department": "clean-air"})
    assert "Strydoedd tawelach" in filtered.text


def test_english_pages_keep_the_english_names(client, named):
    page = client.get(ENGLISH_PAGE)
    listing = client.get("/consultations/")

    for response in (page, listing):
        assert response.status_code == 200
        assert "Department for Clean Air" in response.text
        assert "Environment" in response.text
        assert "Adran Aer Glân" not in response.text
        assert "Amgylchedd" not in response.text
    assert _options(listing.text, "department") == ["Department for Clean Air"]


def test_department_and_topic_without_welsh_names_fall_back_to_english_on_cy(client, named):
    Department.objects.filter(slug="clean-air").update(name_cy="")
    Topic.objects.filter(slug="environment").update(name_cy="")

    page = client.get(WELSH_PAGE)
    listing = client.get("/cy/consultations/")

    for response in (page, listing):
        assert response.status_code == 200
        assert "Department for Clean Air" in response.text
        assert "Environment" in response.text
    assert _options(listing.text, "department") == ["Department for Clean Air"]


def test_welsh_feeds_categorise_and_credit_in_welsh(client, named):
    welsh = client.get("/cy/consultations/feed/").content.decode()
    english = client.get("/consultations/feed/").content.decode()

    assert "<category>Adran Aer Glân</category>" in welsh
    assert "<category>Amgylchedd</category>" in welsh
    assert "Department for Clean Air" not in welsh
    assert "<category>Department for Clean Air</category>" in english
    assert "Adran" not in english


def test_welsh_responses_and_summary_pages_name_the_department_in_welsh(client, named):
    for path in (WELSH_PAGE + "responses/", WELSH_PAGE + "summary/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Adran Aer Glân" in response.text, path
        assert "Department for Clean Air" not in response.text, path


def test_api_keeps_the_english_department_name(client, named):
    response = client.get("/api/v1/consultations/")

    assert response.status_code == 200
    assert response.json()["results"][0]["department"] == {
        "name": "Department for Clean Air",
        "slug": "clean-air",
    }


@pytest.mark.django_db
def test_seed_demo_gives_existing_rows_welsh_names_and_keeps_an_editors_own(client):
    # As a database seeded before the Welsh names existed would have them.
    Department.objects.create(name="Department for Clean Air", slug="clean-air")
    Topic.objects.create(name="Environment", slug="environment", name_cy="Yr amgylchedd")

    call_command("seed_demo", "--no-analysis", stdout=io.StringIO(), stderr=io.StringIO())

    assert Department.objects.get(slug="clean-air").name_cy == "Adran Aer Glân"
    assert Topic.objects.get(slug="environment").name_cy == "Yr amgylchedd"
    welsh = ConsultationPage.objects.get(locale__language_code="cy")
    response = client.get(welsh.url)
    assert response.status_code == 200
    assert "Adran Aer Glân" in response.text
    assert "Yr amgylchedd" in response.text
