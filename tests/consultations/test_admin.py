import pytest

from consultations.services import ANALYST, COMMS_OFFICER, department_member_add
from engagement.record.models import Channel
from tests.factories.consultations import ConsultationPageFactory, DepartmentFactory, UserFactory
from tests.factories.record import ResponseFactory


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


def test_consultations_listing_shows_status_and_response_counts(client, admin_user, index):
    busy = ConsultationPageFactory(title="Busy consultation")
    ConsultationPageFactory(title="Quiet consultation")
    for _ in range(3):
        ResponseFactory(consultation=busy)
    client.force_login(admin_user)

    response = client.get("/admin/consultation_pages/")

    assert response.status_code == 200
    rows = {page.title: page for page in response.context["object_list"]}
    assert rows["Busy consultation"].response_count == 3
    assert rows["Quiet consultation"].response_count == 0
    assert "Responses" in response.text
    assert "Open" in response.text


def test_web_response_appears_in_the_admin_listing(client, admin_user, index):
    page = ConsultationPageFactory(title="Quieter streets")
    stored = ResponseFactory(consultation=page, channel=Channel.WEB, external_id=None)
    client.force_login(admin_user)

    listing = client.get("/admin/responses/")
    inspect = client.get(f"/admin/responses/inspect/{stored.pk}/")

    assert listing.status_code == 200
    assert stored.reference in listing.text
    assert "Quieter streets" in listing.text
    assert inspect.status_code == 200
    assert stored.text in inspect.text


def test_response_admin_is_read_only(client, admin_user, index):
    stored = ResponseFactory(consultation=ConsultationPageFactory())
    client.force_login(admin_user)

    assert client.get("/admin/responses/new/").status_code in (302, 403)
    assert client.get(f"/admin/responses/edit/{stored.pk}/").status_code in (302, 403)
    assert client.get(f"/admin/responses/delete/{stored.pk}/").status_code in (302, 403)


def test_analyst_sees_only_own_departments_responses(client, roles, index):
    transport = DepartmentFactory(slug="transport")
    health = DepartmentFactory(slug="health")
    own = ResponseFactory(consultation=ConsultationPageFactory(department=transport))
    other = ResponseFactory(consultation=ConsultationPageFactory(department=health))
    analyst = UserFactory(username="analyst")
    department_member_add(user=analyst, department=transport, roles=(ANALYST,))
    client.force_login(analyst)

    listing = client.get("/admin/responses/")

    assert listing.status_code == 200
    assert own.reference in listing.text
    assert other.reference not in listing.text
    assert client.get(f"/admin/responses/inspect/{own.pk}/").status_code == 200
    assert client.get(f"/admin/responses/inspect/{other.pk}/").status_code == 404


def test_comms_officer_without_record_permission_cannot_open_responses(client, roles, index):
    officer = UserFactory(username="officer")
    department_member_add(
        user=officer, department=DepartmentFactory(slug="transport"), roles=(COMMS_OFFICER,)
    )
    client.force_login(officer)

    response = client.get("/admin/responses/")

    assert response.status_code in (302, 403)
