"""Scheduling deliveries when a consultation is published (no network needed)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from connectors.models import ConsultationChannel, Delivery, DeliveryEventAction, DeliveryKind
from connectors.services import delivery_message, delivery_schedule_for_consultation
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory, consultation_page


def test_publishing_twice_schedules_each_delivery_once(home_page):
    department = DepartmentFactory()
    channel = ChannelAccountFactory(department=department, credentials={"access_token": "t"})
    page = consultation_page(home_page, department, channels=[channel])

    delivery_schedule_for_consultation(page=page)
    delivery_schedule_for_consultation(page=page)

    assert Delivery.objects.filter(consultation=page).count() == 4
    assert (
        Delivery.objects.filter(
            consultation=page, events__action=DeliveryEventAction.SCHEDULED
        ).count()
        == 4
    )


def test_a_moved_closing_date_moves_the_pending_reminders(home_page):
    department = DepartmentFactory()
    channel = ChannelAccountFactory(department=department, credentials={"access_token": "t"})
    page = consultation_page(home_page, department, channels=[channel])
    delivery_schedule_for_consultation(page=page)

    page.closes_at += timedelta(days=10)
    page.save()
    delivery_schedule_for_consultation(page=page)

    reminder = Delivery.objects.get(consultation=page, kind=DeliveryKind.REMINDER_1D)
    assert reminder.due_at == page.closes_at - timedelta(days=1)


def test_reminders_already_past_are_not_scheduled(home_page):
    department = DepartmentFactory()
    channel = ChannelAccountFactory(department=department, credentials={"access_token": "t"})
    now = timezone.now()
    page = consultation_page(
        home_page, department, channels=[channel], closes_at=now + timedelta(days=3)
    )

    deliveries = delivery_schedule_for_consultation(page=page)

    assert sorted(d.kind for d in deliveries) == ["announce", "closed", "reminder_1d"]


def test_inactive_channels_and_other_departments_channels_are_skipped(home_page):
    department = DepartmentFactory()
    inactive = ChannelAccountFactory(
        department=department, is_active=False, credentials={"access_token": "t"}
    )
    foreign = ChannelAccountFactory(credentials={"access_token": "t"})
    page = consultation_page(home_page, department, channels=[inactive])
    # Bypassing validation, as a department change of the page would.
    ConsultationChannel.objects.create(page=page, channel=foreign)

    assert delivery_schedule_for_consultation(page=page) == []


def test_every_message_carries_the_link_and_the_hashtag_but_a_reply_to_one_person(
    home_page, settings
):
    settings.HUB_BASE_URL = "https://consult.example.gov.uk"
    page = consultation_page(home_page, DepartmentFactory(), hashtag="CleanAirZones")

    for kind in DeliveryKind.values:
        message = delivery_message(page=page, kind=kind)
        # The outcome's replies (in the thread, to each respondent) link to "you said, we
        # did"; the rest to the consultation.
        outcome_kinds = (DeliveryKind.OUTCOME, DeliveryKind.RESPONDENT_REPLY)
        path = f"{page.url}summary/" if kind in outcome_kinds else page.url
        assert message.link == f"https://consult.example.gov.uk{path}"
        # A reply to one person carries no hashtag: it is not a post for the campaign.
        hashtag = "" if kind == DeliveryKind.RESPONDENT_REPLY else "CleanAirZones"
        assert message.hashtag == hashtag
        assert page.title.rstrip(".") in message.text
