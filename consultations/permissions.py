"""The hub's admin permission policies, in the lowest layer so every app can use them.

``DepartmentPagePermissionPolicy`` is Wagtail's page permission policy, narrowed to
the user's departments: every consultation lives under the one /consultations/
index, so the group page permissions granted there reach every department's pages;
this policy takes the other departments' consultations back out of what a user may
explore, search, choose or act on. ``DepartmentPagePermissionTester`` does the same
per page.

``DepartmentPermissionPolicy`` is the model permission policy of every row a
department owns (channels, deliveries, responses, memberships…): a user's model
permissions reach only the rows of their own departments. ``ReadOnlyPermissionPolicy``
is the same for rows only a service writes (the record, deliveries, collection
states, quarantined payloads): the admin may list and inspect them with the model's
view permission, never add, change or delete them.

``DepartmentScopedViewSetMixin`` puts every view a Wagtail viewset builds (list,
inspect, edit, delete, history, usage, copy, revisions, choosers) behind the same
scope, and limits its forms' and filters' choices to the user's departments: Wagtail
looks objects up by primary key on the bare model, so a permission policy alone
does not keep a user out of another department's edit page.
"""

from __future__ import annotations

from functools import cached_property

import wagtail.permissions as wagtail_permissions
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme
from wagtail.models import AbstractPage, GroupCollectionPermission, GroupPagePermission
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy

from consultations.models import (
    ConsultationPage,
    Department,
    DepartmentMembership,
    department_ids_for_user,
)

READ_ONLY_FORBIDDEN = frozenset({"add", "change", "delete"})
MODERATE_PERMISSION = "record.moderate_response"


# --- Which department a row belongs to ------------------------------------------------------


def department_lookup(model) -> str | None:
    """The ORM path from ``model`` to its department's id, or None when it has none.

    Rows belong to a department directly (``department``) or through the consultation
    they are about (``consultation__department``); users through their memberships.
    """
    if issubclass(model, Department):
        return "pk"
    if issubclass(model, get_user_model()):
        return "department_memberships__department"
    for name, path in (("department", "department"), ("consultation", "consultation__department")):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.is_relation and field.related_model in (Department, ConsultationPage):
            return path
    return None


def _powers(*, groups, user_permissions) -> set[tuple]:
    """Everything the groups and direct permissions allow: model permissions, and
    page and collection permissions with where they apply."""
    powers: set[tuple] = {
        ("model", pk)
        for pk in Permission.objects.filter(
            models.Q(group__in=groups) | models.Q(pk__in=user_permissions)
        ).values_list("pk", flat=True)
    }
    powers |= {
        ("page", page_id, permission_id)
        for page_id, permission_id in GroupPagePermission.objects.filter(
            group__in=groups
        ).values_list("page_id", "permission_id")
    }
    powers |= {
        ("collection", collection_id, permission_id)
        for collection_id, permission_id in GroupCollectionPermission.objects.filter(
            group__in=groups
        ).values_list("collection_id", "permission_id")
    }
    return powers


def groups_grantable_by(user):
    """The groups ``user`` may give to others: those that allow nothing ``user`` may not
    do themselves (every group, for superusers)."""
    if user.is_superuser:
        return Group.objects.all()
    held = _powers(groups=user.groups.all(), user_permissions=user.user_permissions.values("pk"))
    grantable = [
        group.pk
        for group in Group.objects.all()
        if _powers(groups=[group], user_permissions=[]) <= held
    ]
    return Group.objects.filter(pk__in=grantable)


def users_manageable_by(user):
    """The accounts ``user`` may see and manage in the admin.

    Superusers manage everyone. Anyone else, only accounts that are no superuser, belong
    to at least one of ``user``'s departments and to no other, and may do nothing that
    ``user`` may not: setting such an account's password would otherwise hand ``user``
    more than they hold.
    """
    users = get_user_model()._default_manager.all()
    if user.is_superuser:
        return users
    mine = department_ids_for_user(user)
    if not mine:
        return users.none()
    memberships = DepartmentMembership.objects.all()
    held_permissions = Permission.objects.filter(
        models.Q(user=user) | models.Q(group__user=user)
    ).values("pk")
    return (
        users.filter(is_superuser=False)
        .filter(pk__in=memberships.filter(department_id__in=mine).values("user_id"))
        .exclude(pk__in=memberships.exclude(department_id__in=mine).values("user_id"))
        .exclude(groups__in=Group.objects.exclude(pk__in=groups_grantable_by(user).values("pk")))
        .exclude(user_permissions__in=Permission.objects.exclude(pk__in=held_permissions))
    )


def scoped_to_departments(queryset, user, lookup: str | None = None):
    """``queryset`` narrowed to the rows of ``user``'s departments (all for superusers)."""
    if getattr(user, "is_superuser", False):
        return queryset
    model = queryset.model
    if issubclass(model, get_user_model()):
        return queryset.filter(pk__in=users_manageable_by(user).values("pk"))
    if issubclass(model, Group):
        return queryset.filter(pk__in=groups_grantable_by(user).values("pk"))
    lookup = lookup or department_lookup(model)
    if lookup is None:
        return queryset
    return queryset.filter(**{f"{lookup}__in": department_ids_for_user(user)})


