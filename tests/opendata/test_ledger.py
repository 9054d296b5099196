"""The ledger in public, over time: what became of every response, by the week it came in."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from engagement.record.models import ModerationReason, ModerationState
from engagement.record.selectors import accountability_by_week, accountability_counts
from tests.factories.consultations import ConsultationPageFactory
from tests.factories.record import ResponseFactory

LONDON = ZoneInfo("Europe/London")
COUNTED = ("collected", "published", "pending", "hidden", "withdrawn", "erased")


def _at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def ledger(db, home_page):
    """Responses over four weeks (the third quiet), in every state and hidden reason."""
    now = timezone.now()
    consultation = ConsultationPageFactory(
        title="Ledger streets", opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=1)
    )
    monday = date(2026, 6, 1)
    week = [monday + timedelta(weeks=n) for n in range(4)]
    rows = [
        # Week 1: published, pending, hidden abusive, withdrawn.
        (week[0], ModerationState.APPROVED, "", {}),
        (week[0], ModerationState.APPROVED, "", {}),
        (week[0], ModerationState.PENDING, "", {}),
        (week[0], ModerationState.HIDDEN, ModerationReason.ABUSIVE, {}),
        (week[0], ModerationState.WITHDRAWN, "", {"withdrawn_at": now}),
        # Week 2: hidden spam and personal data, erased, approved with nothing to publish.
        (week[1], ModerationState.HIDDEN, ModerationReason.SPAM, {}),
        (week[1], ModerationState.HIDDEN, ModerationReason.PERSONAL_DATA, {}),
        (week[1], ModerationState.ERASED, "", {"erased_at": now}),
        (week[1], ModerationState.APPROVED, "", {"published_text": ""}),
        # Week 4: two pending and one published.
        (week[3], ModerationState.PENDING, "", {}),
        (week[3], ModerationState.PENDING, "", {}),
        (week[3], ModerationState.APPROVED, "", {}),
    ]
    for day, state, reason, extra in rows:
        ResponseFactory(
            consultation=consultation,
            received_at=_at(day + timedelta(days=2)),
            moderation_state=state,
            moderation_reason=reason,
            **{"published_text": "Published words", **extra},
        )
    # Monday 00:30 in London (summer time) is still Sunday in UTC: it counts in the hub's
    # time zone, in the second week.
    ResponseFactory(
        consultation=consultation,
        received_at=_at(week[1], 0, 30),
        moderation_state=ModerationState.PENDING,
    )
    return consultation, week


def test_the_weekly_series_adds_up_to_the_totals(ledger):
    consultation, week = ledger

    weeks = accountability_by_week(consultation=consultation)
    totals = accountability_counts(consultation=consultation)

    assert [item.week_start for item in weeks] == week  # the quiet third week included
    for name in COUNTED:
        assert sum(getattr(item.counts, name) for item in weeks) == getattr(totals, name), name
    reasons = set().union(*(item.counts.hidden_by_reason for item in weeks))
    for reason in reasons | set(totals.hidden_by_reason):
        assert sum(item.counts.hidden_by_reason.get(reason, 0) for item in weeks) == (
            totals.hidden_by_reason.get(reason, 0)
        ), reason
    first, second, quiet, last = (item.counts for item in weeks)
    assert (first.collected, first.published, first.pending, first.hidden, first.withdrawn) == (
        5,
        2,
        1,
        1,
        1,
    )
    assert (second.collected, second.pending, second.hidden, second.erased) == (5, 1, 3, 1)
    assert second.hidden_by_reason["nothing_to_publish"] == 1
    assert quiet.collected == 0
    assert (last.collected, last.pending, last.published) == (3, 2, 1)


def test_the_ledger_csv_is_open_data_that_adds_up(client, ledger):
    consultation, week = ledger
    totals = accountability_counts(consultation=consultation)

    answer = client.get(f"/consultations/{consultation.slug}/ledger.csv")

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert 'rel="license"' in answer["Link"]
    rows = list(csv.DictReader(io.StringIO(b"".join(answer.streaming_content).decode())))
    assert [row["week_start"] for row in rows] == [day.isoformat() for day in week]
    for name in COUNTED:
        assert sum(int(row[name]) for row in rows) == getattr(totals, name), name
    for reason, count in totals.hidden_by_reason.items():
        assert sum(int(row[f"hidden_{reason}"]) for row in rows) == count, reason
    for row in rows:
        hidden_columns = [key for key in row if key.startswith("hidden_")]
        assert int(row["hidden"]) == sum(int(row[key]) for key in hidden_columns)


def test_the_ledger_api_gives_the_weeks_and_the_totals(client, ledger):
    consultation, week = ledger

    body = client.get(f"/api/v1/ledger/?consultation={consultation.slug}").json()

    assert body["consultation"] == consultation.slug
    assert [item["week_start"] for item in body["weeks"]] == [day.isoformat() for day in week]
    for name in COUNTED:
        assert sum(item[name] for item in body["weeks"]) == body["totals"][name], name
    listing = client.get("/api/v1/consultations/").json()["results"]
    [entry] = [item for item in listing if item["slug"] == consultation.slug]
    assert entry["ledger_csv"] == f"http://testserver/consultations/{consultation.slug}/ledger.csv"


def test_the_ledger_of_an_unknown_or_unpublished_consultation_is_not_found(client, db, home_page):
    draft = ConsultationPageFactory(title="Draft ledger", live=False)

    assert client.get(f"/consultations/{draft.slug}/ledger.csv").status_code == 404
    missing = client.get("/api/v1/ledger/?consultation=no-such-thing")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/ledger/?consultation={draft.slug}").status_code == 404


def test_the_summary_draws_the_ledger_with_a_data_table(client, ledger):
    consultation, week = ledger

    page = client.get(f"/consultations/{consultation.slug}/summary/").text

    assert 'aria-labelledby="chart-ledger-title chart-ledger-desc"' in page
    assert "What became of the responses, by week received</caption>" in page
    assert f'href="/consultations/{consultation.slug}/ledger.csv"' in page
    # The description names every week's figures, so the chart reads without colour.
    assert "1 Jun: 5 responses (Published 2, Awaiting moderation 1, Not published 1" in page
    assert '<th scope="row" class="govuk-table__header">22 June 2026</th>' in page
