from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.template.response import TemplateResponse
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.ui.tables.pages import PageStatusColumn, PageTitleColumn
from wagtail.admin.views.pages.listing import IndexView
from wagtail.admin.viewsets.pages import PageListingViewSet
from wagtail.contrib.simple_translation.forms import SubmitTranslationForm
from wagtail.contrib.simple_translation.views import (
    SubmitPageTranslationView,
    SubmitSnippetTranslationView,
)
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
from consultations.services import ADMINISTRATOR, COMMS_APPROVER, COMMS_OFFICER
from consultations.translations import (
    STATUS_LABELS,
    translation_statuses,
    translations_permissions_follow,
)
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


# --- Translations: what is missing or out of date ------------------------------------------

TRANSLATORS = (COMMS_OFFICER, COMMS_APPROVER, ADMINISTRATOR)


def _may_see_translations(user) -> bool:
    return user.is_active and (
        user.is_superuser or user.groups.filter(name__in=TRANSLATORS).exists()
    )


def _in_reach(user, source) -> bool:
    """Whether the report shows ``source`` to ``user``: shared pages and the hub-wide notice
    to everyone who may see the report, a department's consultations and notice to its
    members only (their Welsh drafts' titles are not other departments' to read)."""
    if user.is_superuser:
        return True
    department_id = getattr(source, "department_id", None)
    return department_id is None or department_id in department_ids_for_user(user)


def translations_report(request):
    """Each page and privacy notice in English, with its Welsh translation's state."""
    if not _may_see_translations(request.user):
        raise PermissionDenied
    language_code = "cy"
    rows = [
        row
        for row in translation_statuses(language_code=language_code)
        if _in_reach(request.user, row.source)
    ]
    return TemplateResponse(
        request,
        "consultations/admin/translations.html",
        {
            "rows": rows,
            "language_name": dict(settings.LANGUAGES)[language_code],
            "counts": {
                label: sum(1 for row in rows if row.status == status)
                for status, label in STATUS_LABELS.items()
            },
        },
    )


@hooks.register("register_admin_urls")
def register_translations_report_url():
    return [path("translations/", translations_report, name="hub_translations")]


class TranslationsMenuItem(MenuItem):
    def is_shown(self, request):
        return _may_see_translations(request.user)


@hooks.register("register_reports_menu_item")
def register_translations_menu_item():
    return TranslationsMenuItem(
        "Translations", reverse("hub_translations"), icon_name="site", order=900
    )


# --- "Translate": simple_translation, narrowed to the user's departments -------------------


class DepartmentPageTranslationView(SubmitPageTranslationView):
    """simple_translation's "Translate page", for a department's own consultations.

    Wagtail lets whoever may edit a page translate it, with its subtree. The comms roles'
    page permissions sit on the shared consultations index, so "Translate" on the index
    with its subtree would copy every department's consultations: the shared pages (home,
    index) are translated by superusers, a consultation by its department's comms roles
    (``DepartmentPagePermissionTester`` refuses another department's page)."""

    def get_object(self):
        page = super().get_object()
        if not self.request.user.is_superuser and not isinstance(page, ConsultationPage):
            raise PermissionDenied
        return page

    def post(self, request, **kwargs):
        answer = super().post(request, **kwargs)
        if answer.status_code == 302 and not isinstance(self.object, ConsultationPage):
            # A new Welsh index (or home with its subtree): the comms roles' page
            # permissions and the review workflow follow the English ones onto it.
            translations_permissions_follow(page=self.object)
        return answer


class PrivacyNoticeTranslationForm(SubmitTranslationForm):
    def __init__(self, instance, *args, **kwargs):
        super().__init__(instance, *args, **kwargs)
        self.instance = instance

    def clean_locales(self):
        locales = self.cleaned_data["locales"]
        # One notice per department and language: one written directly in the language
        # (not as a translation) would make the copy break the database's constraint.
        taken = PrivacyNotice.objects.filter(
            locale__in=locales, department_id=self.instance.department_id
        ).select_related("locale")
        if taken:
            raise ValidationError(
                "There is already a privacy notice for this department in %(languages)s: "
                "edit that one instead.",
                params={"languages": ", ".join(n.locale.get_display_name() for n in taken)},
            )
        return locales


class DepartmentSnippetTranslationView(SubmitSnippetTranslationView):
    """simple_translation's "Translate" for a snippet. Its check (the model's permission
    policy, "change" on this object) already keeps a privacy notice to its department's
    editors (``DepartmentPermissionPolicy``); the form refuses a language the department
    already has a notice in."""

    def get_form(self):
        if not isinstance(self.object, PrivacyNotice):
            return super().get_form()
        data = self.request.POST if self.request.method == "POST" else None
        return PrivacyNoticeTranslationForm(self.object, data)


# The same addresses as simple_translation's own, resolved before them (order=-1), so its
# buttons and links lead to these views.
@hooks.register("register_admin_urls", order=-1)
def register_department_translation_urls():
    return [
        path(
            "translation/submit/page/<int:page_id>/",
            DepartmentPageTranslationView.as_view(),
            name="hub_submit_page_translation",
        ),
        path(
            "translation/submit/snippet/<slug:app_label>/<slug:model_name>/<str:pk>/",
            DepartmentSnippetTranslationView.as_view(),
            name="hub_submit_snippet_translation",
        ),
    ]
