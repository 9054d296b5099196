"""Admin: a read-only listing of the record, so officers can see what came in."""

from wagtail import hooks
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic.models import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from consultations.permissions import (
    DepartmentScopedViewSetMixin,
    ReadOnlyPermissionPolicy,
    user_may_read_original_words,
)
from engagement.record.models import Response


class ResponseIndexView(IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("consultation", "respondent")


class ResponseInspectView(InspectView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if not user_may_read_original_words(request.user, self.object.consultation):
            # Analysts and others who may not moderate it see what the public would see.
            self.fields = ["published_text" if name == "text" else name for name in self.fields]


class ResponseViewSet(DepartmentScopedViewSetMixin, ModelViewSet):
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
    # The search index holds only published words and no reference (the public search
    # reads it), so the admin searches the database; published words only, so a search
    # cannot tell an analyst what a redaction removed.
    search_backend_name = None
    search_fields = ["reference", "published_text"]
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
