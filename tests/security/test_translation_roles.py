"""Issue 16 with issue 11's rule: a department's comms roles create the Welsh version of
their own department's consultations and privacy notice ("Translate", simple_translation),
and never of another department's, nor of the pages every department shares."""

from __future__ import annotations

import pytest
from django.urls import resolve, reverse
from wagtail.models import Locale, Page

from consultations.models import ConsultationIndexPage, ConsultationPage, PrivacyNotice
from tests.security.conftest import World, fresh


@pytest.fixture
def welsh_world(world: World, client) -> World:
    """The two departments, with the Welsh home page and index a translator files under,
    made after the roles were (with "Translate", by a superuser, as in the admin)."""
    Locale.objects.get_or_create(language_code="cy")
    index = ConsultationIndexPage.objects.get(locale=Locale.get_default())
    client.force_login(world.superuser)
    for page in (index.get_parent(), index):
        assert _translate_page(client, page).status_code == 302
    client.logout()
    welsh_index = index.get_translation(Locale.objects.get(language_code="cy"))
    for page in Page.objects.ancestor_of(welsh_index, inclusive=True).filter(depth__gt=1):
        page.specific.save_revision().publish()
    return world


def _translate_page(client, page) -> object:
    return client.post(
        reverse("simple_translation:submit_page_translation", args=[page.pk]),
        {"locales": [Locale.objects.get(language_code="cy").pk]},
    )


def _translate_notice(client, notice) -> object:
    return client.post(
        reverse(
            "simple_translation:submit_snippet_translation",
            args=["consultations", "privacynotice", notice.pk],
        ),
        {"locales": [Locale.objects.get(language_code="cy").pk]},
    )


def _refused(answer) -> bool:
    # Wagtail's admin answers a PermissionDenied with a redirect to the dashboard.
    return answer.status_code == 403 or (
        answer.status_code == 302 and answer["Location"].rstrip("/") == "/admin"
    )


def _welsh_pages_of(page) -> list[Page]:
    return list(
        ConsultationPage.objects.filter(
            translation_key=page.translation_key, locale__language_code="cy"
        )
    )


def test_simple_translation_addresses_reach_the_department_scoped_views():
    page_url = reverse("simple_translation:submit_page_translation", args=[1])
    snippet_url = reverse(
        "simple_translation:submit_snippet_translation",
        args=["consultations", "privacynotice", 1],
    )

    assert resolve(page_url).url_name == "hub_submit_page_translation"
    assert resolve(snippet_url).url_name == "hub_submit_snippet_translation"


@pytest.mark.parametrize("role", ["comms_officer", "comms_approver", "department_admin"])
def test_comms_roles_translate_their_own_departments_consultation(client, welsh_world, role):
    own = welsh_world.own.live
    client.force_login(fresh(welsh_world.own.users[role]))

    answer = _translate_page(client, own)

    [welsh] = _welsh_pages_of(own)
    assert answer.status_code == 302
    assert answer["Location"] == reverse("wagtailadmin_pages:edit", args=[welsh.pk])
    assert welsh.department_id == own.department_id
    assert not welsh.live  # a draft, for the Comms review to publish
    assert welsh.get_parent().locale.language_code == "cy"
    # The translator goes on to write it: the Welsh index carries the roles' permissions.
    assert client.get(answer["Location"]).status_code == 200


@pytest.mark.parametrize("role", ["comms_officer", "comms_approver", "department_admin"])
def test_comms_roles_cannot_translate_another_departments_consultation(client, welsh_world, role):
    other = welsh_world.other.live
    client.force_login(fresh(welsh_world.own.users[role]))

    answer = _translate_page(client, other)

    assert _refused(answer)
    assert _welsh_pages_of(other) == []


@pytest.mark.parametrize("role", ["moderator", "analyst", "channel_manager"])
def test_roles_that_do_not_edit_consultations_cannot_translate_them(client, welsh_world, role):
    own = welsh_world.own.live
    client.force_login(fresh(welsh_world.own.users[role]))

    assert _refused(_translate_page(client, own))
    assert _welsh_pages_of(own) == []


def test_shared_pages_are_translated_by_superusers_only(client, welsh_world):
    """The index with its subtree would copy every department's consultations."""
    index = ConsultationIndexPage.objects.get(locale=Locale.get_default())
    index.get_translations().delete()  # so there is a language left to translate into
    officer = fresh(welsh_world.own.users["comms_officer"])
    client.force_login(officer)

    refused = client.post(
        reverse("simple_translation:submit_page_translation", args=[index.pk]),
        {"locales": [Locale.objects.get(language_code="cy").pk], "include_subtree": "on"},
    )

    assert _refused(refused)
    assert not ConsultationPage.objects.filter(locale__language_code="cy").exists()
    client.force_login(welsh_world.superuser)
    assert _translate_page(client, index).status_code == 302


@pytest.mark.parametrize("role", ["comms_approver", "department_admin"])
def test_notice_editors_translate_their_own_departments_privacy_notice(client, welsh_world, role):
    notice = welsh_world.own.privacy_notice
    client.force_login(fresh(welsh_world.own.users[role]))

    answer = _translate_notice(client, notice)

    welsh = PrivacyNotice.objects.get(
        translation_key=notice.translation_key, locale__language_code="cy"
    )
    assert answer.status_code == 302
    assert welsh.department_id == notice.department_id


@pytest.mark.parametrize("role", ["comms_approver", "department_admin"])
def test_notice_editors_cannot_translate_another_departments_notice(client, welsh_world, role):
    notice = welsh_world.other.privacy_notice
    client.force_login(fresh(welsh_world.own.users[role]))

    assert _refused(_translate_notice(client, notice))
    assert not PrivacyNotice.objects.filter(locale__language_code="cy").exists()


def test_comms_officers_cannot_translate_a_notice_they_may_not_edit(client, welsh_world):
    """A privacy notice is public once saved: those who may not change it (officers) may
    not put a copy of it on the Welsh site either."""
    client.force_login(fresh(welsh_world.own.users["comms_officer"]))

    assert _refused(_translate_notice(client, welsh_world.own.privacy_notice))
    assert not PrivacyNotice.objects.filter(locale__language_code="cy").exists()


def test_translating_a_notice_into_a_language_the_department_already_has_is_refused(
    client, welsh_world
):
    notice = welsh_world.own.privacy_notice
    PrivacyNotice.objects.create(
        department=notice.department,
        locale=Locale.objects.get(language_code="cy"),
        contact="<p>Ysgrifennwch atom</p>",
    )
    client.force_login(fresh(welsh_world.own.users["comms_approver"]))

    answer = _translate_notice(client, notice)

    assert answer.status_code == 200
    assert "There is already a privacy notice for this department in" in answer.text
    assert PrivacyNotice.objects.filter(department=notice.department).count() == 2


def test_the_translations_report_lists_only_the_users_departments(client, welsh_world):
    own, other = welsh_world.own, welsh_world.other
    client.force_login(fresh(own.users["comms_officer"]))

    report = client.get(reverse("hub_translations")).text

    assert own.live.title in report
    assert other.live.title not in report
    assert "Consultations" in report  # the shared index
    client.force_login(welsh_world.superuser)
    assert other.live.title in client.get(reverse("hub_translations")).text
