"""The inbox's keyboard shortcuts in real Chromium, and its accessibility (axe-core)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from engagement.record.models import ModerationState
from tests.browser.conftest import axe_violations, browser, chromium  # noqa: F401
from tests.factories.consultations import ConsultationPageFactory, DepartmentFactory
from tests.factories.moderation import moderator_create
from tests.factories.record import ResponseFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def responses(live_server):
    from cms.management.commands.seed_demo import ensure_home_page

    ensure_home_page()
    consultation = ConsultationPageFactory(title="Quieter streets", department=DepartmentFactory())
    first = ResponseFactory(
        consultation=consultation, text="First, call 07700 900123", published_text="First"
    )
    second = ResponseFactory(consultation=consultation, text="Second", published_text="Second")
    return consultation, first, second


@pytest.fixture
def logged_in(browser, live_server, responses):  # noqa: F811
    consultation = responses[0]
    user = moderator_create(department=consultation.department, username="keyboard")
    client = Client()
    client.force_login(user)
    browser.get(live_server.url + "/admin/login/")
    browser.add_cookie(
        {
            "name": settings.SESSION_COOKIE_NAME,
            "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        }
    )
    return browser


def _open_inbox(browser, live_server):  # noqa: F811
    browser.get(live_server.url + "/admin/moderation/")
    return WebDriverWait(browser, 15).until(
        expected_conditions.presence_of_element_located((By.ID, "hub-inbox"))
    )


def _wait_for_reload(browser, old_table):  # noqa: F811
    WebDriverWait(browser, 15).until(expected_conditions.staleness_of(old_table))


def test_j_then_a_approves_the_first_response(logged_in, live_server, responses):
    _consultation, first, second = responses
    table = _open_inbox(logged_in, live_server)

    logged_in.find_element(By.TAG_NAME, "body").send_keys("j")
    logged_in.switch_to.active_element.send_keys("a")
    _wait_for_reload(logged_in, table)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.moderation_state == ModerationState.APPROVED
    assert second.moderation_state == ModerationState.PENDING
    assert "Approved 1 response." in logged_in.page_source


def test_h_asks_for_a_reason_then_hides_the_current_response(logged_in, live_server, responses):
    _consultation, first, second = responses
    table = _open_inbox(logged_in, live_server)

    body = logged_in.find_element(By.TAG_NAME, "body")
    body.send_keys("j")
    logged_in.switch_to.active_element.send_keys("j")
    logged_in.switch_to.active_element.send_keys("h")
    dialog = logged_in.find_element(By.ID, "hub-hide-dialog")
    WebDriverWait(logged_in, 5).until(lambda driver: dialog.get_attribute("open") is not None)
    Select(logged_in.find_element(By.ID, "hub-dialog-reason")).select_by_value("off_topic")
    dialog.find_element(By.CSS_SELECTOR, "button[value=hide]").click()
    _wait_for_reload(logged_in, table)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.moderation_state == ModerationState.PENDING
    assert (second.moderation_state, second.moderation_reason) == ("hidden", "off_topic")


def test_inbox_content_has_no_accessibility_violations(
    logged_in,
    live_server,
    axe_violations,  # noqa: F811
):
    _open_inbox(logged_in, live_server)

    violations = axe_violations(logged_in)

    assert violations == []


def test_response_page_has_no_accessibility_violations(
    logged_in,
    live_server,
    responses,
    axe_violations,  # noqa: F811
):
    _consultation, first, _second = responses
    logged_in.get(f"{live_server.url}/admin/moderation/{first.pk}/")
    WebDriverWait(logged_in, 15).until(
        expected_conditions.presence_of_element_located((By.CLASS_NAME, "hub-texts"))
    )

    assert axe_violations(logged_in) == []
