"""The admin's user accounts, scoped to departments.

Wagtail trusts anyone holding ``auth.change_user`` with every account, superusers
included. Here a department's Administrator sees and manages only the accounts of
their own departments (``consultations.permissions.users_manageable_by``), gives only
the groups they hold, never makes a superuser, and puts each account they create in
one of their departments.
"""

from __future__ import annotations

from django import forms
from wagtail.users.forms import UserCreationForm, UserEditForm
from wagtail.users.views import users as wagtail_users

from consultations.models import Department
from consultations.permissions import DepartmentScopedViewSetMixin
from consultations.services import department_member_add


class DepartmentUserCreationForm(UserCreationForm):
    department = forms.ModelChoiceField(
        queryset=Department.objects.all(),
        required=False,
        help_text="The department whose consultations this account works on.",
    )


class _ForEditorMixin:
    """What only a superuser may set is not offered to anyone else."""

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        if not self.request.user.is_superuser:
            form.fields.pop("is_superuser", None)
            if "department" in form.fields:
                form.fields["department"].required = True
        return form


class UserCreateView(_ForEditorMixin, wagtail_users.CreateView):
    def save_instance(self):
        user = super().save_instance()
        department = self.form.cleaned_data.get("department")
        if department is not None:
            department_member_add(user=user, department=department)
        return user


class UserEditView(_ForEditorMixin, wagtail_users.EditView):
    pass


class DepartmentUserViewSet(DepartmentScopedViewSetMixin, wagtail_users.UserViewSet):
    add_view_class = UserCreateView
    edit_view_class = UserEditView
    create_template_name = "consultations/admin/user_create.html"

    def get_form_class(self, for_update=False):
        if for_update:
            return UserEditForm
        return DepartmentUserCreationForm
