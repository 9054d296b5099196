from django.core.exceptions import PermissionDenied
from django.urls import include, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.models import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from consultations.models import department_ids_for_user
from engagement import views as moderation_views
from engagement import views_summary
from engagement.models import Response
from engagement.selectors import accountability_counts, consultations_moderated_by


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """The record is written only by engagement.services.record; the admin only reads it."""

    def user_has_permission(self, user, action):
        if action in {"add", "change", "delete"}:
            return False
        if action == "view":
            return user.is_active and (
                user.is_superuser or user.has_perm("engagement.view_response")
            )
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


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
    # Never editable here (see ReadOnlyPermissionPolicy); Wagtail requires a form.
    form_fields = ["moderation_state"]


register_permission_policy(Response, ReadOnlyPermissionPolicy(Response))


@hooks.register("register_admin_viewset")
def register_response_viewset():
    return ResponseViewSet()


# --- Moderation inbox (engagement.views) ------------------------------------------------


class ModerationMenuItem(MenuItem):
    def is_shown(self, request):
        return moderation_views.user_may_use_inbox(request.user)


@hooks.register("register_admin_urls")
def register_moderation_urls():
    urls = [
        path("", moderation_views.inbox, name="inbox"),
        path("<int:pk>/", moderation_views.response_detail, name="response"),
    ]
    return [
        path(
            "moderation/",
            include((urls, "engagement_moderation"), namespace="engagement_moderation"),
        )
    ]


@hooks.register("register_admin_menu_item")
def register_moderation_menu_item():
    return ModerationMenuItem(
        "Moderation",
        reverse_lazy("engagement_moderation:inbox"),
        name="moderation",
        icon_name="tasks",
        order=150,
    )


class AccountabilityPanel(Component):
    """On the admin dashboard: what became of the responses to one's consultations."""

    name = "accountability"
    order = 150
    template_name = "engagement/admin/dashboard_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context=None):
        consultations = consultations_moderated_by(user=self.user)[:10]
        return {
            "accountability": [
                (consultation, accountability_counts(consultation=consultation))
                for consultation in consultations
            ]
        }


@hooks.register("construct_homepage_panels")
def add_accountability_panel(request, panels):
    if moderation_views.user_may_use_inbox(request.user):
        panels.append(AccountabilityPanel(request.user))


# --- Response analysis dashboard (engagement.views_summary) ------------------------------


class AnalysisMenuItem(MenuItem):
    def is_shown(self, request):
        return views_summary.user_may_analyse(request.user)


@hooks.register("register_admin_urls")
def register_analysis_urls():
    urls = [
        path("", views_summary.dashboard_index, name="index"),
        path("<int:pk>/", views_summary.dashboard_consultation, name="consultation"),
    ]
    return [
        path("analysis/", include((urls, "engagement_analysis"), namespace="engagement_analysis"))
    ]


@hooks.register("register_admin_menu_item")
def register_analysis_menu_item():
    return AnalysisMenuItem(
        "Response analysis",
        reverse_lazy("engagement_analysis:index"),
        name="response-analysis",
        icon_name="table",
        order=170,
    )
