import pytest
from django.contrib.auth.models import Permission
from wagtail.models import Page
from wagtail.permissions import policy_registry

from consultations.models import ConsultationPage
from consultations.services import (
    ADMINISTRATOR,
    ANALYST,
    COMMS_OFFICER,
    MODERATOR,
    department_member_add,
)
from tests.factories.consultations import (
    ConsultationPageFactory,
    DepartmentFactory,
    UserFactory,
)


@pytest.fixture
def transport(db):
    return DepartmentFactory(name="Department for Transport", slug="transport")


@pytest.fixture
def health(db):
    return DepartmentFactory(name="Department of Health", slug="health")


@pytest.fixture
def officer_a(roles, transport):
    user = UserFactory(username="officer-a")
    department_member_add(user=user, department=transport, roles=(COMMS_OFFICER,))
    return user


@pytest.fixture
def draft_a(transport):
    return ConsultationPageFactory(title="Quieter streets", department=transport, live=False)


@pytest.fixture
def draft_b(health):
    return ConsultationPageFactory(title="Secret hospital plans", department=health, live=False)


def test_officer_can_edit_own_departments_draft_but_not_anothers(officer_a, draft_a, draft_b):
    assert draft_a.permissions_for_user(officer_a).can_edit()
    assert not draft_b.permissions_for_user(officer_a).can_edit()
    assert not draft_b.permissions_for_user(officer_a).can_delete()
    assert not draft_b.permissions_for_user(officer_a).can_view_revisions()


def test_officer_gets_no_editor_for_another_departments_draft(client, officer_a, draft_a, draft_b):
    client.force_login(officer_a)

    own = client.get(f"/admin/pages/{draft_a.pk}/edit/")
    other = client.get(f"/admin/pages/{draft_b.pk}/edit/")

    assert own.status_code == 200
    assert other.status_code in (302, 403)
    assert "Secret hospital plans" not in getattr(other, "text", "")


def test_officer_cannot_post_edits_to_another_departments_draft(client, officer_a, draft_b):
    client.force_login(officer_a)

    client.post(f"/admin/pages/{draft_b.pk}/edit/", {"title": "Hijacked", "slug": "hijacked"})

    draft_b.refresh_from_db()
    assert draft_b.title == "Secret hospital plans"
    assert draft_b.revisions.count() == 0


def test_explorer_lists_only_own_departments_consultations(
    client, officer_a, draft_a, draft_b, index
):
    client.force_login(officer_a)

    response = client.get(f"/admin/pages/{index.pk}/")

    assert response.status_code == 200
    assert "Quieter streets" in response.text
    assert "Secret hospital plans" not in response.text


def test_page_chooser_hides_other_departments_drafts_but_not_their_live_pages(
    client, officer_a, draft_a, draft_b, health, index
):
    ConsultationPageFactory(title="Published health consultation", department=health)
    client.force_login(officer_a)

    response = client.get(f"/admin/choose-page/{index.pk}/")

    assert response.status_code == 200
    assert "Quieter streets" in response.text
    assert "Published health consultation" in response.text
    assert "Secret hospital plans" not in response.text


def test_consultations_listing_hides_other_departments(client, officer_a, draft_a, draft_b):
    client.force_login(officer_a)

    response = client.get("/admin/consultation_pages/")

    assert response.status_code == 200
    assert "Quieter streets" in response.text
    assert "Secret hospital plans" not in response.text


def test_new_consultation_form_offers_only_the_officers_departments(
    client, officer_a, transport, health, index
):
    client.force_login(officer_a)

    response = client.get(f"/admin/pages/add/consultations/consultationpage/{index.pk}/")

    assert response.status_code == 200
    departments = list(response.context["form"].fields["department"].queryset)
    assert departments == [transport]


def test_officer_without_a_department_cannot_edit_any_consultation(roles, draft_a):
    user = UserFactory(username="floating")
    user.groups.add(roles[COMMS_OFFICER])

    assert not draft_a.permissions_for_user(user).can_edit()


def test_superuser_edits_every_department(draft_a, draft_b):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)

    assert draft_a.permissions_for_user(admin).can_edit()
    assert draft_b.permissions_for_user(admin).can_publish()


@pytest.mark.parametrize("role", [MODERATOR, ANALYST])
def test_moderators_and_analysts_cannot_write_consultations(roles, transport, draft_a, role):
    user = UserFactory(username=f"user-{role}")
    department_member_add(user=user, department=transport, roles=(role,))

    tester = draft_a.permissions_for_user(user)
    assert not tester.can_edit()
    assert not tester.can_publish()
    assert not draft_a.get_parent().permissions_for_user(user).can_add_subpage()


def test_roles_carry_the_record_permissions_later_work_needs(roles, transport):
    moderator = UserFactory(username="mod")
    analyst = UserFactory(username="analyst")
    admin = UserFactory(username="dept-admin")
    department_member_add(user=moderator, department=transport, roles=(MODERATOR,))
    department_member_add(user=analyst, department=transport, roles=(ANALYST,))
    department_member_add(user=admin, department=transport, roles=(ADMINISTRATOR,))

    assert moderator.has_perm("record.moderate_response")
    assert not moderator.has_perm("record.export_response")
    assert analyst.has_perm("record.export_response")
    assert not analyst.has_perm("record.moderate_response")
    assert admin.has_perm("consultations.add_department")
    assert Permission.objects.filter(group__name=COMMS_OFFICER, codename="access_admin").exists()


def test_department_administrator_publishes_own_department_only(roles, transport, draft_a, draft_b):
    admin = UserFactory(username="dept-admin")
    department_member_add(user=admin, department=transport, roles=(ADMINISTRATOR,))

    assert draft_a.permissions_for_user(admin).can_publish()
    assert not draft_b.permissions_for_user(admin).can_publish()
    assert ConsultationPage.objects.count() == 2


def test_page_policy_behind_admin_search_and_listings_leaves_out_other_departments(
    officer_a, draft_a, draft_b
):
    # The admin's page search, explorer and listings all filter through this policy;
    # it is tested directly so the test does not depend on the search backend.
    policy = policy_registry.get_by_type(Page)

    explorable = policy.explorable_instances(officer_a)
    editable = policy.instances_user_has_any_permission_for(officer_a, {"change"})

    assert explorable.filter(pk=draft_a.pk).exists()
    assert not explorable.filter(pk=draft_b.pk).exists()
    assert editable.filter(pk=draft_a.pk).exists()
    assert not editable.filter(pk=draft_b.pk).exists()
    assert not policy.user_has_permission_for_instance(officer_a, "change", draft_b.page_ptr)
    assert policy.user_has_permission_for_instance(officer_a, "change", draft_a.page_ptr)
