"""A consultation with a mix of public and non-public responses, and backend switches."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from engagement.record.models import Channel, ModerationReason, ModerationState
from tests.browser.conftest import axe_violations, browser, chromium  # noqa: F401 - fixtures
from tests.factories.analysis import (
    ResponseAnalysisFactory,
    ThemeFactory,
    ThemeMembershipFactory,
)
from tests.factories.consultations import consultation_with_questions
from tests.factories.record import ResponseFactory
from tests.factories.search import PublicAnswerFactory, PublicResponseFactory

LONDON = ZoneInfo("Europe/London")
DATABASE_BACKEND = {"BACKEND": "modelsearch.backends.database"}


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, 0, tzinfo=LONDON)


@pytest.fixture
def database_search(settings):
    """Index and search with the database backend only (the embedded default)."""
    settings.WAGTAILSEARCH_BACKENDS = {"default": DATABASE_BACKEND}
    # The override holds in this process only: a real Celery worker left running by
    # another test would drain the queue into OpenSearch instead. Tests drain here.
    settings.HUB_SEARCH_DRAIN_ON_COMMIT = False
    return "default"


@pytest.fixture
def record(home_page):
    """One consultation's record: six public responses and four that must never show."""
    consultation = consultation_with_questions(title="Quieter streets")
    free_text, travel = list(consultation.questions.order_by("sort_order", "pk"))[:2]
    made = {}
    made["bus"] = PublicResponseFactory(
        consultation=consultation,
        channel="mastodon",
        published_text="More buses would help my street. [email removed]",
        received_at=at(2026, 3, 2),
    )
    made["cycle"] = PublicResponseFactory(
        consultation=consultation,
        channel="bluesky",
        published_text="Cycle lanes and buses on every main road.",
        received_at=at(2026, 3, 20),
    )
    made["quiet"] = PublicResponseFactory(
        consultation=consultation,
        channel="x",
        published_text="Quieter nights, fewer lorries.",
        received_at=at(2026, 4, 5),
    )
    made["web"] = PublicResponseFactory(
        consultation=consultation,
        channel=Channel.WEB,
        external_id=None,
        url="",
        published_text="",
        received_at=at(2026, 4, 8),
        respondent__channel=Channel.WEB,
        respondent_name="Jane Citizen",
        publish_name=True,
        published_name="Jane Citizen",
    )
    PublicAnswerFactory(
        response=made["web"],
        question=free_text,
        question_text=free_text.text,
        published_text="Buses to the hospital every ten minutes.",
    )
    PublicAnswerFactory(
        response=made["web"],
        question=travel,
        question_text=travel.text,
        published_text="",
        text="",
        choices=["Bus"],
    )
    made["anon_web"] = PublicResponseFactory(
        consultation=consultation,
        channel=Channel.WEB,
        external_id=None,
        url="",
        published_text="Buses are late. Please fix the timetable.",
        received_at=at(2026, 4, 9),
        respondent__channel=Channel.WEB,
        respondent_name="Private Person",
        publish_name=False,
    )
    made["letter"] = PublicResponseFactory(
        consultation=consultation,
        channel=Channel.LETTER,
        external_id=None,
        url="",
        published_text="Lorries should use the ring road, not buses lanes.",
        received_at=at(2026, 5, 1),
    )
    made["pending"] = ResponseFactory(
        consultation=consultation,
        text="PENDINGSECRET buses are awful",
        published_text="PENDINGWORD buses are awful",
        received_at=at(2026, 3, 3),
    )
    made["hidden"] = PublicResponseFactory(
        consultation=consultation,
        moderation_state=ModerationState.HIDDEN,
        moderation_reason=ModerationReason.ABUSIVE,
        published_text="HIDDENWORD buses rude words",
        received_at=at(2026, 3, 4),
    )
    made["withdrawn"] = PublicResponseFactory(
        consultation=consultation,
        moderation_state=ModerationState.WITHDRAWN,
        withdrawn_at=at(2026, 3, 6),
        withdrawn_reason="deleted_at_source",
        published_text="WITHDRAWNWORD buses",
        received_at=at(2026, 3, 5),
    )
    made["spam"] = PublicResponseFactory(
        consultation=consultation,
        moderation_state=ModerationState.HIDDEN,
        moderation_reason=ModerationReason.SPAM,
        published_text="SPAMWORD buy buses now",
        received_at=at(2026, 3, 7),
    )
    made["consultation"] = consultation
    made["questions"] = (free_text, travel)
    return made


# Which responses of ``record`` are public (the rest must never count anywhere).
PUBLIC_KEYS = ("bus", "cycle", "quiet", "web", "anon_web", "letter")
# What the analysis found in ``record``: "letter" is not analysed yet.
SENTIMENTS = {
    "bus": "positive",
    "cycle": "positive",
    "quiet": "negative",
    "web": "neutral",
    "anon_web": "negative",
    "hidden": "positive",
    "pending": "negative",
    "spam": "neutral",
}


@pytest.fixture
def analysed(record):
    """``record`` with sentiment and themes: one renamed, one merged into it, one whose
    members are all held back, and one of another consultation."""
    consultation = record["consultation"]
    for key, label in SENTIMENTS.items():
        ResponseAnalysisFactory(response=record[key], sentiment_label=label)
    buses = ThemeFactory(
        consultation=consultation, label="buses more", analyst_label="Better bus services"
    )
    lorries = ThemeFactory(consultation=consultation, label="lorries nights")
    timetables = ThemeFactory(consultation=consultation, label="timetable late")
    held_back = ThemeFactory(consultation=consultation, label="awful rude")
    members = {
        buses: ("bus", "cycle", "web", "anon_web", "hidden"),
        lorries: ("quiet", "withdrawn"),
        timetables: ("anon_web", "letter"),
        held_back: ("pending", "spam"),
    }
    for theme, keys in members.items():
        for key in keys:
            ThemeMembershipFactory(theme=theme, response=record[key])
    # Merged after its members were recorded: they count under "buses" from now on.
    timetables.is_merged_into = buses
    timetables.save()
    elsewhere = ThemeFactory(label="elsewhere theme")
    ThemeMembershipFactory(
        theme=elsewhere,
        response=PublicResponseFactory(consultation=elsewhere.consultation),
    )
    record["themes"] = {
        "buses": buses,
        "lorries": lorries,
        "timetables": timetables,
        "held_back": held_back,
        "elsewhere": elsewhere,
    }
    record["members"] = {theme.pk: keys for theme, keys in members.items()}
    return record
