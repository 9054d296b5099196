"""Admin: the moderation inbox and the accountability panel on the dashboard."""

from django.urls import include, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from engagement.moderation import views as moderation_views
from engagement.moderation.selectors import consultations_moderated_by
from engagement.record.selectors import accountability_counts


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
            include((urls, "moderation"), namespace="moderation"),
        )
    ]


@hooks.register("register_admin_menu_item")
def register_moderation_menu_item():
    return ModerationMenuItem(
        "Moderation",
        reverse_lazy("moderation:inbox"),
        name="moderation",
        icon_name="tasks",
        order=150,
    )


class AccountabilityPanel(Component):
    """On the admin dashboard: what became of the responses to one's consultations."""

    name = "accountability"
    order = 150
    template_name = "moderation/admin/dashboard_panel.html"

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
