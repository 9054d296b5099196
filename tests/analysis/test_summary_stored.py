"""The public summary's figures are stored, recomputed in the background after each change,
and never serve a word the record no longer publishes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from engagement.analysis import summaries, tasks
from engagement.analysis.models import PublicSummary, Theme
from engagement.analysis.services import analysis_run, theme_rename
from engagement.moderation.services import response_moderate, responses_redact_existing
from engagement.record.models import ModerationReason, ModerationState, Response
from engagement.record.signals import responses_changed
from tests.factories.moderation import moderator_create
from tests.factories.record import ResponseFactory

pytestmark = pytest.mark.django_db

QUOTED = "Trams along the quayside would fix everything, honestly"
AS_OF = 'id="summary-as-of"'
PREPARING = 'id="summary-preparing"'


@pytest.fixture(autouse=True)
def with_a_worker(settings):
    """A Celery broker and worker, as in production (the embedded default runs tasks
    in-process: test_without_a_broker_the_page_still_shows_the_summary)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture(autouse=True)
def enqueued(monkeypatch) -> list[int]:
    """The recomputes sent to the broker, by consultation id (no worker runs in the test)."""
    sent: list[int] = []
    monkeypatch.setattr(tasks.summary_recompute, "delay", sent.append)
    return sent


@pytest.fixture
def analysed(seeded):
    analysis_run(consultation=seeded.consultation, seed=0)
    return seeded


def _summary(client, consultation) -> str:
    page = client.get(f"/consultations/{consultation.slug}/summary/")
    assert page.status_code == 200
    return page.content.decode()


def _figures(consultation):
    figures = summaries.public_figures(consultation=consultation).figures
    assert figures is not None
    return figures


def _quoted_theme_member(consultation) -> Response:
    """A public response whose published words the summary quotes."""
    quote = next(quote for theme in _figures(consultation).themes for quote in theme.quotes)
    return Response.objects.get(consultation=consultation, published_text=quote)


def _hide(response: Response, username: str) -> None:
    moderator = moderator_create(department=response.consultation.department, username=username)
    response_moderate(
        response=response,
        to_state=ModerationState.HIDDEN,
        by=moderator,
        reason=ModerationReason.OFF_TOPIC,
    )


def test_the_figures_are_stored_then_read_and_a_changed_quote_is_never_served(
    client, analysed, enqueued
):
    consultation = analysed.consultation
    first = _summary(client, consultation)
    stored = PublicSummary.objects.get(consultation=consultation)
    assert stored.figures is not None
    assert stored.figures_version == stored.version
    assert AS_OF not in first

    # A write that tells no one (a queryset update sends no signal) is not seen: the page
    # reads what was stored, it does not recompute.
    member = _quoted_theme_member(consultation)
    Response.objects.filter(pk=member.pk).update(published_text=QUOTED)
    assert QUOTED not in _summary(client, consultation)
    assert member.published_text in first

    # Told in bulk of a public response (as a redaction pass does): the figures stay, marked,
    # but the quote whose words changed is not served, old or new, until the recompute.
    responses_changed.send(sender=Response, response_ids=[member.pk])
    stale = _summary(client, consultation)
    assert AS_OF in stale
    assert member.published_text not in stale
    assert QUOTED not in stale

    assert tasks.summary_recompute(consultation.pk) == "current"
    current = _summary(client, consultation)
    assert QUOTED in current
    assert AS_OF not in current


def test_hiding_a_quoted_response_takes_its_words_off_the_summary(client, analysed):
    consultation = analysed.consultation
    member = _quoted_theme_member(consultation)
    assert member.published_text in _summary(client, consultation)

    _hide(member, "summary-mod")

    stored = PublicSummary.objects.get(consultation=consultation)
    assert stored.figures is None  # dropped in the hide's own transaction
    page = _summary(client, consultation)
    assert member.published_text not in page
    assert AS_OF not in page


def test_above_the_inline_limit_a_hide_shows_no_figures_until_recomputed(
    client, analysed, enqueued, settings
):
    """A large consultation: the visitor's request never computes; no stale words either."""
    consultation = analysed.consultation
    member = _quoted_theme_member(consultation)
    settings.HUB_SUMMARY_INLINE_LIMIT = 5
    _hide(member, "summary-mod-large")

    page = _summary(client, consultation)
    assert PREPARING in page
    assert member.published_text not in page
    assert "What people said, by theme" not in page
    assert PublicSummary.objects.get(consultation=consultation).figures is None
    assert enqueued == [consultation.pk]  # the view asked once; a second view asks nothing
    assert PREPARING in _summary(client, consultation)
    assert enqueued == [consultation.pk]
    assert client.get(f"/consultations/{consultation.slug}/summary.csv").status_code == 503

    assert tasks.summary_recompute(consultation.pk) == "current"
    page = _summary(client, consultation)
    assert PREPARING not in page
    assert "What people said, by theme" in page
    assert member.published_text not in page


