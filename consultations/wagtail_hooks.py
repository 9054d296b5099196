from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from consultations.models import Department


class DepartmentViewSet(SnippetViewSet):
    model = Department
    icon = "group"
    menu_label = "Departments"
    list_display = ["name", "slug"]
    search_fields = ["name"]
    add_to_admin_menu = True


register_snippet(DepartmentViewSet)
