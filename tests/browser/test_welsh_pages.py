"""Issue 16: every public page in Welsh, in real Chromium, passes axe-core with zero
violations, says lang="cy" and offers the switch to English."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from consultations.models import PrivacyNotice
from consultations.translations import privacy_notice_translation_create
from engagement.record.models import ModerationState, Response
from engagement.record.services import web_response_record
from tests.factories.consultations import consultation_with_questions, welsh_translation

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def welsh(live_server):
    from cms.management.commands.seed_demo import ensure_home_page

    ensure_home_page()
    english = consultation_with_questions(
        title="Quieter streets", summary="Should residential streets have a 20mph limit?"
    )
    page = welsh_translation(english)
    notice = PrivacyNotice.objects.create()
    privacy_notice_translation_create(notice=notice, language_code="cy")
    question = english.questions.get(text="How would this affect you?")
    response = web_response_record(
        consultation=english,
        answers={question.pk: "Bydde’n saffach i’r plant gerdded i’r ysgol."},
        consent_to_publish=True,
        language="cy",
    )
    Response.objects.filter(pk=response.pk).update(moderation_state=ModerationState.APPROVED)
    response.refresh_from_db()
    return page, response


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()


def _check(browser, live_server, path, axe_violations) -> list:
    browser.get(live_server.url + path)
    html = browser.find_element(By.TAG_NAME, "html")
    problems = []
    if html.get_attribute("lang") != "cy":
        problems.append(f"lang={html.get_attribute('lang')!r}")
    switch = browser.find_elements(By.CSS_SELECTOR, ".hub-language-switch a[hreflang='en-gb']")
    if not switch:
        problems.append("no switch to English")
    problems.extend(axe_violations(browser))
    return problems


def test_every_welsh_public_page_is_accessible(browser, live_server, welsh, axe_violations):
    page, response = welsh
    slug = "quieter-streets"
    paths = [
        "/cy/",
        "/cy/consultations/",
        f"/cy/consultations/{slug}/",
        f"/cy/consultations/{slug}/respond/",
        f"/cy/consultations/{slug}/summary/",
        f"/cy/consultations/{slug}/responses/",
        f"/cy/consultations/{slug}/responses/?q=plant",
        f"/cy/consultations/{slug}/responses/{response.reference}/",
        f"/cy/response-status/?reference={response.reference}",
        "/cy/response-status/",
        "/cy/privacy/",
        f"/cy/privacy/{page.department.slug}/",
        "/cy/search/?q=strydoedd",
        "/cy/no-such-page/",
    ]

    found = {path: _check(browser, live_server, path, axe_violations) for path in paths}

    assert {path: problems for path, problems in found.items() if problems} == {}


def test_welsh_form_with_errors_and_confirmation_are_accessible(
    browser, live_server, welsh, axe_violations
):
    browser.get(live_server.url + "/cy/consultations/quieter-streets/respond/")
    browser.find_element(By.CSS_SELECTOR, "button.govuk-button[type=submit]").click()
    # The click returns before the answer has loaded: wait for it.
    WebDriverWait(browser, 15).until(
        lambda b: b.find_elements(By.CLASS_NAME, "govuk-error-summary")
    )

    assert "Mae problem wedi codi" in browser.page_source
    assert axe_violations(browser) == []

    browser.find_element(By.CSS_SELECTOR, "textarea").send_keys("Syniad da iawn.")
    browser.find_element(By.CSS_SELECTOR, "button.govuk-button[type=submit]").click()
    WebDriverWait(browser, 15).until(
        lambda b: b.find_elements(By.CLASS_NAME, "govuk-panel--confirmation")
    )

    assert "Ymateb wedi’i anfon" in browser.page_source
    assert axe_violations(browser) == []


def test_untranslated_consultation_in_welsh_site_listing_is_accessible(
    browser, live_server, welsh, axe_violations
):
    consultation_with_questions(title="Bus lanes")

    assert _check(browser, live_server, "/cy/consultations/", axe_violations) == []
