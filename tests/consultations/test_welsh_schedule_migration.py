"""The data migrations that bring existing Welsh pages and their pending reminders in step
with their English page once (consultations 0012, connectors 0011): a deployment whose
Welsh dates already differ must not wait for the next publish (docs/adr/0018)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from connectors.models import Delivery, DeliveryKind, DeliveryStatus
from connectors.services import delivery_schedule_for_consultation
from consultations.models import ConsultationPage
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory, consultation_page
from tests.factories.consultations import welsh_translation

# Migrating back drops later migrations' columns (ALTER TABLE), which PostgreSQL refuses
# inside the test's transaction while rows written in it still have deferred checks.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("consultations", "0011_consultation_video_link")


def _migrate(*target: str) -> None:
    call_command("migrate", *target, verbosity=0, stdout=io.StringIO())


@pytest.fixture
def divergent(home_page):
    """An English page and its Welsh one, their reminders scheduled as publishing each does;
    then, at the migration before, the English closing date moved (and its outcome date
    set) without the Welsh page or its reminders following, as before this release."""
    department = DepartmentFactory()
    channel = ChannelAccountFactory(department=department, credentials={"access_token": "t"})
    english = consultation_page(home_page, department, channels=[channel], publish=True)
    welsh = welsh_translation(english)
    delivery_schedule_for_consultation(page=english)
    delivery_schedule_for_consultation(page=welsh)

    _migrate(*BEFORE)
    english.refresh_from_db()
    old_closing = english.closes_at
    moved = {
        "opens_at": english.opens_at - timedelta(days=1),
        "closes_at": old_closing + timedelta(days=14),
        "outcome_published_at": old_closing + timedelta(days=60),
    }
    ConsultationPage.objects.filter(pk=english.pk).update(**moved)
    return english, welsh, old_closing, moved


def _welsh_reminders(english) -> dict[str, object]:
    return {
        delivery.kind: delivery.due_at
        for delivery in Delivery.objects.filter(consultation=english, language="cy").exclude(
            kind=DeliveryKind.ANNOUNCE
        )
    }


def test_migrating_forward_gives_the_live_welsh_page_the_english_dates(divergent):
    english, welsh, old_closing, moved = divergent
    assert ConsultationPage.objects.get(pk=welsh.pk).closes_at == old_closing

    _migrate()

    welsh = ConsultationPage.objects.get(pk=welsh.pk)
    assert welsh.opens_at == moved["opens_at"]
    assert welsh.closes_at == moved["closes_at"]
    # No outcome written in Welsh: no outcome date, the English outcome is linked meanwhile.
    assert welsh.outcome_published_at is None


def test_migrating_forward_gives_a_welsh_page_with_an_outcome_the_outcome_date(divergent):
    english, welsh, _, moved = divergent
    ConsultationPage.objects.filter(pk=welsh.pk).update(
        outcome=[{"type": "rich_text", "value": "<p>Fe ddywedoch chi.</p>", "id": "a1"}]
    )

    _migrate()

    assert (
        ConsultationPage.objects.get(pk=welsh.pk).outcome_published_at
        == moved["outcome_published_at"]
    )


def test_migrating_forward_moves_the_pending_welsh_reminders_only(divergent):
    english, _, old_closing, moved = divergent
    assert _welsh_reminders(english)[DeliveryKind.CLOSED] == old_closing
    sent = Delivery.objects.get(consultation=english, language="cy", kind=DeliveryKind.REMINDER_1D)
    Delivery.objects.filter(pk=sent.pk).update(status=DeliveryStatus.DELIVERED)
    english_closed = Delivery.objects.get(
        consultation=english, language="", kind=DeliveryKind.CLOSED
    )

    _migrate()

    closing = moved["closes_at"]
    assert _welsh_reminders(english) == {
        DeliveryKind.REMINDER_7D: closing - timedelta(days=7),
        DeliveryKind.REMINDER_1D: old_closing - timedelta(days=1),  # sent: its time stays
        DeliveryKind.CLOSED: closing,
    }
    # The English reminders are the English publish's business, not the migration's.
    assert Delivery.objects.get(pk=english_closed.pk).due_at == english_closed.due_at
