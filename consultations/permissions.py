"""The hub's admin permission policies, in the lowest layer so every app can use them.

``DepartmentPagePermissionPolicy`` is Wagtail's page permission policy, narrowed to
the user's departments: every consultation lives under the one /consultations/
index, so the group page permissions granted there reach every department's pages;
this policy takes the other departments' consultations back out of what a user may
explore, search, choose or act on. ``DepartmentPagePermissionTester`` does the same
per page.

``ReadOnlyPermissionPolicy`` is for rows only a service writes (the record, deliveries,
collection states, quarantined payloads): the admin may list and inspect them with
the model's view permission, never add, change or delete them.
"""

from __future__ import annotations

import wagtail.permissions as wagtail_permissions
from wagtail.models import AbstractPage
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy

from consultations.models import ConsultationPage, department_ids_for_user

READ_ONLY_FORBIDDEN = frozenset({"add", "change", "delete"})


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission(self, user, action):
        if action in READ_ONLY_FORBIDDEN:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


def _other_departments_pages(user):
    return ConsultationPage.objects.exclude(department_id__in=department_ids_for_user(user)).values(
        "pk"
    )


class DepartmentPagePermissionPolicy(PagePermissionPolicy):
    def instances_user_has_any_permission_for(self, user, actions):
        pages = super().instances_user_has_any_permission_for(user, actions)
        if user.is_superuser:
            return pages
        return pages.exclude(pk__in=_other_departments_pages(user))

    def explorable_instances(self, user):
        pages = super().explorable_instances(user)
        if user.is_superuser:
            return pages
        return pages.exclude(pk__in=_other_departments_pages(user))

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if not user.is_superuser and instance.specific_class is ConsultationPage:
            department_id = getattr(instance, "department_id", None)
            if department_id is None:
                department_id = (
                    ConsultationPage.objects.filter(pk=instance.pk)
                    .values_list("department_id", flat=True)
                    .first()
                )
            if department_id not in department_ids_for_user(user):
                return False
        return super().user_has_any_permission_for_instance(user, actions, instance)


def register() -> None:
    """Replace Wagtail's page policy (registered when wagtail.permissions is imported)."""
    wagtail_permissions.register_permission_policy(
        AbstractPage,
        DepartmentPagePermissionPolicy(wagtail_permissions.page_permission_policy.model),
    )
