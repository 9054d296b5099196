"""Reads for consultations: public listings, filters and admin counts."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone
from wagtail.query import PageQuerySet

from consultations.models import ConsultationPage, ConsultationStatus, Department, Topic


def consultation_status_filter(status: str, *, now: datetime | None = None) -> Q:
    """The database condition for a status, matching ``ConsultationPage.status_at``."""
    now = now or timezone.now()
    outcome = Q(outcome_published_at__isnull=False, outcome_published_at__lte=now)
    if status == ConsultationStatus.UPCOMING:
        return Q(opens_at__gt=now)
    if status == ConsultationStatus.OPEN:
        return Q(opens_at__lte=now, closes_at__gt=now)
    if status == ConsultationStatus.CLOSED:
        return Q(closes_at__lte=now) & ~outcome
    if status == ConsultationStatus.OUTCOME_PUBLISHED:
        return Q(closes_at__lte=now) & outcome
    raise ValueError(f"Unknown consultation status {status!r}")


def consultations_public(
    *,
    status: str = "",
    department_slug: str = "",
    topic_slug: str = "",
    now: datetime | None = None,
) -> PageQuerySet:
    """Published consultations the public may see, newest first: the ONE definition of a
    public consultation (live, and not behind a view restriction). Everything that asks
    "may the public see this consultation?" asks this."""
    pages = (
        ConsultationPage.objects.live()
        .public()
        .select_related("department", "topic")
        .order_by("-opens_at", "pk")
    )
    if status:
        pages = pages.filter(consultation_status_filter(status, now=now))
    if department_slug:
        pages = pages.filter(department__slug=department_slug)
    if topic_slug:
        pages = pages.filter(topic__slug=topic_slug)
    return pages


def consultation_public(*, slug: str) -> ConsultationPage | None:
    """The public consultation with this slug, or None."""
    return consultations_public().filter(slug=slug).first()


def departments_with_consultations() -> QuerySet[Department]:
    return Department.objects.filter(
        consultations__in=consultations_public().values("pk")
    ).distinct()


def topics_with_consultations() -> QuerySet[Topic]:
    return Topic.objects.filter(consultations__in=consultations_public().values("pk")).distinct()
