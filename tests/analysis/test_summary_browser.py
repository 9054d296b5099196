"""The summary page in real Chromium: charts drawn, and no axe violations."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from engagement.analysis.services import analysis_run
from tests.analysis.conftest import seed_corpus
from tests.browser.conftest import axe_violations, browser, chromium  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_summary_page_is_axe_clean_with_charts_rendered(
    browser,  # noqa: F811
    live_server,
    home_page,
    axe_violations,  # noqa: F811
):
    seeded = seed_corpus(seed=5, per_topic=8)
    analysis_run(consultation=seeded.consultation, seed=0)

    browser.get(f"{live_server.url}/consultations/{seeded.consultation.slug}/summary/")

    charts = browser.find_elements(By.CSS_SELECTOR, "svg.hub-chart[role=img]")
    # Seven from the analysis, and the weekly ledger (what became of the responses).
    assert len(charts) == 8
    for chart in charts:
        assert chart.size["height"] > 20 and chart.size["width"] > 200
        assert chart.find_elements(By.TAG_NAME, "rect")
    assert axe_violations(browser) == []
