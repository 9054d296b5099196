"""The responses page and the search page in real Chromium, checked by axe-core."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from search.services import search_index_drain

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def indexed(live_server, database_search, analysed):
    search_index_drain()
    return analysed


def test_responses_page_with_results_facets_and_highlighting_has_no_violations(
    browser, live_server, indexed, axe_violations
):
    browser.get(f"{live_server.url}/consultations/quieter-streets/responses/?q=buses&sort=oldest")

    assert browser.find_element(By.TAG_NAME, "h1").text == "Responses to Quieter streets"
    assert browser.find_elements(By.CSS_SELECTOR, "mark.hub-highlight")
    assert browser.find_elements(By.CSS_SELECTOR, "input[name=channel]")
    assert browser.find_elements(By.CSS_SELECTOR, "input[name=theme]")
    assert browser.find_elements(By.CSS_SELECTOR, "input[name=sentiment]")
    assert indexed["themes"]["buses"].analyst_label in browser.page_source
    assert "5 responses" in browser.find_element(By.ID, "result-count").text
    assert axe_violations(browser) == []


def test_filtering_by_theme_and_sentiment_in_the_browser_has_no_violations(
    browser, live_server, indexed, axe_violations
):
    browser.get(f"{live_server.url}/consultations/quieter-streets/responses/")
    for name in ("theme", "sentiment"):
        browser.find_element(By.CSS_SELECTOR, f"label[for=filter-{name}-1]").click()
    before = browser.find_element(By.ID, "result-count")
    browser.find_element(By.XPATH, "//button[normalize-space()='Apply filters']").click()
    WebDriverWait(browser, 15).until(expected_conditions.staleness_of(before))

    assert "theme=" in browser.current_url
    assert "sentiment=" in browser.current_url
    assert browser.find_elements(By.CSS_SELECTOR, "input[name=theme]:checked")
    assert browser.find_elements(By.CSS_SELECTOR, "input[name=sentiment]:checked")
    assert axe_violations(browser) == []


def test_bad_theme_filter_error_summary_has_no_violations(
    browser, live_server, indexed, axe_violations
):
    browser.get(f"{live_server.url}/consultations/quieter-streets/responses/?theme=nonsense")

    assert "Choose a theme from the list" in browser.page_source
    assert axe_violations(browser) == []


def test_filtering_by_a_facet_in_the_browser_narrows_the_results(
    browser, live_server, indexed, axe_violations
):
    browser.get(f"{live_server.url}/consultations/quieter-streets/responses/")
    label = browser.find_element(By.CSS_SELECTOR, "label[for=filter-channel-1]")
    label.click()
    label = label.text
    before = browser.find_element(By.ID, "result-count")
    browser.find_element(By.XPATH, "//button[normalize-space()='Apply filters']").click()
    WebDriverWait(browser, 15).until(expected_conditions.staleness_of(before))

    assert "channel=" in browser.current_url
    count = browser.find_element(By.ID, "result-count").text
    expected = label.rsplit("(", 1)[1].rstrip(")")
    assert count.startswith(f"{expected} response")
    assert axe_violations(browser) == []


def test_search_page_has_no_violations(browser, live_server, indexed, axe_violations):
    browser.get(f"{live_server.url}/search/?q=buses")

    assert "published responses match" in browser.page_source
    assert browser.find_elements(By.CSS_SELECTOR, "mark.hub-highlight")
    assert axe_violations(browser) == []


def test_response_permalink_has_no_violations(browser, live_server, indexed, axe_violations):
    browser.get(
        f"{live_server.url}/consultations/quieter-streets/responses/{indexed['web'].reference}/"
    )

    assert "Jane Citizen via Web form" in browser.page_source
    assert axe_violations(browser) == []
