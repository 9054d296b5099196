"""Admin: the response analysis dashboard."""

from django.urls import include, path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from engagement.analysis import views as analysis_views


class AnalysisMenuItem(MenuItem):
    def is_shown(self, request):
        return analysis_views.user_may_analyse(request.user)


@hooks.register("register_admin_urls")
def register_analysis_urls():
    urls = [
        path("", analysis_views.dashboard_index, name="index"),
        path("<int:pk>/", analysis_views.dashboard_consultation, name="consultation"),
    ]
    return [path("analysis/", include((urls, "analysis"), namespace="analysis"))]


@hooks.register("register_admin_menu_item")
def register_analysis_menu_item():
    return AnalysisMenuItem(
        "Response analysis",
        reverse_lazy("analysis:index"),
        name="response-analysis",
        icon_name="table",
        order=170,
    )
