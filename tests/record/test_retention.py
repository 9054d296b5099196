"""Retention by schedule, in frozen time: each kind goes just after its period, not before."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from cms.celery import app as celery_app
from connectors.models import QuarantinedPayload
from consultations.models import Department
from engagement.analysis.models import CampaignGroup
from engagement.moderation.services import (
    response_moderate,
    response_redact_further,
    response_text_update,
)
from engagement.record.models import (
    ModerationState,
    Respondent,
    Response,
    ResponseRevision,
    RetentionExpiry,
    RetentionRun,
)
from engagement.record.services import RespondentInput, response_record, web_response_record
from engagement.record.tasks import apply_retention
from tests.factories.connectors import ChannelAccountFactory
from tests.factories.consultations import consultation_with_questions

pytestmark = pytest.mark.django_db

CLOSE = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
LATER_CLOSE = CLOSE + timedelta(days=400)
# This test's department keeps each kind for a different number of days.
DAYS = {"user_agent": 30, "raw_payload": 90, "original_text": 200, "email": 365}
MINUTE = timedelta(minutes=1)

# What only the originals hold: words redaction or a moderator removed, a name not shown.
ORIGINAL_WORDS = ("zed.quokka@example.org", "Smithers", "Quokkason")
AGENT = "Firefoxquux/1.0"
PAYLOAD_WORD = "payloadmarker"
ADA, BO = "ada@example.org", "bo@example.org"
STORES = ("record", "moderation", "analysis", "connectors")
NONCE = re.compile(r' nonce="[^"]*"')


def _dump() -> str:
    """Every row of every store that keeps a copy, the retention audit aside."""
    rows = []
    for label in STORES:
        for model in apps.get_app_config(label).get_models():
            if model in (RetentionRun, RetentionExpiry):
                continue
            rows.append(serializers.serialize("json", model.objects.order_by("pk")))
    return "\n".join(rows)


def _retention(at: datetime, *arguments: str) -> str:
    out = io.StringIO()
    with time_machine.travel(at, tick=False):
        call_command(
            "apply_retention", *arguments, "--no-progress", stdout=out, stderr=io.StringIO()
        )
    return out.getvalue()


def _approve(response, by, **fields):
    response.refresh_from_db()
    return response_moderate(response=response, by=by, note="ok", **fields)


@pytest.fixture
def recorded(home_page, admin_user):
    """A consultation closing at CLOSE with a response of every shape, and one of another
    department closing later, to which Bo also responded."""
    with time_machine.travel(CLOSE - timedelta(days=5), tick=False):
        consultation = consultation_with_questions(
            title="Retention streets",
            opens_at=CLOSE - timedelta(days=30),
            closes_at=CLOSE,
        )
        department = consultation.department
        department.retain_user_agents_days = DAYS["user_agent"]
        department.retain_raw_payloads_days = DAYS["raw_payload"]
        department.retain_original_text_days = DAYS["original_text"]
        department.retain_emails_days = DAYS["email"]
        department.save()
        free_text, travel = list(consultation.questions.order_by("sort_order", "pk"))[:2]
        web = web_response_record(
            consultation=consultation,
            answers={
                free_text.pk: "Email zed.quokka@example.org about the wombat",
                travel.pk: "Bus",
            },
            name="Ada Quokkason",
            email=ADA,
            consent_to_publish=True,
            user_agent=AGENT,
        )
        social = response_record(
            consultation=consultation,
            channel="mastodon",
            external_id="1001",
            text="First go at it",
            received_at=CLOSE - timedelta(days=5),
            respondent=RespondentInput(external_id="77", handle="@neighbour@social.example"),
            raw_payload={"id": "1001", "content": PAYLOAD_WORD},
        )
        response_text_update(
            response_id=social.pk,
            text="Write to zed.quokka@example.org, Smithers and I want fewer lorries",
            edited_at=CLOSE - timedelta(days=4),
        )
        _approve(web, admin_user, to_state=ModerationState.APPROVED)
        social = _approve(social, admin_user, to_state=ModerationState.APPROVED)
        response_redact_further(
            response=social,
            published_text=social.published_text.replace("Smithers ", ""),
            by=admin_user,
            note="a private person",
        )

        def reply(external_id: str, text: str, word: str = PAYLOAD_WORD) -> Response:
            return response_record(
                consultation=consultation,
                channel="mastodon",
                external_id=external_id,
                text=text,
                received_at=CLOSE - timedelta(days=3),
                respondent=RespondentInput(external_id=f"person-{external_id}"),
                raw_payload={"id": external_id, "content": word},
            )

        abusive = reply("1002", "You are all wombat idiots, mail zed.quokka@example.org")
        _approve(abusive, admin_user, to_state=ModerationState.HIDDEN, reason="abusive")
        personal = reply("1003", "I live at the house by the wombat pond, ask for Smithers")
        _approve(personal, admin_user, to_state=ModerationState.HIDDEN, reason="personal_data")
        pending = reply("1004", "Not looked at yet, says Pendlebury", word="unread")
        bo_here = web_response_record(
            consultation=consultation,
            answers={free_text.pk: "More buses"},
            email=BO,
            user_agent=AGENT,
        )
        _approve(bo_here, admin_user, to_state=ModerationState.APPROVED)
        campaign = CampaignGroup.objects.create(
            consultation=consultation, representative=social, representative_text=social.text
        )
        QuarantinedPayload.objects.create(
            consultation=consultation,
            network="mastodon",
            payload={"id": "1005", "content": PAYLOAD_WORD},
            error="content is not valid HTML",
            fingerprint="a" * 64,
        )
        # Quarantined before its consultation was known: the channel's department decides.
        QuarantinedPayload.objects.create(
            channel=ChannelAccountFactory(department=department),
            network="mastodon",
            payload={"id": "1006", "content": PAYLOAD_WORD},
            error="content is not valid HTML",
            fingerprint="b" * 64,
        )
        later = consultation_with_questions(
            title="Retention later", opens_at=CLOSE - timedelta(days=30), closes_at=LATER_CLOSE
        )
        bo_there = web_response_record(
            consultation=later,
            answers={later.questions.order_by("sort_order", "pk")[0].pk: "Cycle lanes"},
            email=BO,
            user_agent=AGENT,
        )
        _approve(bo_there, admin_user, to_state=ModerationState.APPROVED)
    return {
        "consultation": consultation,
        "later": later,
        "department": department,
        "web": web,
        "social": social,
        "abusive": abusive,
        "personal": personal,
        "pending": pending,
        "bo_here": bo_here,
        "bo_there": bo_there,
        "campaign": campaign,
    }


def _public(client, consultation, references) -> dict[str, str]:
    slug = consultation.slug
    pages = {
        "api": client.get(f"/api/v1/responses/?consultation={slug}").content.decode(),
        "json": b"".join(
            client.get(
                reverse("consultation_responses_json", kwargs={"slug": slug})
            ).streaming_content
        ).decode(),
    }
    for reference in references:
        url = reverse(
            "hubsearch:consultation_response", kwargs={"slug": slug, "reference": reference}
        )
        answer = client.get(url)
        page = answer.content.decode() if answer.status_code == 200 else ""
        pages[reference] = NONCE.sub("", page)  # a fresh CSP nonce each time
    return pages


def _holds(recorded) -> dict[str, bool]:
    """What the record still holds of each kind, the pending response aside."""
    dump = _dump()
    web = Response.objects.get(pk=recorded["web"].pk)
    return {
        "user_agent": web.raw_payload.get("user_agent") == AGENT,
        "raw_payload": PAYLOAD_WORD in dump,
        "original_text": any(word in dump for word in ORIGINAL_WORDS),
        "email": Respondent.objects.filter(email=ADA).exists(),
    }


def _checked_run(at: datetime) -> str:
    """A dry run that changes nothing, the run, and a second run that changes nothing."""
    before = _dump()
    dry = _retention(at, "--dry-run")
    assert "Nothing was changed." in dry
    assert _dump() == before
    said = _retention(at)
    after = _dump()
    again = _retention(at)
    assert "Expired nothing was due" in again
    assert _dump() == after
    return said


def test_each_kind_expires_just_after_its_period_and_the_published_record_stays(recorded, client):
    consultation = recorded["consultation"]
    public_refs = [recorded[name].reference for name in ("web", "social", "bo_here")]
    published = {
        response.pk: (
            response.published_text,
            list(response.answers.order_by("pk").values_list("published_text", flat=True)),
        )
        for response in Response.objects.filter(consultation=consultation)
    }
    public_before = _public(client, consultation, public_refs)
    for reference in public_refs:
        assert reference in public_before["api"]
    assert "[email removed]" in public_before[recorded["social"].reference]
    assert all(_holds(recorded).values())  # planted everywhere (or the test could not fail)

    assert _checked_run(CLOSE - MINUTE) == "Expired nothing was due.\n"
    gone: set[str] = set()
    for kind in sorted(DAYS, key=DAYS.get):
        period = CLOSE + timedelta(days=DAYS[kind])
        _retention(period - MINUTE)
        assert {name for name, held in _holds(recorded).items() if not held} == gone, kind
        said = _checked_run(period + MINUTE)
        gone.add(kind)
        assert {name for name, held in _holds(recorded).items() if not held} == gone, kind
        assert said.startswith("Expired ") and "nothing was due" not in said, said

    # The published record is as it was (nothing, when hidden for personal data), and so
    # is what the public sees.
    published[recorded["personal"].pk] = ("", [])
    for response in Response.objects.filter(consultation=consultation):
        answers = list(response.answers.order_by("pk").values_list("published_text", flat=True))
        assert (response.published_text, answers) == published[response.pk], response.reference
    assert _public(client, consultation, public_refs) == public_before

    # What each response keeps is its redacted wording (nothing, when hidden for personal data).
    social = Response.objects.get(pk=recorded["social"].pk)
    assert social.text == social.published_text == published[social.pk][0]
    assert "[email removed]" in social.text and "Smithers" not in social.text
    assert social.original_expired_at == CLOSE + timedelta(days=DAYS["original_text"]) + MINUTE
    assert not ResponseRevision.objects.filter(response=social).exists()
    manual = [entry for entry in social.redactions if entry["kind"] == "moderator"]
    assert manual and manual[0]["removed_count"] == 1 and "removed" not in manual[0]
    assert all("start" not in entry for entry in social.redactions)
    web = Response.objects.get(pk=recorded["web"].pk)
    assert web.respondent_name == "" and web.raw_payload == {}
    answer = web.answers.get(choices=[])
    assert answer.text == answer.published_text and "[email removed]" in answer.text
    abusive = Response.objects.get(pk=recorded["abusive"].pk)
    assert abusive.text == abusive.published_text and "wombat" in abusive.text
    personal = Response.objects.get(pk=recorded["personal"].pk)
    assert (personal.text, personal.published_text) == ("", "")
    assert personal.moderation_state == ModerationState.HIDDEN
    campaign = CampaignGroup.objects.get(pk=recorded["campaign"].pk)
    assert campaign.representative_text == social.text

    # Redacting again (after a policy change) leaves the expired alone: their removals stay.
    abusive_redactions = abusive.redactions
    call_command("redact_existing", "--all", "--no-progress", stdout=io.StringIO())
    abusive.refresh_from_db()
    assert abusive.redactions == abusive_redactions and len(abusive_redactions) == 1

    # Still pending: no moderator has read it, so it is left whole, and said so.
    pending = Response.objects.get(pk=recorded["pending"].pk)
    assert pending.text == "Not looked at yet, says Pendlebury"
    assert pending.raw_payload == {"id": "1004", "content": "unread"}
    assert "Left whole: 1 responses still pending moderation" in said
    last = RetentionRun.objects.order_by("started_at", "pk").last()
    assert last.held == {str(consultation.pk): 1} and last.finished_at

    # Bo also responded to a consultation still within its period: his email stays until
    # that one's period ends too.
    assert Respondent.objects.filter(email=BO).exists()
    _checked_run(LATER_CLOSE + timedelta(days=365) + MINUTE)
    assert not Respondent.objects.filter(email=BO).exists()


def test_every_expiry_is_audited_per_department_consultation_and_kind(recorded):
    consultation, department = recorded["consultation"], recorded["department"]
    _retention(CLOSE + timedelta(days=DAYS["email"]) + MINUTE)
    run = RetentionRun.objects.get()
    assert run.source == "command" and run.held_pending == 1
    audited = {
        (row.department_id, row.consultation_id, row.kind, row.store): row.rows
        for row in run.expiries.all()
    }
    here = (department.pk, consultation.pk)
    assert audited == {
        (*here, "user_agent", "responses"): 2,
        (*here, "raw_payload", "responses"): 3,
        (*here, "raw_payload", "quarantined payloads"): 1,
        (department.pk, None, "raw_payload", "quarantined payloads"): 1,
        # Web, social, abusive and personal; Bo's words had nothing to redact.
        (*here, "original_text", "responses"): 4,
        (*here, "original_text", "answers"): 1,
        (*here, "original_text", "earlier wordings"): 1,
        (*here, "original_text", "campaign groups"): 1,
        (*here, "email", "respondents"): 1,
    }


def test_one_departments_run_leaves_the_others_alone(recorded):
    other = recorded["later"].department
    after_all = CLOSE + timedelta(days=DAYS["email"]) + MINUTE
    said = _retention(after_all, "--department", other.slug)
    assert said == "Expired nothing was due.\n"
    assert all(_holds(recorded).values())
    assert RetentionRun.objects.get().department == other
    with pytest.raises(CommandError, match="No department has the slug"):
        _retention(after_all, "--department", "nope")


def test_the_beat_runs_it_regularly_without_piling_up(recorded):
    entry = settings.CELERY_BEAT_SCHEDULE["record-apply-retention"]
    assert entry["task"] in celery_app.tasks
    assert 0 < entry["options"]["expires"] <= entry["schedule"]
    with time_machine.travel(CLOSE + timedelta(days=DAYS["user_agent"]) + MINUTE, tick=False):
        counts = apply_retention()
    assert counts == {"user_agent responses": 2}
    assert RetentionRun.objects.get().source == "schedule"
    assert not _holds(recorded)["user_agent"]


def test_the_schedule_is_edited_with_the_department(recorded, admin_client):
    department = recorded["department"]
    url = reverse("wagtailsnippets_consultations_department:edit", args=[department.pk])
    page = admin_client.get(url).content.decode()
    assert "Keep raw payloads for (days)" in page
    answer = admin_client.post(
        url,
        {
            "name": department.name,
            "slug": department.slug,
            "retain_original_text_days": "400",
            "retain_raw_payloads_days": "60",
            "retain_emails_days": "365",
            "retain_user_agents_days": "7",
        },
    )
    assert answer.status_code == 302
    department.refresh_from_db()
    assert (department.retain_raw_payloads_days, department.retain_user_agents_days) == (60, 7)
    defaults = Department.objects.create(name="Defaults", slug="defaults")
    assert (
        defaults.retain_original_text_days,
        defaults.retain_raw_payloads_days,
        defaults.retain_emails_days,
        defaults.retain_user_agents_days,
    ) == (365, 90, 365, 30)