def test_without_a_broker_the_page_still_shows_the_summary(client, analysed, settings):
    """The embedded default: tasks run in-process, so the page computes whatever the size."""
    consultation = analysed.consultation
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.HUB_SUMMARY_INLINE_LIMIT = 0
    assert "What people said, by theme" in _summary(client, consultation)
    ResponseFactory(
        consultation=consultation,
        published_text="Late reply about buses",
        moderation_state=ModerationState.APPROVED,
    )
    page = _summary(client, consultation)
    assert AS_OF not in page
    assert PREPARING not in page
    assert (
        _figures(consultation).total
        == Response.objects.public().filter(consultation=consultation).count()
    )


def test_figures_computed_across_a_hide_are_not_stored(client, analysed, monkeypatch):
    """A moderator hides a quoted response while the task is computing the figures."""
    consultation = analysed.consultation
    member = _quoted_theme_member(consultation)
    compute = summaries.consultation_figures

    def computed_then_hidden(**kwargs):
        figures = compute(**kwargs)
        _hide(member, "racing-mod")
        return figures

    monkeypatch.setattr(summaries, "consultation_figures", computed_then_hidden)
    racing = summaries.summary_recompute(consultation=consultation)
    monkeypatch.setattr(summaries, "consultation_figures", compute)

    assert member.published_text in {q for theme in racing.figures.themes for q in theme.quotes}
    assert not racing.stored
    assert not racing.current
    assert PublicSummary.objects.get(consultation=consultation).figures is None
    assert member.published_text not in _summary(client, consultation)


def test_figures_computed_across_a_new_response_are_stored_and_recomputed_again(
    client, analysed, monkeypatch, enqueued
):
    """At a busy consultation every recompute overlaps a new response: each is kept (so the
    page moves on), and the task enqueues the next."""
    consultation = analysed.consultation
    compute = summaries.consultation_figures

    def computed_then_added(**kwargs):
        figures = compute(**kwargs)
        ResponseFactory(
            consultation=consultation,
            published_text="Arrived mid-recompute",
            moderation_state=ModerationState.APPROVED,
        )
        return figures

    monkeypatch.setattr(summaries, "consultation_figures", computed_then_added)
    assert tasks.summary_recompute(consultation.pk) == "again"
    monkeypatch.setattr(summaries, "consultation_figures", compute)

    stored = PublicSummary.objects.get(consultation=consultation)
    assert stored.figures is not None
    assert stored.figures_version is not None
    assert stored.figures_version < stored.version
    assert enqueued == [consultation.pk]
    assert AS_OF in _summary(client, consultation)


def test_a_new_response_keeps_the_figures_served_and_marked_until_the_task_runs(
    client, analysed, enqueued, django_capture_on_commit_callbacks
):
    consultation = analysed.consultation
    before = _figures(consultation)
    quote = next(quote for theme in before.themes for quote in theme.quotes)

    with django_capture_on_commit_callbacks(execute=True):
        ResponseFactory(
            consultation=consultation,
            published_text="Another approved reply",
            moderation_state=ModerationState.APPROVED,
        )

    page = _summary(client, consultation)
    assert AS_OF in page
    assert "Figures as of" in page
    assert quote in page
    assert _figures(consultation).total == before.total
    assert enqueued == [consultation.pk]

    assert tasks.summary_recompute(consultation.pk) == "current"
    assert _figures(consultation).total == before.total + 1
    assert AS_OF not in _summary(client, consultation)


def test_an_analysts_rename_reaches_the_summary_at_once(client, analysed):
    consultation = analysed.consultation
    _summary(client, consultation)
    theme = Theme.objects.filter(consultation=consultation, is_merged_into__isnull=True).first()
    theme_rename(theme=theme, label="Buses after dark", user=None)
    page = _summary(client, consultation)
    assert "Buses after dark" in page
    assert AS_OF not in page


def test_republishing_the_page_recomputes_the_answer_tallies(client, analysed):
    consultation = analysed.consultation
    _summary(client, consultation)
    question = consultation.questions.order_by("sort_order", "pk").last()
    question.text = "Would you use a night bus?"
    question.save()
    assert "Would you use a night bus?" not in _summary(client, consultation)

    consultation.save_revision().publish()
    assert AS_OF in _summary(client, consultation)

    tasks.summary_recompute(consultation.pk)
    assert "Would you use a night bus?" in _summary(client, consultation)


