from django.db.models import Count, Q
from wagtail import hooks
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.ui.tables.pages import PageStatusColumn, PageTitleColumn
from wagtail.admin.views.pages.listing import IndexView
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import SnippetChooserViewSet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from consultations import feeds, views
from consultations.models import (
    ConsultationPage,
    Department,
    DepartmentMembership,
    PrivacyNotice,
    Topic,
    department_ids_for_user,
)
from consultations.permissions import DepartmentScopedViewSetMixin
from engagement.record.models import Response


class DepartmentScopedChooserViewSet(DepartmentScopedViewSetMixin, SnippetChooserViewSet):
    pass


class DepartmentViewSet(DepartmentScopedViewSetMixin, SnippetViewSet):
    """Officers see and edit their own departments; superusers every one."""

    chooser_viewset_class = DepartmentScopedChooserViewSet
    model = Department
    icon = "group"
    menu_label = "Departments"
    list_display = ["name", "slug", "social_handles"]
    search_fields = ["name"]


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"
    menu_label = "Topics"
    list_display = ["name", "slug"]


class DepartmentMembershipViewSet(DepartmentScopedViewSetMixin, SnippetViewSet):
    """A department's Administrator manages its members; only superusers any other."""

    chooser_viewset_class = DepartmentScopedChooserViewSet
    model = DepartmentMembership
    icon = "user"
    menu_label = "Members"
    list_display = ["user", "department"]
    list_filter = ["department"]


class PrivacyNoticeViewSet(DepartmentScopedViewSetMixin, SnippetViewSet):
    """A department's editors write their own department's notice; the hub-wide one (no
    department) is left to superusers by the scope and ``PrivacyNoticeForm``."""

    chooser_viewset_class = DepartmentScopedChooserViewSet
    model = PrivacyNotice
    icon = "lock"
    menu_label = "Privacy notices"
    list_display = ["__str__", "updated_at"]


class DepartmentsGroup(SnippetViewSetGroup):
    items = (DepartmentViewSet, DepartmentMembershipViewSet, PrivacyNoticeViewSet, TopicViewSet)
    menu_icon = "group"
    menu_label = "Departments"
    menu_name = "departments"


register_snippet(DepartmentsGroup)


# --- Department scoping in the page chooser ----------------------------------------------
# The explorer, admin search and listings are scoped by
# consultations.permissions.DepartmentPagePermissionPolicy; the chooser lists
# pages regardless of permissions, so it needs this hook.


def _other_departments(user) -> Q:
    """Consultation pages of departments ``user`` does not belong to."""
    return Q(
        pk__in=ConsultationPage.objects.exclude(
            department_id__in=department_ids_for_user(user)
        ).values("pk")
    )


@hooks.register("construct_page_chooser_queryset")
def hide_other_departments_drafts(pages, request):
    # Their live pages may be linked to; their drafts are not ours to see.
    if request.user.is_superuser:
        return pages
    return pages.exclude(_other_departments(request.user) & Q(live=False))


# --- The consultations listing: status and response counts ------------------------------


class ConsultationIndexView(IndexView):
    # Other departments' pages are already left out by
    # consultations.permissions.DepartmentPagePermissionPolicy.

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pages = list(context.get("object_list") or [])
        counts = dict(
            Response.objects.filter(consultation_id__in=[page.pk for page in pages])
            .values("consultation_id")
            .annotate(count=Count("pk"))
            .values_list("consultation_id", "count")
        )
        for page in pages:
            page.response_count = counts.get(page.pk, 0)
        return context


class ConsultationStatusColumn(Column):
    def get_value(self, instance):
        return instance.specific.status.label


class ConsultationPageListingViewSet(PageListingViewSet):
    model = ConsultationPage
    index_view_class = ConsultationIndexView
    icon = "form"
    menu_label = "Consultations"
    menu_order = 150
    add_to_admin_menu = True
    name = "consultation_pages"
    columns = [
        PageTitleColumn("title", label="Title", sort_key="title", classname="title"),
        Column("department", label="Department"),
        ConsultationStatusColumn("consultation_status", label="Consultation"),
        Column("response_count", label="Responses"),
        DateColumn("closes_at", label="Closes", sort_key="closes_at"),
        PageStatusColumn("status", label="Page status", sort_key="live"),
    ]


@hooks.register("register_admin_viewset")
def register_consultation_listing():
    return ConsultationPageListingViewSet()


@hooks.register("register_consultation_page_views")
def register_consultation_page_views():
    """The pages' routes (consultations.models) reach their views through this hook."""
    return {
        "index_context": views.consultation_index_context,
        "rss_feed": feeds.rss_feed,
        "atom_feed": feeds.atom_feed,
        "outcomes_feed": feeds.outcomes_feed,
        "respond": views.consultation_respond,
        "respond_confirmation": views.consultation_respond_confirmation,
    }
