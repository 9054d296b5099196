"""Reads for moderators: these read the ORIGINAL text, never shown to the public."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from consultations.models import ConsultationPage, department_ids_for_user
from engagement.moderation.services import MODERATE_PERMISSION
from engagement.record.models import Answer, Response


def consultations_moderated_by(*, user) -> QuerySet[ConsultationPage]:
    """The consultations whose responses ``user`` may moderate."""
    consultations = ConsultationPage.objects.all()
    if not user.is_superuser:
        if not user.has_perm(MODERATE_PERMISSION):
            return consultations.none()
        consultations = consultations.filter(department_id__in=department_ids_for_user(user))
    return consultations.order_by("-closes_at", "title")


@dataclass(frozen=True)
class InboxFilters:
    consultation_id: int | None = None
    channel: str = ""
    state: str = ""
    received_from: date | None = None
    received_to: date | None = None
    flagged: bool | None = None
    query: str = ""


def moderation_inbox(*, user, filters: InboxFilters) -> QuerySet[Response]:
    """The responses ``user`` may moderate that match ``filters``, oldest first.

    The search is a database ``icontains`` over the original words and the reference:
    the search index holds only public, published text, and moderators need to find
    what the public cannot see.
    """
    responses = Response.objects.filter(
        consultation__in=consultations_moderated_by(user=user).values("pk")
    )
    if filters.consultation_id:
        responses = responses.filter(consultation_id=filters.consultation_id)
    if filters.channel:
        responses = responses.filter(channel=filters.channel)
    if filters.state:
        responses = responses.filter(moderation_state=filters.state)
    if filters.received_from:
        responses = responses.filter(received_at__date__gte=filters.received_from)
    if filters.received_to:
        responses = responses.filter(received_at__date__lte=filters.received_to)
    if filters.flagged is True:
        responses = responses.exclude(flagged_terms=[])
    elif filters.flagged is False:
        responses = responses.filter(flagged_terms=[])
    if filters.query:
        answered = Answer.objects.filter(response=OuterRef("pk"), text__icontains=filters.query)
        responses = responses.filter(
            Q(text__icontains=filters.query)
            | Q(reference__iexact=filters.query)
            | Q(Exists(answered))
        )
    return (
        responses.select_related("consultation", "respondent", "moderated_by")
        .prefetch_related("answers", "decisions__decided_by")
        .order_by("received_at", "pk")
    )
