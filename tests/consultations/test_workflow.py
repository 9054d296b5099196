from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from wagtail.actions.publish_page_revision import PublishPageRevisionAction
from wagtail.actions.publish_revision import PublishPermissionError
from wagtail.models import TaskState, WorkflowState

from consultations.models import ConsultationPage
from consultations.services import (
    COMMS_APPROVER,
    COMMS_OFFICER,
    COMMS_REVIEW,
    department_member_add,
)
from consultations.tasks import publish_scheduled
from tests.factories.consultations import (
    ConsultationPageFactory,
    DepartmentFactory,
    UserFactory,
)


@pytest.fixture
def department(db):
    return DepartmentFactory(name="Department for Transport", slug="transport")


@pytest.fixture
def officer(roles, department):
    user = UserFactory(username="officer")
    department_member_add(user=user, department=department, roles=(COMMS_OFFICER,))
    return user


@pytest.fixture
def approver(roles, department):
    user = UserFactory(username="approver")
    department_member_add(user=user, department=department, roles=(COMMS_APPROVER,))
    return user


@pytest.fixture
def draft(department, officer):
    page = ConsultationPageFactory(title="Quieter streets", department=department, live=False)
    page.owner = officer
    page.save()
    return page


def _fresh(user):
    user.__dict__.pop("_hub_department_ids", None)
    return type(user).objects.get(pk=user.pk)


def test_comms_review_workflow_applies_to_every_consultation(draft):
    workflow = draft.get_workflow()

    assert workflow is not None
    assert workflow.name == COMMS_REVIEW
    assert [task.name for task in workflow.tasks] == [COMMS_REVIEW]


def test_comms_officer_cannot_publish_without_approval(draft, officer):
    revision = draft.save_revision(user=officer)

    assert not draft.permissions_for_user(officer).can_publish()
    with pytest.raises(PublishPermissionError):
        PublishPageRevisionAction(revision, user=officer).execute()
    draft.refresh_from_db()
    assert draft.live is False


def test_comms_officer_editor_offers_submit_for_review_but_not_publish(client, draft, officer):
    client.force_login(officer)

    response = client.get(f"/admin/pages/{draft.pk}/edit/")

    assert response.status_code == 200
    assert 'name="action-submit"' in response.text
    assert 'name="action-publish"' not in response.text


def test_comms_officer_publish_post_in_admin_leaves_page_unpublished(client, draft, officer):
    client.force_login(officer)
    form = client.get(f"/admin/pages/{draft.pk}/edit/").context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        data[name] = "" if value is None else value
    data.update(
        {
            "title": draft.title,
            "slug": draft.slug,
            "summary": draft.summary,
            "department": draft.department_id,
            "opens_at": timezone.localtime(draft.opens_at).strftime("%Y-%m-%d %H:%M"),
            "closes_at": timezone.localtime(draft.closes_at).strftime("%Y-%m-%d %H:%M"),
            "body-count": "0",
            "outcome-count": "0",
            "questions-TOTAL_FORMS": "0",
            "questions-INITIAL_FORMS": "0",
            "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "1000",
            "cross_post_channels-TOTAL_FORMS": "0",
            "cross_post_channels-INITIAL_FORMS": "0",
            "cross_post_channels-MIN_NUM_FORMS": "0",
            "cross_post_channels-MAX_NUM_FORMS": "1000",
            "action-publish": "action-publish",
        }
    )
    data = {key: value for key, value in data.items() if value is not None}

    response = client.post(f"/admin/pages/{draft.pk}/edit/", data)

    # The form was accepted, but saved as a draft rather than published.
    assert response.status_code == 302, response.context["form"].errors
    draft.refresh_from_db()
    assert draft.live is False
    assert draft.revisions.count() == 1


def test_approval_by_a_comms_approver_of_the_department_publishes(client, draft, officer, approver):
    draft.save_revision(user=officer)
    workflow_state = draft.get_workflow().start(draft, officer)
    task_state = workflow_state.current_task_state
    client.force_login(approver)

    response = client.post(f"/admin/pages/workflow/action/{draft.pk}/approve/{task_state.pk}/")

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.live is True
    workflow_state.refresh_from_db()
    assert workflow_state.status == WorkflowState.STATUS_APPROVED


def test_approver_of_another_department_cannot_approve(client, draft, officer, roles):
    other = UserFactory(username="other-approver")
    department_member_add(
        user=other, department=DepartmentFactory(slug="health"), roles=(COMMS_APPROVER,)
    )
    draft.save_revision(user=officer)
    workflow_state = draft.get_workflow().start(draft, officer)
    task_state = workflow_state.current_task_state
    client.force_login(other)

    response = client.post(f"/admin/pages/workflow/action/{draft.pk}/approve/{task_state.pk}/")

    # Wagtail's admin answers PermissionDenied with a redirect to the dashboard.
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    draft.refresh_from_db()
    assert draft.live is False
    assert draft.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS
    assert not TaskState.objects.reviewable_by(_fresh(other)).exists()


def test_only_approvers_of_the_department_see_the_page_awaiting_review(
    draft, officer, approver, roles
):
    other = UserFactory(username="other-approver")
    department_member_add(
        user=other, department=DepartmentFactory(slug="health"), roles=(COMMS_APPROVER,)
    )
    draft.save_revision(user=officer)
    draft.get_workflow().start(draft, officer)

    assert TaskState.objects.reviewable_by(_fresh(approver)).count() == 1
    assert TaskState.objects.reviewable_by(_fresh(other)).count() == 0


def test_approved_page_with_go_live_date_is_published_by_the_scheduled_task(
    draft, officer, approver
):
    go_live = timezone.now() + timedelta(days=2)
    draft.go_live_at = go_live
    draft.save_revision(user=officer)
    workflow_state = draft.get_workflow().start(draft, officer)
    workflow_state.current_task_state.task.specific.on_action(
        workflow_state.current_task_state, approver, "approve"
    )
    draft.refresh_from_db()
    assert draft.live is False
    assert draft.get_latest_revision().approved_go_live_at is not None

    publish_scheduled()
    assert ConsultationPage.objects.get(pk=draft.pk).live is False

    with time_machine.travel(go_live + timedelta(minutes=1), tick=False):
        publish_scheduled()

    assert ConsultationPage.objects.get(pk=draft.pk).live is True
