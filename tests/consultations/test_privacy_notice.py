"""Issue 12: a privacy notice per department, linked from every consultation page, the
form and the footer, editable in the CMS by its own department only."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from wagtail.test.utils.form_data import rich_text

from consultations.models import DEFAULT_LAWFUL_BASIS, PrivacyNotice
from consultations.services import (
    ADMINISTRATOR,
    COMMS_APPROVER,
    COMMS_OFFICER,
    department_member_add,
)
from tests.factories.consultations import (
    ConsultationPageFactory,
    DepartmentFactory,
    UserFactory,
    consultation_with_questions,
)
from tests.factories.search import PublicResponseFactory

ADD_URL = "/admin/snippets/consultations/privacynotice/add/"


def _edit_url(notice: PrivacyNotice) -> str:
    return f"/admin/snippets/consultations/privacynotice/edit/{notice.pk}/"


class _Links(HTMLParser):
    """Every link of a page: its address, its words, and whether it sits in the footer,
    in a form (and before that form's submit button) or in the main content."""

    def __init__(self):
        super().__init__()
        self.links: list[dict] = []
        self._open: list[str] = []
        self._link: dict | None = None
        self._submitted = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("footer", "form", "main"):
            self._open.append(tag)
        if tag == "button" and attributes.get("type") == "submit":
            self._submitted = True
        if tag == "a":
            self._link = {
                "href": attributes.get("href"),
                "text": "",
                "in": set(self._open),
                "before_submit": "form" in self._open and not self._submitted,
            }

    def handle_endtag(self, tag):
        if tag in ("footer", "form", "main") and tag in self._open:
            self._open.remove(tag)
        if tag == "a" and self._link is not None:
            self._link["text"] = " ".join(self._link["text"].split())
            self.links.append(self._link)
            self._link = None

    def handle_data(self, data):
        if self._link is not None:
            self._link["text"] += data


def _links(html: str) -> list[dict]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def _footer_privacy_link(html: str) -> str:
    [link] = [item for item in _links(html) if "footer" in item["in"] and item["text"] == "Privacy"]
    return link["href"]


@pytest.fixture
def transport(db):
    return DepartmentFactory(slug="transport", name="Department for Transport")


@pytest.fixture
def health(db):
    return DepartmentFactory(slug="health", name="Department of Health")


@pytest.fixture
def consultation(index, transport):
    return consultation_with_questions(title="Quieter streets", department=transport)


# --- Where the notice is linked from ---------------------------------------------------


def test_consultation_page_links_to_its_departments_notice_in_the_content_and_footer(
    client, consultation
):
    html = client.get(consultation.url).text

    in_content = [
        link
        for link in _links(html)
        if "main" in link["in"] and link["href"] == "/privacy/transport/"
    ]
    assert [link["text"] for link in in_content] == ["How we use your information"]
    assert _footer_privacy_link(html) == "/privacy/transport/"


def test_response_form_links_to_the_notice_just_before_the_submit_button(client, consultation):
    html = client.get(consultation.url + "respond/").text

    links = _links(html)
    in_form = [link for link in links if "form" in link["in"]]
    assert in_form[-1]["href"] == "/privacy/transport/"
    assert in_form[-1]["text"] == "how we use your information"
    assert in_form[-1]["before_submit"]
    assert _footer_privacy_link(html) == "/privacy/transport/"


def test_a_consultations_record_pages_link_their_departments_notice_in_the_footer(
    client, consultation
):
    response = PublicResponseFactory(consultation=consultation, published_text="Fewer cars")

    for path in (
        f"/consultations/{consultation.slug}/responses/",
        f"/consultations/{consultation.slug}/responses/{response.reference}/",
        f"/consultations/{consultation.slug}/summary/",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert _footer_privacy_link(page.text) == "/privacy/transport/", path


def test_pages_about_no_one_consultation_link_the_hub_wide_notice(client, consultation):
    for path in ("/", "/consultations/", "/search/?q=streets", "/privacy/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert _footer_privacy_link(page.text) == "/privacy/", path


def test_the_links_lead_to_a_notice_with_every_section(client, consultation):
    html = client.get(consultation.url).text
    [href] = {
        link["href"] for link in _links(html) if link["text"] == "How we use your information"
    }

    notice = client.get(href)

    assert notice.status_code == 200
    headings = [
        "What we collect from social networks",
        "What we collect on the response form",
        "Our lawful basis",
        "How long we keep it",
        "How to ask us to erase your response",
        "Who to contact",
    ]
    positions = [notice.text.index(heading) for heading in headings]
    assert positions == sorted(positions)
    assert "Department for Transport" in notice.text


# --- Which notice applies --------------------------------------------------------------


def test_a_departments_own_notice_is_shown_on_its_page(client, transport):
    PrivacyNotice.objects.create(
        department=transport, contact="<p>Write to dpo@transport.example.gov.uk</p>"
    )
    PrivacyNotice.objects.create(department=None, contact="<p>Write to hub-dpo@example.gov.uk</p>")

    page = client.get("/privacy/transport/").text

    assert "dpo@transport.example.gov.uk" in page
    assert "hub-dpo@example.gov.uk" not in page
    assert "has not written its own privacy notice" not in page


def test_a_department_without_a_notice_falls_back_to_the_hub_wide_one(client, transport, health):
    PrivacyNotice.objects.create(
        department=health, contact="<p>Write to dpo@health.example.gov.uk</p>"
    )
    PrivacyNotice.objects.create(department=None, contact="<p>Write to hub-dpo@example.gov.uk</p>")

    page = client.get("/privacy/transport/")

    assert page.status_code == 200
    assert "hub-dpo@example.gov.uk" in page.text
    assert "dpo@health.example.gov.uk" not in page.text
    assert "Department for Transport has not written its own privacy notice yet" in page.text


def test_with_no_notice_written_at_all_the_default_wording_is_shown(client, transport):
    for path in ("/privacy/", "/privacy/transport/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert "the lawful basis is <strong>public task</strong>" in page.text, path


def test_an_unknown_department_has_no_notice_page(client, db):
    assert client.get("/privacy/no-such-department/").status_code == 404


# --- Editing in the CMS ----------------------------------------------------------------


def _officer(username: str, department, role: str):
    user = UserFactory(username=username)
    department_member_add(user=user, department=department, roles=(role,))
    return user


def _form(department, **sections) -> dict:
    fields = {
        name: rich_text(sections.get(name, f"<p>{name} wording</p>"))
        for name in ("social_networks", "web_form", "lawful_basis", "retention", "erasure")
    }
    fields["contact"] = rich_text(sections.get("contact", "<p>Write to us</p>"))
    fields["department"] = department.pk if department is not None else ""
    return fields


def test_a_new_notice_starts_from_the_default_wording(client, roles, transport):
    client.force_login(_officer("transport-admin", transport, ADMINISTRATOR))

    form = client.get(ADD_URL)

    assert form.status_code == 200
    # The rich text editor receives the default as its initial content.
    assert "public task" in form.text
    assert PrivacyNotice().lawful_basis == DEFAULT_LAWFUL_BASIS


def test_a_departments_editor_writes_and_edits_its_own_notice(client, roles, transport):
    client.force_login(_officer("transport-approver", transport, COMMS_APPROVER))

    created = client.post(ADD_URL, _form(transport, contact="<p>Write to dpo@dft.example</p>"))
    notice = PrivacyNotice.objects.get(department=transport)
    edited = client.post(
        _edit_url(notice), _form(transport, contact="<p>Write to privacy@dft.example</p>")
    )

    assert created.status_code == 302
    assert edited.status_code == 302
    assert "privacy@dft.example" in client.get("/privacy/transport/").text


def test_another_departments_editor_cannot_open_or_change_the_notice(
    client, roles, transport, health
):
    notice = PrivacyNotice.objects.create(
        department=transport, contact="<p>Write to dpo@dft.example</p>"
    )
    client.force_login(_officer("health-admin", health, ADMINISTRATOR))

    opened = client.get(_edit_url(notice))
    posted = client.post(_edit_url(notice), _form(health, contact="<p>Write to evil@example</p>"))
    # Nor can they write one for a department that is not theirs.
    created = client.post(ADD_URL, _form(transport, contact="<p>Write to evil@example</p>"))

    assert opened.status_code == 404
    assert posted.status_code == 404
    assert created.status_code == 200  # the form comes back with the refused choice
    notice.refresh_from_db()
    assert notice.department == transport
    assert "dpo@dft.example" in notice.contact
    assert not PrivacyNotice.objects.filter(contact__contains="evil@example").exists()


def test_only_a_superuser_writes_the_hub_wide_notice(client, roles, transport):
    client.force_login(_officer("transport-admin", transport, ADMINISTRATOR))

    refused = client.post(ADD_URL, _form(None, contact="<p>Write to hub@example</p>"))

    assert refused.status_code == 200
    assert "Choose your department" in refused.text
    assert not PrivacyNotice.objects.filter(department__isnull=True).exists()

    client.force_login(UserFactory(username="root", is_superuser=True))
    accepted = client.post(ADD_URL, _form(None, contact="<p>Write to hub@example</p>"))
    second = client.post(ADD_URL, _form(None, contact="<p>Write to another@example</p>"))

    assert accepted.status_code == 302
    assert second.status_code == 200
    assert "There is already a hub-wide privacy notice" in second.text
    assert list(PrivacyNotice.objects.values_list("department", flat=True)) == [None]


def test_a_hub_wide_notice_is_out_of_a_department_editors_reach(client, roles, transport):
    hub_wide = PrivacyNotice.objects.create(department=None, contact="<p>hub@example</p>")
    own = PrivacyNotice.objects.create(department=transport, contact="<p>dft@example</p>")
    client.force_login(_officer("transport-admin", transport, ADMINISTRATOR))

    listing = client.get("/admin/snippets/consultations/privacynotice/")
    moved = client.post(_edit_url(own), _form(None, contact="<p>dft@example</p>"))

    assert client.get(_edit_url(hub_wide)).status_code == 404
    assert "Privacy notice of Department for Transport" in listing.text
    assert "Hub-wide privacy notice" not in listing.text
    assert moved.status_code == 200
    own.refresh_from_db()
    assert own.department == transport


def test_comms_officers_cannot_change_a_notice(client, roles, transport):
    notice = PrivacyNotice.objects.create(department=transport)
    client.force_login(_officer("transport-officer", transport, COMMS_OFFICER))

    response = client.post(_edit_url(notice), _form(transport, contact="<p>changed</p>"))

    assert response.status_code in (302, 403)
    notice.refresh_from_db()
    assert notice.contact != "<p>changed</p>"


def test_administrators_may_grant_the_approver_role_after_the_notice_permissions(
    client, roles, transport
):
    # Approvers and Administrators both change notices, so a department Administrator
    # still holds everything an Approver may do and may grant the role.
    from consultations.permissions import groups_grantable_by

    administrator = _officer("transport-admin", transport, ADMINISTRATOR)

    assert Group.objects.get(name=COMMS_APPROVER) in groups_grantable_by(administrator)


def test_consultation_pages_of_other_departments_link_their_own_notice(client, index, transport):
    health_page = ConsultationPageFactory(
        title="Hospital plans", department=DepartmentFactory(slug="health")
    )

    assert _footer_privacy_link(client.get(health_page.url).text) == "/privacy/health/"


@pytest.mark.django_db
def test_the_notice_states_the_retention_periods_the_schedule_applies(client, home_page):
    department = DepartmentFactory(slug="dft", retain_emails_days=200, retain_user_agents_days=1)

    own = client.get("/privacy/dft/").content.decode()
    hub_wide = client.get("/privacy/").content.decode()

    periods = own[own.index('id="retention-periods"') :]
    assert "The email address you gave on the response form" in periods
    assert "200 days after the consultation closes" in periods
    assert "1 day after the consultation closes" in periods
    # Changing the schedule changes the notice: they cannot drift apart.
    department.retain_emails_days = 45
    department.save()
    assert "45 days after the consultation closes" in client.get("/privacy/dft/").content.decode()
    assert "365 days after the consultation closes" in hub_wide
