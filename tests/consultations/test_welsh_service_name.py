"""The service's name follows the page's language: the deployment's Welsh name
(``HUB_SITE_NAME_CY``) in the <title> and the GOV.UK header of every Welsh public page and
in the Welsh feeds, the English name (``HUB_SITE_NAME``) on the English ones."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from consultations.models import PrivacyNotice
from consultations.translations import privacy_notice_translation_create
from engagement.record.models import ModerationState, Response
from engagement.record.services import web_response_record
from tests.factories.consultations import welsh_translation

SLUG = "quieter-streets"
ENGLISH_NAME = "Consultation hub"
WELSH_NAME = "Hyb ymgynghori Sir Gâr"


@pytest.fixture
def published(open_consultation, settings):
    # A deployment's own Welsh name: not the embedded default, so the page cannot be
    # showing a string from the catalogue.
    settings.HUB_SITE_NAME_CY = WELSH_NAME
    settings.WAGTAIL_SITE_NAME = ENGLISH_NAME
    cache.clear()
    welsh_translation(open_consultation)
    privacy_notice_translation_create(notice=PrivacyNotice.objects.create(), language_code="cy")
    question = open_consultation.questions.get(kind="free_text")
    response = web_response_record(
        consultation=open_consultation,
        answers={question.pk: "Bydde’n saffach i’r plant gerdded i’r ysgol."},
        consent_to_publish=True,
        language="cy",
    )
    Response.objects.filter(pk=response.pk).update(moderation_state=ModerationState.APPROVED)
    return open_consultation, response


def _paths(consultation, response) -> list[str]:
    return [
        "/",
        "/consultations/",
        f"/consultations/{SLUG}/",
        f"/consultations/{SLUG}/respond/",
        f"/consultations/{SLUG}/summary/",
        f"/consultations/{SLUG}/responses/",
        f"/consultations/{SLUG}/responses/?q=plant",
        f"/consultations/{SLUG}/responses/{response.reference}/",
        f"/response-status/?reference={response.reference}",
        "/response-status/",
        "/privacy/",
        f"/privacy/{consultation.department.slug}/",
        "/search/?q=strydoedd",
        "/no-such-page/",
    ]


def _title(text: str) -> str:
    found = re.search(r"<title>(.*?)</title>", text, re.S)
    assert found, "no <title>"
    return " ".join(found.group(1).split())


def _header_name(text: str) -> str:
    found = re.search(r'class="govuk-service-navigation__link">([^<]*)</a>', text)
    assert found, "no service name in the header"
    return found.group(1).strip()


@pytest.mark.parametrize(
    ("prefix", "name", "other"), [("/cy", WELSH_NAME, ENGLISH_NAME), ("", ENGLISH_NAME, WELSH_NAME)]
)
def test_every_public_page_names_the_service_in_its_language(
    client, published, prefix, name, other
):
    consultation, response = published
    wrong = []
    for path in _paths(consultation, response):
        page = client.get(prefix + path)
        assert page.status_code in (200, 404), (path, page.status_code)
        text = page.content.decode()
        title, header = _title(text), _header_name(text)
        if not title.endswith(f"– {name}") or header != name or other in text:
            wrong.append((prefix + path, title, header))
    assert wrong == []


def test_the_welsh_feeds_carry_the_welsh_name_and_the_english_ones_the_sites(client, published):
    welsh_outcomes = client.get("/cy/consultations/feed/outcomes/").content.decode()
    welsh_list = client.get("/cy/consultations/feed/").content.decode()
    english_list = client.get("/consultations/feed/").content.decode()

    assert f"<name>{WELSH_NAME}</name>" in welsh_outcomes
    assert ENGLISH_NAME not in welsh_outcomes
    assert WELSH_NAME in welsh_list and ENGLISH_NAME not in welsh_list
    assert WELSH_NAME not in english_list
