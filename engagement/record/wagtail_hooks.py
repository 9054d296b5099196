"""Admin: a read-only listing of the record, so officers can see what came in."""

from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.models import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.permissions import register_permission_policy

from consultations.models import department_ids_for_user
from consultations.permissions import ReadOnlyPermissionPolicy
from engagement.record.models import Response
from engagement.record.views import response_erase


def _scoped_to_departments(responses, user):
    """Officers see only their departments' responses."""
    if user.is_superuser:
        return responses
    return responses.filter(consultation__department_id__in=department_ids_for_user(user))


class ResponseIndexView(IndexView):
    def get_base_queryset(self):
        responses = super().get_base_queryset().select_related("consultation", "respondent")
        return _scoped_to_departments(responses, self.request.user)


class ResponseInspectView(InspectView):
    def get_object(self, queryset=None):
        response = super().get_object(queryset)
        if not _scoped_to_departments(
            Response.objects.filter(pk=response.pk), self.request.user
        ).exists():
            raise PermissionDenied
        return response

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if self.request.user.is_superuser and self.object.erased_at is None:
            buttons.append(
                Button(
                    "Erase on request",
                    url=reverse("record_response_erase", args=[self.object.pk]),
                    icon_name="bin",
                    priority=30,
                )
            )
        return buttons


class ResponseViewSet(ModelViewSet):
    """A read-only listing of the record, so officers can see what came in."""

    model = Response
    icon = "comment"
    menu_label = "Responses"
    menu_order = 160
    add_to_admin_menu = True
    inspect_view_enabled = True
    name = "responses"
    index_view_class = ResponseIndexView
    inspect_view_class = ResponseInspectView
    list_display = [
        "reference",
        Column("consultation", label="Consultation"),
        "channel",
        Column("respondent", label="Respondent"),
        DateColumn("received_at", label="Received", sort_key="received_at"),
        "moderation_state",
    ]
    list_filter = ["channel", "moderation_state", "consultation"]
    search_fields = ["reference", "text"]
    inspect_view_fields = [
        "reference",
        "consultation",
        "channel",
        "respondent",
        "received_at",
        "moderation_state",
        "consent_to_publish",
        "text",
        "url",
        "created_at",
    ]
    ordering = ["-received_at"]
    # Never editable here: engagement.record.services alone writes the record (see
    # ReadOnlyPermissionPolicy); Wagtail requires a form.
    form_fields = ["moderation_state"]


register_permission_policy(Response, ReadOnlyPermissionPolicy(Response))


@hooks.register("register_admin_viewset")
def register_response_viewset():
    return ResponseViewSet()


@hooks.register("register_admin_urls")
def register_erasure_url():
    return [path("responses/<int:pk>/erase/", response_erase, name="record_response_erase")]
