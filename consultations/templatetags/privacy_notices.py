"""The link to the privacy notice that applies where the visitor is (every page's footer)."""

from __future__ import annotations

from django import template
from django.urls import reverse

from consultations.models import ConsultationPage, Department

register = template.Library()


def _department_in(context) -> Department | None:
    department = context.get("privacy_notice_department")
    if isinstance(department, Department):
        return department
    # A consultation's own pages (the page, its form) and the record's pages about it.
    for name in ("page", "consultation"):
        consultation = context.get(name)
        if isinstance(consultation, ConsultationPage):
            return consultation.department
    return None


@register.simple_tag(takes_context=True)
def privacy_notice_url(context) -> str:
    """The department's notice on a consultation's pages (it falls back to the hub-wide
    one when the department has none), the hub-wide notice elsewhere."""
    department = _department_in(context)
    if department is None:
        return reverse("privacy_notice")
    return reverse("privacy_notice_department", args=[department.slug])
