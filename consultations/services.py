"""Writes for consultations: roles, the approval workflow, memberships.

Roles are plain Wagtail groups with Wagtail permissions; which department's
consultations a member may act on comes from ``DepartmentMembership``.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from consultations.models import (
    ConsultationIndexPage,
    Department,
    DepartmentApprovalTask,
    DepartmentMembership,
)

COMMS_OFFICER = "Comms officer"
COMMS_APPROVER = "Comms approver"
MODERATOR = "Response moderator"
ANALYST = "Analyst"
ADMINISTRATOR = "Administrator"
ROLES = (COMMS_OFFICER, COMMS_APPROVER, MODERATOR, ANALYST, ADMINISTRATOR)

COMMS_REVIEW = "Comms review"

# Page permissions on the /consultations/ index, per role. Comms officers write
# and submit; publishing happens when a Comms approver approves the workflow.
_PAGE_PERMISSIONS = {
    COMMS_OFFICER: ("add_page", "change_page"),
    COMMS_APPROVER: ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
    ADMINISTRATOR: (
        "add_page",
        "change_page",
        "publish_page",
        "bulk_delete_page",
        "lock_page",
        "unlock_page",
    ),
}
_COLLECTION_PERMISSIONS = {
    COMMS_OFFICER: ("add_image", "choose_image", "add_document", "choose_document"),
    COMMS_APPROVER: ("add_image", "choose_image", "add_document", "choose_document"),
    ADMINISTRATOR: (
        "add_image",
        "change_image",
        "choose_image",
        "add_document",
        "change_document",
        "choose_document",
    ),
}
# A privacy notice is public as soon as it is saved (no review workflow, unlike a page), so
# only those who may publish pages may change it.
_PRIVACY_NOTICE_PERMISSIONS = (
    "consultations.add_privacynotice",
    "consultations.change_privacynotice",
)
# simple_translation's "Translate": a Welsh draft of a page, or a copy of a privacy notice.
# Whoever may edit the English may start its translation; which pages and notices that
# reaches is narrowed to the user's departments (consultations.wagtail_hooks).
_SUBMIT_TRANSLATION = "simple_translation.submit_translation"
_MODEL_PERMISSIONS = {
    COMMS_OFFICER: (_SUBMIT_TRANSLATION,),
    COMMS_APPROVER: (*_PRIVACY_NOTICE_PERMISSIONS, _SUBMIT_TRANSLATION),
    MODERATOR: ("record.view_response", "record.moderate_response"),
    ANALYST: ("record.view_response", "record.export_response"),
    ADMINISTRATOR: (
        "record.view_response",
        "record.moderate_response",
        "record.export_response",
        "consultations.add_department",
        "consultations.change_department",
        "consultations.add_topic",
        "consultations.change_topic",
        "consultations.add_departmentmembership",
        "consultations.change_departmentmembership",
        "consultations.delete_departmentmembership",
        *_PRIVACY_NOTICE_PERMISSIONS,
        _SUBMIT_TRANSLATION,
        "auth.add_user",
        "auth.change_user",
    ),
}


def _permission(dotted_or_codename: str, app_label: str | None = None) -> Permission:
    if "." in dotted_or_codename:
        app_label, codename = dotted_or_codename.split(".", 1)
    else:
        codename = dotted_or_codename
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def roles_ensure(*, index_page: ConsultationIndexPage) -> dict[str, Group]:
    """Create (or complete) the hub's groups and their permissions, on the index and on
    its translations (a Welsh consultation lives under the Welsh index). Idempotent."""
    access_admin = _permission("wagtailadmin.access_admin")
    indexes = [index_page, *index_page.get_translations()]
    root_collection = Collection.get_first_root_node()
    groups = {}
    for role in ROLES:
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(access_admin)
        for dotted in _MODEL_PERMISSIONS.get(role, ()):
            group.permissions.add(_permission(dotted))
        for codename in _PAGE_PERMISSIONS.get(role, ()):
            for index in indexes:
                GroupPagePermission.objects.get_or_create(
                    group=group,
                    page=index,
                    permission=_permission(codename, "wagtailcore"),
                )
        for codename in _COLLECTION_PERMISSIONS.get(role, ()):
            app_label = "wagtailimages" if codename.endswith("_image") else "wagtaildocs"
            GroupCollectionPermission.objects.get_or_create(
                group=group,
                collection=root_collection,
                permission=_permission(codename, app_label),
            )
        groups[role] = group
    return groups


@transaction.atomic
def workflow_comms_review_ensure(*, index_page: ConsultationIndexPage) -> Workflow:
    """The "Comms review" workflow on every consultation: a Comms approver of the
    page's department must approve before it is published. Idempotent."""
    approvers, _ = Group.objects.get_or_create(name=COMMS_APPROVER)
    task = DepartmentApprovalTask.objects.filter(name=COMMS_REVIEW).first()
    if task is None:
        task = DepartmentApprovalTask.objects.create(name=COMMS_REVIEW)
    task.groups.add(approvers)
    workflow, _ = Workflow.objects.get_or_create(name=COMMS_REVIEW, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    for index in [index_page, *index_page.get_translations()]:
        # A translation is published through the same review as its English page.
        WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
    return workflow


def department_member_add(*, user, department: Department, roles: tuple[str, ...] = ()) -> None:
    """Put ``user`` in ``department`` and in the given role groups. Idempotent."""
    DepartmentMembership.objects.get_or_create(user=user, department=department)
    if roles:
        user.groups.add(*Group.objects.filter(name__in=roles))
    user.__dict__.pop("_hub_department_ids", None)
