"""Issue 16: a Welsh page's schedule follows its English page, so the Welsh form is open
exactly while the English one is (docs/adr/0018)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from connectors.models import Delivery, DeliveryKind
from connectors.services import delivery_schedule_for_consultation
from consultations.models import ConsultationPage, ConsultationStatus
from consultations.selectors import consultation_outcome_page
from consultations.translations import OUT_OF_DATE, UP_TO_DATE, translation_statuses
from tests.factories.connectors import ChannelAccountFactory, DepartmentFactory, consultation_page
from tests.factories.consultations import welsh_translation

WELSH_FORM = "/cy/consultations/quieter-streets/respond/"
WELSH_PAGE = "/cy/consultations/quieter-streets/"


@pytest.fixture
def welsh(open_consultation):
    return welsh_translation(open_consultation)


def _english(welsh: ConsultationPage) -> ConsultationPage:
    return ConsultationPage.objects.get(pk=welsh.source_consultation.pk)


def _extend(english: ConsultationPage, *, days: int) -> None:
    english.closes_at += timedelta(days=days)
    english.save_revision().publish()


def _row_for(page):
    return next(row for row in translation_statuses(language_code="cy") if row.source.pk == page.pk)


def test_extending_the_english_closing_date_keeps_the_welsh_form_open_past_the_old_one(
    client, welsh
):
    english = _english(welsh)
    old_closing = english.closes_at
    translated_at = welsh.last_published_at

    _extend(english, days=14)

    welsh.refresh_from_db()
    assert welsh.closes_at == old_closing + timedelta(days=14)
    assert welsh.opens_at == english.opens_at
    assert welsh.last_published_at == translated_at  # its words as the translator left them
    with time_machine.travel(old_closing + timedelta(days=1), tick=False):
        form = client.get(WELSH_FORM)
        english_form = client.get("/consultations/quieter-streets/respond/")
    assert form.status_code == 200
    assert '<form method="post"' in form.text  # open, not "Mae’r ymgynghoriad hwn wedi cau"
    assert '<form method="post"' in english_form.text
    assert "Strydoedd tawelach" in form.text


def test_an_earlier_welsh_revision_published_later_keeps_the_english_dates(client, welsh):
    english = _english(welsh)
    welsh = ConsultationPage.objects.get(pk=welsh.pk)
    earlier_live = welsh.live_revision
    welsh.summary = "A ddylai pob stryd breswyl gael terfyn o 20mya?"
    draft = welsh.save_revision()  # written while the old dates stood
    new_opening = english.opens_at - timedelta(days=1)
    english.opens_at = new_opening
    _extend(english, days=21)

    draft.publish()
    welsh.refresh_from_db()
    assert welsh.summary == "A ddylai pob stryd breswyl gael terfyn o 20mya?"
    assert (welsh.opens_at, welsh.closes_at) == (new_opening, english.closes_at)

    earlier_live.publish()  # a translator rolls back to the revision before
    welsh.refresh_from_db()
    assert (welsh.opens_at, welsh.closes_at) == (new_opening, english.closes_at)


def test_the_translations_report_does_not_ask_the_translator_to_follow_the_dates(welsh):
    english = _english(welsh)

    _extend(english, days=14)

    row = _row_for(english)
    assert row.status == UP_TO_DATE
    assert row.changed_fields == ()

    english.summary = "Should every residential street have a 20mph limit?"
    _extend(english, days=7)
    row = _row_for(english)
    assert row.status == OUT_OF_DATE
    assert row.changed_fields == ("Summary",)  # the words, not the dates


def test_the_welsh_outcome_shows_with_the_english_one_once_it_is_written(client, welsh):
    english = _english(welsh)
    now = timezone.now()
    english.closes_at = now - timedelta(hours=1)
    english.outcome = [("rich_text", "<p>We will slow traffic near schools.</p>")]
    english.outcome_published_at = now - timedelta(minutes=1)
    english.save_revision().publish()

    welsh.refresh_from_db()
    # Closed with the English page, but no empty "you said, we did": the English outcome
    # is the one shown and linked until the Welsh one is written.
    assert welsh.closes_at == english.closes_at
    assert welsh.outcome_published_at is None
    assert welsh.status == ConsultationStatus.CLOSED
    assert consultation_outcome_page(english, language_code="cy").pk == english.pk

    welsh = ConsultationPage.objects.get(pk=welsh.pk)
    welsh.outcome = [("rich_text", "<p>Byddwn yn arafu traffig ger ysgolion.</p>")]
    welsh.save_revision().publish()

    welsh.refresh_from_db()
    assert welsh.outcome_published_at == english.outcome_published_at
    assert consultation_outcome_page(english, language_code="cy").pk == welsh.pk
    page = client.get(WELSH_PAGE)
    assert "Byddwn yn arafu traffig ger ysgolion." in page.text


def test_a_draft_welsh_page_takes_the_english_dates_when_published(welsh):
    english = _english(welsh)
    ConsultationPage.objects.filter(pk=welsh.pk).update(live=False)
    _extend(english, days=14)
    welsh.refresh_from_db()
    assert welsh.closes_at != english.closes_at  # only live translations are copied to

    welsh.save_revision().publish()

    welsh.refresh_from_db()
    assert welsh.closes_at == english.closes_at


def test_the_welsh_editor_shows_the_schedule_as_the_english_pages(admin_client, welsh):
    english = _english(welsh)
    ConsultationPage.objects.filter(pk=welsh.pk).update(
        closes_at=english.closes_at - timedelta(days=3)
    )  # a row from before the schedule followed

    welsh_editor = admin_client.get(f"/admin/pages/{welsh.pk}/edit/")
    english_editor = admin_client.get(f"/admin/pages/{english.pk}/edit/")

    def closes_input(response):
        found = re.search(r'<input[^>]*name="closes_at"[^>]*>', response.text)
        assert found, "no closes_at input"
        return found[0]

    assert "disabled" in closes_input(welsh_editor)
    assert "Follows the English page: change it there." in welsh_editor.text
    assert "disabled" not in closes_input(english_editor)
    assert "Follows the English page" not in english_editor.text
    shown = re.search(r'value="([^"]*)"', closes_input(welsh_editor))[1]
    assert shown == timezone.localtime(english.closes_at).strftime("%Y-%m-%d %H:%M")


def test_the_welsh_reminders_move_with_the_english_closing_date(home_page):
    department = DepartmentFactory()
    channel = ChannelAccountFactory(department=department, credentials={"access_token": "t"})
    english = consultation_page(home_page, department, channels=[channel], publish=True)
    welsh = welsh_translation(english)
    delivery_schedule_for_consultation(page=english)
    delivery_schedule_for_consultation(page=welsh)  # as publishing each page does
    english = ConsultationPage.objects.get(pk=english.pk)

    _extend(english, days=14)
    delivery_schedule_for_consultation(page=english)  # publishing the English page only

    welsh_reminders = Delivery.objects.filter(
        consultation=english,
        language="cy",
        kind__in=[DeliveryKind.REMINDER_7D, DeliveryKind.CLOSED],
    )
    assert {reminder.kind: reminder.due_at for reminder in welsh_reminders} == {
        DeliveryKind.REMINDER_7D: english.closes_at - timedelta(days=7),
        DeliveryKind.CLOSED: english.closes_at,
    }


def test_the_welsh_page_expires_with_the_english_one(client, welsh):
    english = _english(welsh)
    expires = timezone.now() + timedelta(days=3)
    ConsultationPage.objects.filter(pk=english.pk).update(expire_at=expires)

    before = client.get(WELSH_PAGE)
    with time_machine.travel(expires + timedelta(minutes=1), tick=False):
        after = client.get(WELSH_PAGE)
        form = client.get(WELSH_FORM)
        english_after = client.get("/consultations/quieter-streets/")

    assert before.status_code == 200
    # Before publish_scheduled has unpublished either page: gone in both languages at once.
    assert (after.status_code, form.status_code, english_after.status_code) == (404, 404, 404)
    assert ConsultationPage.objects.get(pk=welsh.pk).expire_at is None  # its own is untouched