def in_departments_of(user, instance, lookup: str | None = None) -> bool:
    model = type(instance)
    if getattr(model._meta, "proxy", False) or model._meta.concrete_model is not model:
        model = model._meta.concrete_model
    if instance.pk is None:
        return True
    return scoped_to_departments(
        model._default_manager.filter(pk=instance.pk), user, lookup
    ).exists()


def user_may_read_original_words(user, consultation) -> bool:
    """Whether ``user`` may see what a respondent wrote before redaction: moderators of
    its department (and superusers); everyone else sees the published, redacted words."""
    if not (user.is_active and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    return user.has_perm(MODERATE_PERMISSION) and (
        consultation.department_id in department_ids_for_user(user)
    )


def admin_next_url(request, *, default: str) -> str:
    """Where to go after an admin action: ``next`` if it is one of the hub's own paths."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts=None, require_https=request.is_secure()
    ):
        return target
    return default


# --- Permission policies ----------------------------------------------------------------


class DepartmentPermissionPolicy(ModelPermissionPolicy):
    """The model's permissions, over the rows of the user's departments only."""

    def __init__(self, model, *, lookup: str | None = None, **kwargs):
        super().__init__(model, **kwargs)
        self.lookup = lookup

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and in_departments_of(
            user, instance, self.lookup
        )

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions) and in_departments_of(
            user, instance, self.lookup
        )

    def instances_user_has_any_permission_for(self, user, actions):
        instances = super().instances_user_has_any_permission_for(user, actions)
        return scoped_to_departments(instances, user, self.lookup)


class ReadOnlyPermissionPolicy(DepartmentPermissionPolicy):
    def user_has_permission(self, user, action):
        if action in READ_ONLY_FORBIDDEN:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


# --- Viewsets -----------------------------------------------------------------------------


def choices_limited_to_departments(fields, user) -> None:
    """Narrow every model choice among ``fields`` (a form's) to ``user``'s departments."""
    for field in fields.values():
        queryset = getattr(field, "queryset", None)
        if isinstance(queryset, models.QuerySet):
            field.queryset = scoped_to_departments(queryset, user)


class DepartmentScopedView:
    """Mixed into each view of a ``DepartmentScopedViewSetMixin`` viewset."""

    department_scope_lookup = None

    def _scoped(self, queryset):
        return scoped_to_departments(queryset, self.request.user, self.department_scope_lookup)

    def get_base_queryset(self):
        queryset = super().get_base_queryset()
        # History and usage listings list log entries and references, scoped by their object.
        if queryset.model is getattr(self, "model", None):
            queryset = self._scoped(queryset)
        return queryset

    def get_object_list(self):  # choosers
        return self._scoped(super().get_object_list())

    def get_object(self, *args, **kwargs):
        instance = super().get_object(*args, **kwargs)
        if isinstance(instance, models.Model) and not in_departments_of(
            self.request.user, instance, self.department_scope_lookup
        ):
            raise Http404
        return instance

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        choices_limited_to_departments(form.fields, self.request.user)
        return form

    @cached_property
    def filters(self):
        filterset = super().filters
        if filterset is not None:
            choices_limited_to_departments(filterset.form.fields, self.request.user)
            for item in filterset.filters.values():
                if isinstance(getattr(item, "queryset", None), models.QuerySet):
                    item.queryset = scoped_to_departments(item.queryset, self.request.user)
        return filterset


_scoped_view_classes: dict[type, type] = {}


def department_scoped_view_class(view_class: type) -> type:
    if issubclass(view_class, DepartmentScopedView):
        return view_class
    if view_class not in _scoped_view_classes:
        _scoped_view_classes[view_class] = type(
            f"DepartmentScoped{view_class.__name__}", (DepartmentScopedView, view_class), {}
        )
    return _scoped_view_classes[view_class]


class DepartmentScopedViewSetMixin:
    """For a ``ModelViewSet`` or ``SnippetViewSet`` (or their choosers) of rows a department
    owns: every view it builds sees only the user's departments' rows, and the model's
    permission policy checks each instance the same way (bulk actions, buttons)."""

    department_scope_lookup: str | None = None

    def construct_view(self, view_class, **kwargs):
        if self.department_scope_lookup is not None:
            kwargs.setdefault("department_scope_lookup", self.department_scope_lookup)
        return super().construct_view(department_scoped_view_class(view_class), **kwargs)

    def on_register(self):
        model = getattr(self, "model", None)
        if model is not None:
            policy = wagtail_permissions.policy_registry.get_by_type(model, fallback=False)
            if not isinstance(policy, DepartmentPermissionPolicy):
                wagtail_permissions.register_permission_policy(
                    model, DepartmentPermissionPolicy(model, lookup=self.department_scope_lookup)
                )
        super().on_register()


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
