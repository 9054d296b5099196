"""The officer dashboard: live figures for one's departments, engagement per post, theme edits."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from connectors.models import Delivery, DeliveryKind, DeliveryPost, DeliveryStatus
from connectors.selectors import engagement_per_delivery
from consultations.models import DepartmentMembership
from consultations.services import roles_ensure
from engagement.analysis.models import Theme, ThemeEdit
from engagement.analysis.services import analysis_run
from tests.factories.connectors import ChannelAccountFactory
from tests.factories.consultations import ConsultationPageFactory, UserFactory, consultation_index
from tests.factories.record import ResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(seeded):
    groups = roles_ensure(index_page=consultation_index())
    user = UserFactory()
    user.groups.add(Group.objects.get(name=next(name for name in groups if "nalyst" in name)))
    DepartmentMembership.objects.create(user=user, department=seeded.consultation.department)
    return user


def _dashboard(consultation) -> str:
    return f"/admin/analysis/{consultation.pk}/"


def test_analyst_sees_the_figures_of_their_departments_consultation(client, seeded, analyst):
    analysis_run(consultation=seeded.consultation, seed=0)
    client.force_login(analyst)

    page = client.get(_dashboard(seeded.consultation))

    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('<svg class="hub-chart" role="img"') == 7
    assert "Engagement per delivered post" in html
    assert seeded.consultation.title in client.get("/admin/analysis/").content.decode()


def test_analyst_cannot_open_another_departments_consultation(client, seeded, analyst):
    other = ConsultationPageFactory()
    client.force_login(analyst)

    assert client.get(_dashboard(other)).status_code == 404


def test_an_officer_without_the_analyst_role_is_refused(client, seeded):
    officer = UserFactory()
    DepartmentMembership.objects.create(user=officer, department=seeded.consultation.department)
    client.force_login(officer)

    assert client.get(_dashboard(seeded.consultation)).status_code in (302, 403)


def test_rename_from_the_dashboard_is_kept_and_audited(client, seeded, analyst):
    analysis_run(consultation=seeded.consultation, seed=0)
    theme = Theme.objects.filter(consultation=seeded.consultation).first()
    client.force_login(analyst)

    client.post(
        _dashboard(seeded.consultation),
        {"action": "rename", "theme": theme.pk, "label": "Air quality"},
    )

    theme.refresh_from_db()
    assert theme.analyst_label == "Air quality"
    edit = ThemeEdit.objects.get(theme=theme)
    assert (edit.action, edit.edited_by) == ("rename", analyst)


def test_assign_by_unknown_reference_changes_nothing_and_says_why(client, seeded, analyst):
    analysis_run(consultation=seeded.consultation, seed=0)
    theme = Theme.objects.filter(consultation=seeded.consultation).first()
    client.force_login(analyst)

    page = client.post(
        _dashboard(seeded.consultation),
        {"action": "assign", "theme": theme.pk, "references": "HUB-NOPE"},
        follow=True,
    )

    assert "not found: HUB-NOPE" in page.content.decode()
    assert not ThemeEdit.objects.exists()


def test_engagement_per_delivered_post_counts_replies_to_its_parts(seeded):
    consultation = seeded.consultation
    channel = ChannelAccountFactory(department=consultation.department)
    delivery = Delivery.objects.create(
        consultation=consultation,
        channel=channel,
        kind=DeliveryKind.ANNOUNCE,
        status=DeliveryStatus.DELIVERED,
        due_at=timezone.now(),
        delivered_at=timezone.now(),
    )
    DeliveryPost.objects.create(delivery=delivery, position=0, external_id="root-1", text="a")
    DeliveryPost.objects.create(delivery=delivery, position=1, external_id="root-2", text="b")
    for root in ("root-1", "root-1", "root-2", "elsewhere"):
        ResponseFactory(consultation=consultation, root_external_id=root)

    (row,) = engagement_per_delivery(consultation=consultation)

    assert row.responses == 3
