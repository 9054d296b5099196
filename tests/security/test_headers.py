"""Security headers on every page: a Content-Security-Policy (scripts by nonce on public
pages), Referrer-Policy, X-Content-Type-Options, Permissions-Policy and
Cross-Origin-Opener-Policy; and the pages still work under the policy in a real browser."""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from tests.factories.consultations import UserFactory, consultation_with_questions

PAGES = ["/", "/consultations/", "/consultations/quieter-streets/", "/search/?q=streets"]


@pytest.fixture
def consultation(home_page):
    return consultation_with_questions(title="Quieter streets")


@pytest.mark.django_db
@pytest.mark.parametrize("path", [*PAGES, "/admin/login/", "/api/v1/consultations/", "/healthz"])
def test_every_page_carries_the_security_headers(client, consultation, path):
    answer = client.get(path)

    assert answer.status_code in (200, 503)
    policy = answer["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert answer["Referrer-Policy"] == "same-origin"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert answer["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in answer["Permissions-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_public_pages_run_inline_scripts_only_by_their_nonce(client, consultation, path):
    answer = client.get(path)
    policy = answer["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)

    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", answer.content.decode())
    assert inline_scripts, "the page has inline scripts to check"
    for attributes in inline_scripts:
        assert f'nonce="{nonce}"' in attributes
    assert client.get(path)["Content-Security-Policy"] != policy  # a fresh nonce each time


# --- In a real browser ---------------------------------------------------------------------

browser_test = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def live_consultation(live_server, home_page):
    return consultation_with_questions(title="Quieter streets")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_public_pages_work_under_the_policy_with_govuk_frontend_running(
    browser, live_server, live_consultation, csp_violations, axe_violations
):
    for path in PAGES:
        browser.get(live_server.url + path)
        # Our inline script ran (it marks the body) and GOV.UK Frontend initialised.
        assert "govuk-frontend-supported" in browser.find_element(
            By.TAG_NAME, "body"
        ).get_attribute("class")
        assert csp_violations() == [], path
        assert axe_violations(browser) == [], path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_wagtail_admin_works_under_its_policy(
    browser, live_server, live_consultation, csp_violations
):
    user = UserFactory(username="editor", is_superuser=True, is_staff=True)
    browser.get(live_server.url + "/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(user.username)
    browser.find_element(By.NAME, "password").send_keys("correct horse battery")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 15).until(expected_conditions.url_to_be(live_server.url + "/admin/"))
    assert csp_violations() == []

    for path in (
        "/admin/pages/",
        f"/admin/pages/{live_consultation.pk}/edit/",
        "/admin/moderation/",
    ):
        browser.get(live_server.url + path)
        WebDriverWait(browser, 15).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )
        assert csp_violations() == [], path
