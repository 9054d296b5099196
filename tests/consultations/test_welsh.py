"""Issue 16: the public site in Welsh (/cy/...), and the translation workflow."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from wagtail.models import GroupPagePermission

from consultations.models import PrivacyNotice
from consultations.translations import (
    MISSING,
    OUT_OF_DATE,
    UP_TO_DATE,
    page_translation_create,
    privacy_notice_translation_create,
    translation_statuses,
    translations_permissions_follow,
)
from engagement.record.models import Response
from tests.factories.consultations import consultation_with_questions, welsh_translation

ENGLISH_PAGE = "/consultations/quieter-streets/"
WELSH_PAGE = "/cy/consultations/quieter-streets/"
WELSH_FORM = WELSH_PAGE + "respond/"


@pytest.fixture
def welsh(open_consultation):
    return welsh_translation(open_consultation)


def _html_lang(text: str) -> str:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", text)
    assert match, "no lang on <html>"
    return match.group(1)


def _alternates(text: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', text))


def _switch_links(text: str) -> dict[str, str]:
    nav = re.search(r'<nav class="hub-language-switch".*?</nav>', text, re.S)
    assert nav, "no language switch"
    return {
        lang: href
        for href, lang in re.findall(
            r'<a class="govuk-link" href="([^"]+)" hreflang="([^"]+)"', nav[0]
        )
    }


def test_english_urls_stay_unprefixed_and_english(client, welsh):
    response = client.get(ENGLISH_PAGE, HTTP_ACCEPT_LANGUAGE="cy")

    assert response.status_code == 200
    assert _html_lang(response.text) == "en-gb"
    assert "Quieter streets" in response.text
    assert "How to respond" in response.text


def test_welsh_page_is_served_under_cy_in_welsh(client, welsh):
    response = client.get(WELSH_PAGE)

    assert response.status_code == 200
    assert _html_lang(response.text) == "cy"
    assert '<h1 class="govuk-heading-xl">Strydoedd tawelach</h1>' in response.text
    assert "Sut i ymateb" in response.text  # "How to respond", from the catalogue
    assert "Neidio i’r prif gynnwys" in response.text  # GOV.UK's Welsh skip link
    assert "Sut rydych chi’n teithio?" in response.text  # the Welsh question


def test_welsh_dates_use_welsh_month_names(client, welsh):
    response = client.get(WELSH_PAGE)

    month = timezone.localtime(welsh.closes_at).month
    welsh_months = [
        "Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin",
        "Gorffennaf", "Awst", "Medi", "Hydref", "Tachwedd", "Rhagfyr",
    ]  # fmt: skip
    assert welsh_months[month - 1] in response.text
    assert re.search(r"\d\d:\d\d ar \d{1,2} ", response.text), "Welsh date-time format"


def test_switch_and_hreflang_link_the_two_versions(client, welsh):
    english = client.get(ENGLISH_PAGE)
    cymraeg = client.get(WELSH_PAGE)

    host = "http://testserver"
    for response in (english, cymraeg):
        assert _alternates(response.text) == {
            "en-gb": host + ENGLISH_PAGE,
            "cy": host + WELSH_PAGE,
        }
    assert _switch_links(english.text) == {"cy": WELSH_PAGE}
    assert _switch_links(cymraeg.text) == {"en-gb": ENGLISH_PAGE}


def test_switch_keeps_the_sub_route(client, welsh):
    response = client.get(WELSH_FORM)

    assert _switch_links(response.text) == {"en-gb": ENGLISH_PAGE + "respond/"}


def test_untranslated_page_switches_to_nearest_welsh_page_without_hreflang(client, welsh):
    consultation_with_questions(title="Bus lanes")

    response = client.get("/consultations/bus-lanes/")

    assert _switch_links(response.text) == {"cy": "/cy/consultations/"}
    assert "cy" not in _alternates(response.text)


def test_non_page_routes_have_a_welsh_version_at_the_same_path(client, welsh):
    english = client.get("/response-status/")
    cymraeg = client.get("/cy/response-status/")

    assert cymraeg.status_code == 200
    assert _html_lang(cymraeg.text) == "cy"
    assert "Beth ddigwyddodd i fy ymateb" in cymraeg.text
    assert _switch_links(english.text) == {"cy": "/cy/response-status/"}
    assert _switch_links(cymraeg.text) == {"en-gb": "/response-status/"}


def test_welsh_index_lists_consultations_in_welsh(client, welsh):
    response = client.get("/cy/consultations/")

    assert response.status_code == 200
    assert "Strydoedd tawelach" in response.text
    assert "1 ymgynghoriad" in response.text
    assert "Ar agor" in response.text  # the status tag


def test_welsh_form_errors_are_in_welsh(client, welsh):
    response = client.post(WELSH_FORM, {"email": "not an address", "publish_name": "on"})

    nothing_answered = client.post(WELSH_FORM, {})

    assert response.status_code == 400
    assert "Mae problem wedi codi" in response.text
    assert "Rhowch gyfeiriad e-bost yn y fformat cywir" in response.text
    assert "Rhowch eich enw, neu dad-diciwch" in response.text
    assert "Gwall:" in response.text
    assert nothing_answered.status_code == 400
    assert "Atebwch o leiaf un cwestiwn" in nothing_answered.text


def test_welsh_web_response_is_recorded_on_the_consultation_tagged_cy(client, welsh):
    english = welsh.source_consultation
    by_text = {q.text: q for q in english.questions.all()}
    welsh_form = client.get(WELSH_FORM).text
    # The form shows Welsh options but records the consultation's own.
    assert 'value="Bus"' in welsh_form and ">Bws</label>" in welsh_form
    assert ">Cytuno’n gryf</label>" in welsh_form

    response = client.post(
        WELSH_FORM,
        {
            f"question_{by_text['How would this affect you?'].pk}": (
                "Bydde’n llawer saffach i’r plant gerdded i’r ysgol."
            ),
            f"question_{by_text['How do you travel?'].pk}": "Bus",
            f"question_{by_text['Do you agree with the proposal?'].pk}": "Agree",
            "consent_to_publish": "on",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == WELSH_FORM + "confirmation/"
    stored = Response.objects.get()
    assert stored.consultation_id == english.pk
    assert stored.language == "cy"
    assert "Sut rydych chi’n teithio?\nBws" in stored.text
    assert {tuple(a.choices) for a in stored.answers.all() if a.choices} == {("Bus",), ("Agree",)}
    confirmation = client.get(response["Location"])
    assert "Ymateb wedi’i anfon" in confirmation.text
    assert _html_lang(confirmation.text) == "cy"


def test_english_web_response_keeps_no_language_hint(client, welsh):
    english = welsh.source_consultation
    question = english.questions.get(text="How would this affect you?")

    client.post(ENGLISH_PAGE + "respond/", {f"question_{question.pk}": "Safer streets."})

    assert Response.objects.get().language == ""


def test_welsh_privacy_notice_is_served_when_translated(client, welsh):
    notice = PrivacyNotice.objects.create()
    english_only = client.get("/cy/privacy/")
    welsh_notice = privacy_notice_translation_create(notice=notice, language_code="cy")
    welsh_notice.contact = "<p>Cysylltwch â’n swyddog diogelu data: dpo@example.gov.uk</p>"
    welsh_notice.save()

    translated = client.get("/cy/privacy/")

    assert "Sut rydym yn defnyddio eich gwybodaeth" in english_only.text  # Welsh interface
    assert "Cysylltwch â’n swyddog diogelu data" not in english_only.text
    assert "Cysylltwch â’n swyddog diogelu data" in translated.text
    assert "Cysylltwch" not in client.get("/privacy/").text


def test_welsh_privacy_page_with_no_notice_written_shows_the_default_wording_in_welsh(
    client, welsh
):
    assert not PrivacyNotice.objects.exists()

    welsh_page = client.get("/cy/privacy/").text
    english_page = client.get("/privacy/").text

    assert "Swyddfa’r Comisiynydd Gwybodaeth" in welsh_page
    assert "<strong>tasg gyhoeddus</strong>" in welsh_page
    assert "Information Commissioner" not in welsh_page
    assert "We collect and use this information" not in welsh_page
    assert "Information Commissioner" in english_page
    assert "Swyddfa’r Comisiynydd" not in english_page


def test_status_page_speaks_welsh(client, welsh):
    response = client.post("/cy/response-status/", {"reference": "nonsense"})

    assert "Rhowch eich cyfeirnod yn y fformat HUB-XXXX-XXXX" in response.text


def test_feeds_of_the_welsh_index_are_welsh(client, welsh):
    feed = client.get("/cy/consultations/feed/")

    assert feed.status_code == 200
    text = feed.content.decode()
    assert "<language>cy</language>" in text
    assert "Strydoedd tawelach (Ar agor)" in text


def test_translation_workflow_marks_a_changed_english_source_out_of_date(welsh):
    english = welsh.source_consultation

    def status_of(page):
        rows = translation_statuses(language_code="cy")
        return next(row.status for row in rows if row.source.pk == page.pk)

    assert status_of(english) == UP_TO_DATE

    english.summary = "Should every residential street have a 20mph limit?"
    english.save_revision().publish()

    assert status_of(english) == OUT_OF_DATE

    welsh.refresh_from_db()
    welsh.summary = "A ddylai pob stryd breswyl gael terfyn o 20mya?"
    welsh.save_revision().publish()

    assert status_of(english) == UP_TO_DATE


def test_translation_workflow_shows_what_is_missing(welsh):
    untranslated = consultation_with_questions(title="Bus lanes")
    notice = PrivacyNotice.objects.create()

    rows = {row.source: row.status for row in translation_statuses(language_code="cy")}

    assert rows[untranslated] == MISSING
    assert rows[notice] == MISSING


def test_privacy_notice_translation_goes_out_of_date_when_english_changes(db):
    notice = PrivacyNotice.objects.create()
    welsh_notice = privacy_notice_translation_create(notice=notice, language_code="cy")

    def status():
        rows = translation_statuses(language_code="cy")
        return next(row.status for row in rows if row.source == notice)

    assert status() == UP_TO_DATE
    notice.contact = "<p>dpo@example.gov.uk</p>"
    notice.save()
    assert status() == OUT_OF_DATE
    welsh_notice.contact = "<p>Cysylltwch: dpo@example.gov.uk</p>"
    welsh_notice.save()
    assert status() == UP_TO_DATE


def test_privacy_notice_out_of_date_names_the_one_english_section_that_changed(db):
    notice = PrivacyNotice.objects.create()
    welsh_notice = privacy_notice_translation_create(notice=notice, language_code="cy")
    welsh_notice.retention = "<p>Rydym yn cadw’r hyn a gasglwyd am flwyddyn.</p>"
    welsh_notice.save()

    def row():
        return next(r for r in translation_statuses(language_code="cy") if r.source == notice)

    notice.save()  # saved again with nothing changed: nothing to translate
    assert (row().status, row().changed_fields) == (UP_TO_DATE, ())

    notice.retention = "<p>We keep what we collected for two years.</p>"
    notice.save()
    assert (row().status, row().changed_fields) == (OUT_OF_DATE, ("How long we keep it",))

    welsh_notice.retention = "<p>Rydym yn cadw’r hyn a gasglwyd am ddwy flynedd.</p>"
    welsh_notice.save()
    assert (row().status, row().changed_fields) == (UP_TO_DATE, ())


def test_translations_report_lists_states_for_comms_staff(admin_client, welsh):
    english = welsh.source_consultation
    english.summary = "Should every residential street have a 20mph limit?"
    english.save_revision().publish()

    response = admin_client.get("/admin/translations/")

    assert response.status_code == 200
    row = re.search(r'<tr data-status="out_of_date">.*?</tr>', response.text, re.S)
    assert row, "no out-of-date row"
    assert "Quieter streets" in row[0]
    changed = re.search(r'<td class="changed-fields">(.*?)</td>', row[0], re.S)[1]
    assert re.findall(r"<li>(.*?)</li>", changed) == ["Summary"]


def _row_for(page):
    return next(row for row in translation_statuses(language_code="cy") if row.source.pk == page.pk)


def test_out_of_date_names_the_one_english_field_that_changed(welsh):
    english = welsh.source_consultation
    assert _row_for(english).changed_fields == ()

    english.title = "Quieter residential streets"
    english.save_revision().publish()

    row = _row_for(english)
    assert row.status == OUT_OF_DATE
    assert row.changed_fields == ("Title",)


def test_out_of_date_names_a_changed_question_option_and_a_changed_body_block(welsh):
    english = welsh.source_consultation
    english.body = [
        ("rich_text", "<p>Slower traffic.</p>"),
        ("rich_text", "<p>Fewer accidents.</p>"),
    ]
    english.save_revision().publish()
    welsh.refresh_from_db()
    welsh.body = [("rich_text", "<p>Traffig arafach.</p>"), ("rich_text", "<p>Llai.</p>")]
    welsh.save_revision().publish()
    assert _row_for(english).status == UP_TO_DATE

    english = type(english).objects.get(pk=english.pk)
    blocks = english.body.get_prep_value()  # as an editor's form sends them: ids kept
    blocks[1]["value"] = "<p>Fewer accidents near schools.</p>"
    english.body = blocks
    questions = list(english.questions.all())
    for question in questions:
        if question.text == "How do you travel?":
            question.options = "Car\nBus\nBicycle\nOn foot"
    english.questions = questions  # into the revision, as the editor's inline panel does
    english.save_revision().publish()

    row = _row_for(english)
    assert row.status == OUT_OF_DATE
    assert row.changed_fields == ("Body: block 2 (Rich text)", "Question 2: options")


def test_english_republished_with_nothing_to_translate_leaves_the_welsh_up_to_date(welsh):
    english = welsh.source_consultation
    english.hashtag = "QuieterStreets"  # the Welsh page does not show it
    english.save_revision().publish()

    row = _row_for(english)
    assert row.status == UP_TO_DATE
    assert row.changed_fields == ()


def test_a_translated_index_gets_the_english_ones_role_permissions_and_review(roles, index):
    def grants(page):
        return set(
            GroupPagePermission.objects.filter(page=page).values_list(
                "group__name", "permission__codename"
            )
        )

    welsh_index = page_translation_create(page=index, language_code="cy")
    assert grants(welsh_index) == set()  # made after the roles were

    translations_permissions_follow(page=index)

    assert grants(welsh_index) == grants(index) != set()
    assert welsh_index.get_workflow().name == "Comms review"
