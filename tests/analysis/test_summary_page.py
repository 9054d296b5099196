"""The public summary page and its CSV: figures of public responses, public words only."""

from __future__ import annotations

import csv
import io
import re

import pytest

from engagement.analysis.services import analysis_run
from engagement.record.models import ModerationState
from tests.analysis.conftest import HIDDEN_MARKER
from tests.factories.record import ResponseFactory

pytestmark = pytest.mark.django_db

REDACTED_MARKER = "quillfeather"


@pytest.fixture
def analysed(seeded):
    # Approved, but the moderator redacted a word: only the published wording may show.
    ResponseFactory(
        consultation=seeded.consultation,
        text=f"Buses are too infrequent, ask {REDACTED_MARKER} at the depot.",
        published_text="Buses are too infrequent, ask [name removed] at the depot.",
        moderation_state=ModerationState.APPROVED,
    )
    analysis_run(consultation=seeded.consultation, seed=0)
    return seeded


def _summary_url(consultation) -> str:
    return f"/consultations/{consultation.slug}/summary/"


def test_summary_page_shows_charts_each_with_a_data_table(client, analysed):
    page = client.get(_summary_url(analysed.consultation))

    assert page.status_code == 200
    html = page.content.decode()
    charts = re.findall(r'<svg class="hub-chart" role="img"', html)
    # The ledger by week, over time, channel, theme, sentiment, and three answer tallies.
    assert len(charts) == 8
    assert html.count('<details class="govuk-details">') == 8
    assert html.count("<title id=") == 8
    assert "What people said, by theme" in html


def test_summary_page_contains_only_public_text(client, analysed):
    html = client.get(_summary_url(analysed.consultation)).content.decode().lower()

    assert HIDDEN_MARKER not in html
    assert REDACTED_MARKER not in html
    assert "[name removed]" in html or "buses" in html


def test_summary_csv_holds_the_public_figures_only(client, analysed):
    download = client.get(f"/consultations/{analysed.consultation.slug}/summary.csv")

    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    text = download.content.decode()
    assert HIDDEN_MARKER not in text.lower()
    assert REDACTED_MARKER not in text.lower()
    rows = list(csv.DictReader(io.StringIO(text)))
    channels = sum(int(row["count"]) for row in rows if row["section"] == "channel")
    public = len(analysed.responses) - len(analysed.hidden_ids) + 1
    assert channels == public
    totals = {row["label"]: int(row["count"]) for row in rows if row["section"] == "totals"}
    assert totals["collected"] == len(analysed.responses) + 1
    assert totals["hidden"] == len(analysed.hidden_ids)


def test_summary_of_an_unpublished_consultation_is_not_found(client, home_page):
    from tests.factories.consultations import ConsultationPageFactory

    draft = ConsultationPageFactory(live=False)

    assert client.get(_summary_url(draft)).status_code == 404


def test_consultation_page_links_to_its_summary(client, seeded):
    html = client.get(seeded.consultation.url).content.decode()

    assert f'href="{_summary_url(seeded.consultation)}"' in html
