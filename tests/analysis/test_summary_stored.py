"""The public summary's figures are stored once and follow every change that touches them."""

from __future__ import annotations

import pytest

from engagement.analysis import summaries
from engagement.analysis.models import PublicSummary, Theme
from engagement.analysis.services import analysis_run, theme_rename
from engagement.moderation.services import response_moderate
from engagement.record.models import ModerationReason, ModerationState, Response
from engagement.record.signals import responses_changed
from tests.factories.moderation import moderator_create
from tests.factories.record import ResponseFactory

pytestmark = pytest.mark.django_db

QUOTED = "Trams along the quayside would fix everything, honestly"


@pytest.fixture
def analysed(seeded):
    analysis_run(consultation=seeded.consultation, seed=0)
    return seeded


def _summary(client, consultation) -> str:
    page = client.get(f"/consultations/{consultation.slug}/summary/")
    assert page.status_code == 200
    return page.content.decode()


def _quoted_theme_member(consultation) -> Response:
    """A public response whose published words the summary quotes."""
    figures = summaries.public_figures(consultation=consultation)
    quote = next(quote for theme in figures.themes for quote in theme.quotes)
    return Response.objects.get(consultation=consultation, published_text=quote)


def test_the_figures_are_computed_once_and_then_read(client, analysed):
    consultation = analysed.consultation
    first = _summary(client, consultation)
    stored = PublicSummary.objects.get(consultation=consultation)
    assert stored.figures is not None
    assert stored.figures_version == stored.version

    # A write that tells no one (a queryset update sends no signal) is not seen: the page
    # reads what was stored, it does not recompute.
    member = _quoted_theme_member(consultation)
    Response.objects.filter(pk=member.pk).update(published_text=QUOTED)
    assert QUOTED not in _summary(client, consultation)
    assert member.published_text in first

    # The record's own signal for bulk writes brings the page up to date.
    responses_changed.send(sender=Response, response_ids=[member.pk])
    assert QUOTED in _summary(client, consultation)


def test_hiding_a_quoted_response_takes_its_words_off_the_summary(client, analysed):
    consultation = analysed.consultation
    member = _quoted_theme_member(consultation)
    assert member.published_text in _summary(client, consultation)
    moderator = moderator_create(department=consultation.department, username="summary-mod")

    response_moderate(
        response=member,
        to_state=ModerationState.HIDDEN,
        by=moderator,
        reason=ModerationReason.OFF_TOPIC,
    )

    assert member.published_text not in _summary(client, consultation)


def test_figures_computed_across_a_change_are_not_stored(client, analysed, monkeypatch):
    """A moderator hides a quoted response while a view is computing the figures."""
    consultation = analysed.consultation
    member = _quoted_theme_member(consultation)
    PublicSummary.objects.filter(consultation=consultation).update(figures=None)
    moderator = moderator_create(department=consultation.department, username="racing-mod")
    compute = summaries.consultation_figures

    def computed_then_hidden(**kwargs):
        figures = compute(**kwargs)
        response_moderate(
            response=member,
            to_state=ModerationState.HIDDEN,
            by=moderator,
            reason=ModerationReason.SPAM,
        )
        return figures

    monkeypatch.setattr(summaries, "consultation_figures", computed_then_hidden)
    racing = summaries.public_figures(consultation=consultation)
    monkeypatch.setattr(summaries, "consultation_figures", compute)

    assert member.published_text in {q for theme in racing.themes for q in theme.quotes}
    stored = PublicSummary.objects.get(consultation=consultation)
    assert stored.figures_version != stored.version
    assert member.published_text not in _summary(client, consultation)


def test_a_new_public_response_and_an_analysts_rename_reach_the_summary(client, analysed):
    consultation = analysed.consultation
    before = summaries.public_figures(consultation=consultation).total

    ResponseFactory(
        consultation=consultation,
        published_text="Another approved reply",
        moderation_state=ModerationState.APPROVED,
    )
    assert summaries.public_figures(consultation=consultation).total == before + 1

    theme = Theme.objects.filter(consultation=consultation, is_merged_into__isnull=True).first()
    theme_rename(theme=theme, label="Buses after dark", user=None)
    assert "Buses after dark" in _summary(client, consultation)


def test_republishing_the_page_recomputes_the_answer_tallies(client, analysed):
    consultation = analysed.consultation
    _summary(client, consultation)
    question = consultation.questions.order_by("sort_order", "pk").last()
    question.text = "Would you use a night bus?"
    question.save()
    assert "Would you use a night bus?" not in _summary(client, consultation)

    consultation.save_revision().publish()

    assert "Would you use a night bus?" in _summary(client, consultation)


def _api_totals(client, consultation) -> dict:
    answer = client.get(f"/api/v1/ledger/?consultation={consultation.slug}")
    assert answer.status_code == 200, answer.content
    return answer.json()["totals"]


def test_what_became_of_the_responses_is_stored_and_follows_each_change(client, analysed):
    """The totals and weekly ledger (summary, responses page, API) are counted once, then
    read; a new pending response, a hide and a withdrawal each reach every reader."""
    consultation = analysed.consultation
    before = _api_totals(client, consultation)
    stored = PublicSummary.objects.get(consultation=consultation)
    assert stored.accountability is not None
    assert stored.accountability_version == stored.version
    assert stored.accountability["counts"]["collected"] == before["collected"]

    # A write that tells no one is not seen: the stored counts are read, not recounted.
    untold = list(
        Response.objects.public().filter(consultation=consultation).values_list("pk", flat=True)[:1]
    )
    Response.objects.filter(pk__in=untold).update(moderation_state=ModerationState.PENDING)
    assert _api_totals(client, consultation) == before
    Response.objects.filter(pk__in=untold).update(moderation_state=ModerationState.APPROVED)

    pending = ResponseFactory(
        consultation=consultation, moderation_state=ModerationState.PENDING, published_text=""
    )
    after_new = _api_totals(client, consultation)
    assert after_new["collected"] == before["collected"] + 1
    assert after_new["pending"] == before["pending"] + 1

    moderator = moderator_create(department=consultation.department, username="ledger-mod")
    shown = Response.objects.public().filter(consultation=consultation).first()
    response_moderate(
        response=shown, to_state=ModerationState.HIDDEN, by=moderator, reason=ModerationReason.SPAM
    )
    after_hide = _api_totals(client, consultation)
    assert after_hide["published"] == before["published"] - 1
    assert after_hide["hidden"] == before["hidden"] + 1

    responses_page = client.get(f"/consultations/{consultation.slug}/responses/")
    summary_page = _summary(client, consultation)
    assert responses_page.status_code == 200
    ledger = client.get(f"/api/v1/ledger/?consultation={consultation.slug}").json()
    assert sum(week["collected"] for week in ledger["weeks"]) == after_hide["collected"]
    assert sum(week["hidden"] for week in ledger["weeks"]) == after_hide["hidden"]
    assert f'id="summary-total">{after_hide["published"]}<' in summary_page
    assert pending.moderation_state == ModerationState.PENDING
