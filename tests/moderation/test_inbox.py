"""The moderation inbox in the Wagtail admin, used as a moderator would (no JavaScript)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from engagement.moderation.models import ModerationDecision
from engagement.moderation.services import response_published_fields
from engagement.record.models import ModerationState
from tests.factories.consultations import ConsultationPageFactory
from tests.factories.record import ResponseFactory

pytestmark = pytest.mark.django_db

INBOX = reverse("moderation:inbox")


def _response(consultation, text, **fields):
    published = response_published_fields(consultation=consultation, text=text)
    return ResponseFactory(consultation=consultation, text=text, **{**published, **fields})


@pytest.fixture
def as_moderator(client, moderator):
    client.force_login(moderator)
    return client


def test_inbox_shows_original_with_removals_highlighted_beside_the_published_text(
    as_moderator, consultation
):
    _response(consultation, "Call me on 07700 900123 please")

    page = as_moderator.get(INBOX)

    assert page.status_code == 200
    html = page.content.decode()
    assert '<mark class="hub-removal" title="Removed as phone">' in html
    assert "07700 900123</span>" not in html  # the number sits inside the highlight
    assert "07700 900123" in html
    assert "Call me on [phone number removed] please" in html


def test_inbox_lists_only_the_moderators_departments(as_moderator, consultation, home_page):
    _response(consultation, "Ours")
    _response(ConsultationPageFactory(title="Somebody elses"), "Not ours at all")

    html = as_moderator.get(INBOX).content.decode()

    assert "Ours" in html
    assert "Not ours at all" not in html


def test_inbox_is_refused_to_officers_without_the_moderator_role(client, analyst, consultation):
    _response(consultation, "Only for moderators")
    client.force_login(analyst)

    page = client.get(INBOX)

    # Wagtail turns a refusal into a redirect to the dashboard with a message.
    assert page.status_code == 302
    assert page.url == reverse("wagtailadmin_home")
    assert "Only for moderators" not in client.get(page.url).content.decode()


def test_inbox_opens_on_pending_responses(as_moderator, consultation):
    _response(consultation, "Waiting for you")
    _response(consultation, "Already out", moderation_state=ModerationState.APPROVED)

    html = as_moderator.get(INBOX).content.decode()

    assert "Waiting for you" in html
    assert "Already out" not in html


def test_inbox_filters_by_channel_flag_date_and_text(as_moderator, consultation):
    now = timezone.now()
    _response(consultation, "Buses please", channel="x")
    _response(consultation, "Shit idea", received_at=now - timedelta(days=10))
    _response(consultation, "Cycle lanes, a good idea")

    def listed(**query):
        return as_moderator.get(INBOX, {"state": "", **query}).content.decode()

    assert "Buses please" in listed(channel="x")
    assert "Cycle lanes" not in listed(channel="x")
    flagged = listed(flagged="yes")
    assert "Shit idea" in flagged and "Buses please" not in flagged
    assert "Shit idea" not in listed(flagged="no")
    recent = listed(received_from=(now - timedelta(days=1)).date().isoformat())
    assert "Shit idea" not in recent and "Cycle lanes" in recent
    assert "Cycle lanes" in listed(q="CYCLE")
    assert "Buses please" not in listed(q="cycle")


def test_bulk_hide_needs_a_reason_and_changes_nothing_without_one(as_moderator, consultation):
    response = _response(consultation, "Buy cheap watches")

    page = as_moderator.post(INBOX, {"response": [response.pk], "action": "hide"}, follow=True)

    assert "Choose why the response is hidden." in page.content.decode()
    response.refresh_from_db()
    assert response.moderation_state == ModerationState.PENDING
    assert not ModerationDecision.objects.exists()


def test_bulk_hide_and_approve_from_the_inbox_are_audited(as_moderator, consultation, moderator):
    spam = [_response(consultation, f"Buy cheap watches {n}") for n in range(2)]
    good = _response(consultation, "Good plan")

    as_moderator.post(
        INBOX,
        {"response": [r.pk for r in spam], "action": "hide", "reason": "spam", "note": "Bots"},
    )
    page = as_moderator.post(INBOX, {"response": [good.pk], "action": "approve"}, follow=True)

    assert "Approved 1 response." in page.content.decode()
    decisions = ModerationDecision.objects.order_by("pk")
    assert [(d.response_id, d.to_state, d.reason, d.decided_by) for d in decisions] == [
        (spam[0].pk, "hidden", "spam", moderator),
        (spam[1].pk, "hidden", "spam", moderator),
        (good.pk, "approved", "", moderator),
    ]


def test_bulk_post_for_another_departments_response_changes_nothing(
    as_moderator, consultation, home_page
):
    theirs = _response(ConsultationPageFactory(title="Elsewhere"), "Theirs")

    page = as_moderator.post(INBOX, {"response": [theirs.pk], "action": "approve"}, follow=True)

    assert "You cannot moderate responses to “Elsewhere”" in page.content.decode()
    theirs.refresh_from_db()
    assert theirs.moderation_state == ModerationState.PENDING


def test_response_page_shows_the_audit_trail_and_takes_a_decision(
    as_moderator, consultation, moderator
):
    response = _response(consultation, "Off topic rambling")
    url = reverse("moderation:response", args=[response.pk])

    page = as_moderator.post(
        url, {"form": "moderate", "action": "hide", "reason": "off_topic", "note": "Not about it"}
    )
    assert page.status_code == 302

    html = as_moderator.get(url).content.decode()
    assert "Pending → Hidden" in html
    assert "Not about it" in html
    assert str(moderator) in html


def test_response_page_redacts_further(as_moderator, consultation):
    response = _response(consultation, "My neighbour Jo agrees")
    url = reverse("moderation:response", args=[response.pk])

    as_moderator.post(
        url,
        {
            "form": "redact",
            "published_text": "My neighbour [name removed] agrees",
            "note": "A private individual",
        },
    )
    refused = as_moderator.post(
        url,
        {"form": "redact", "published_text": "My neighbour disagrees", "note": "x"},
        follow=True,
    ).content.decode()

    response.refresh_from_db()
    assert response.published_text == "My neighbour [name removed] agrees"
    assert "“disagrees” is not in the published text" in refused


def test_response_page_of_another_department_is_not_found(as_moderator, home_page):
    theirs = _response(ConsultationPageFactory(title="Elsewhere"), "Theirs")

    page = as_moderator.get(reverse("moderation:response", args=[theirs.pk]))

    assert page.status_code == 404


def test_accountability_counts_show_on_the_inbox_and_dashboard(as_moderator, consultation):
    _response(consultation, "One", moderation_state=ModerationState.APPROVED)
    _response(
        consultation, "Two", moderation_state=ModerationState.HIDDEN, moderation_reason="spam"
    )
    _response(consultation, "Three")

    for url in (f"{INBOX}?consultation={consultation.pk}", reverse("wagtailadmin_home")):
        html = as_moderator.get(url).content.decode()
        assert "What became of the responses" in html
        assert "spam 1" in html


def test_consultation_editor_has_the_moderation_policy_switches(client, consultation):
    from tests.factories.consultations import UserFactory

    client.force_login(UserFactory(username="admin", is_superuser=True, is_staff=True))

    html = client.get(reverse("wagtailadmin_pages:edit", args=[consultation.pk])).content.decode()

    assert "Moderation" in html
    assert 'name="auto_approve_responses"' in html
    assert 'name="redact_private_mentions"' in html