def test_many_changes_enqueue_one_recompute(
    client, seeded, enqueued, django_capture_on_commit_callbacks
):
    consultation = seeded.consultation
    _summary(client, consultation)
    public = list(
        Response.objects.public().filter(consultation=consultation).values_list("pk", flat=True)
    )

    for position in range(30):
        with django_capture_on_commit_callbacks(execute=True):
            ResponseFactory(
                consultation=consultation,
                published_text=f"Reply number {position}",
                moderation_state=ModerationState.APPROVED,
            )
            responses_changed.send(sender=Response, response_ids=public[:3])
    assert enqueued == [consultation.pk]

    # Once the recompute has run, the next change enqueues the next one.
    assert tasks.summary_recompute(consultation.pk) == "current"
    with django_capture_on_commit_callbacks(execute=True):
        ResponseFactory(consultation=consultation, moderation_state=ModerationState.PENDING)
    assert enqueued == [consultation.pk, consultation.pk]


def test_the_sweep_recomputes_a_summary_whose_task_was_lost(client, seeded, enqueued):
    consultation = seeded.consultation
    _summary(client, consultation)
    assert tasks.summaries_recompute_due() == 0  # current

    # A change whose task never ran (the worker died holding it).
    ResponseFactory(
        consultation=consultation,
        published_text="Lost in the queue",
        moderation_state=ModerationState.APPROVED,
    )
    PublicSummary.objects.filter(consultation=consultation).update(
        recompute_requested_at=timezone.now() - timedelta(minutes=1)
    )
    assert tasks.summaries_recompute_due() == 0  # still pending, not yet presumed lost
    PublicSummary.objects.filter(consultation=consultation).update(
        recompute_requested_at=timezone.now() - summaries.RECOMPUTE_LOST_AFTER * 2
    )
    assert tasks.summaries_recompute_due() == 1
    assert enqueued == [consultation.pk]

    assert tasks.summary_recompute(consultation.pk) == "current"
    stored = PublicSummary.objects.get(consultation=consultation)
    assert stored.figures_version == stored.version
    assert stored.recompute_requested_at is None
    assert (
        _figures(consultation).total
        == Response.objects.public().filter(consultation=consultation).count()
    )
    assert tasks.summaries_recompute_due() == 0


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


def test_a_recompute_in_the_background_refreshes_the_cached_summary(
    client, analysed, settings, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    settings.HUB_PAGE_CACHE = True
    settings.HUB_PAGE_CACHE_SECONDS = 300
    settings.HUB_PAGE_CACHE_STALE_SECONDS = 3600
    cache.clear()
    try:
        consultation = analysed.consultation
        _summary(client, consultation)
        ResponseFactory(
            consultation=consultation,
            published_text="Cached while stale",
            moderation_state=ModerationState.APPROVED,
        )
        assert AS_OF in _summary(client, consultation)
        assert AS_OF in _summary(client, consultation)  # now from the cache

        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.summary_recompute(consultation.pk) == "current"

        assert AS_OF not in _summary(client, consultation)
    finally:
        cache.clear()


def test_a_bulk_redaction_pass_over_published_responses_drops_the_figures_at_once(
    client, analysed, enqueued, django_capture_on_commit_callbacks
):
    """A pass after a mention policy change rewrites words the summary may count among its
    most-used terms: the stored figures must go at once, not wait for the recompute."""
    consultation = analysed.consultation
    shown = _quoted_theme_member(consultation)
    assert PublicSummary.objects.get(consultation=consultation).figures is not None
    # Published before its text said this; the pass redacts the address out of it.
    Response.objects.filter(pk=shown.pk).update(
        text=f"{shown.published_text} Write to jo.bloggs@example.org"
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = responses_redact_existing(response_ids=[shown.pk])

    assert result.redacted == 1
    stored = PublicSummary.objects.get(consultation=consultation)
    assert stored.figures is None
    assert enqueued == [consultation.pk]
    assert "jo.bloggs" not in _summary(client, consultation)


def test_above_the_inline_limit_the_counts_are_the_last_stored_until_the_task_runs(
    client, analysed, enqueued, settings, django_capture_on_commit_callbacks
):
    """At a million responses the count takes seconds: a visitor's request must not pay it
    after every change. Numbers only, no words: serving the last count is safe."""
    consultation = analysed.consultation
    settings.HUB_SUMMARY_INLINE_LIMIT = 1
    before = summaries.public_accountability(consultation=consultation).counts

    with django_capture_on_commit_callbacks(execute=True):
        ResponseFactory(
            consultation=consultation,
            published_text="One more approved reply",
            moderation_state=ModerationState.APPROVED,
        )

    assert summaries.public_accountability(consultation=consultation).counts == before
    assert enqueued == [consultation.pk]
    assert tasks.summary_recompute(consultation.pk) == "current"
    after = summaries.public_accountability(consultation=consultation).counts
    assert (after.collected, after.published) == (before.collected + 1, before.published + 1)
    # Below the limit the request counts again at once, as before.
    settings.HUB_SUMMARY_INLINE_LIMIT = 5000
    with django_capture_on_commit_callbacks(execute=True):
        ResponseFactory(consultation=consultation, published_text="And another")
    assert summaries.public_accountability(consultation=consultation).counts.collected == (
        after.collected + 1
    )
