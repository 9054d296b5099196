"""Reads for consultations: public listings, filters and admin counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from wagtail.models import Locale
from wagtail.query import PageQuerySet

from consultations.models import (
    ConsultationPage,
    ConsultationStatus,
    Department,
    PrivacyNotice,
    QuestionKind,
    Topic,
    default_language_code,
    privacy_notice_default,
)


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


def _default_locale_id() -> int | None:
    return (
        Locale.objects.filter(language_code=default_language_code())
        .values_list("pk", flat=True)
        .first()
    )


def consultations_public(
    *,
    status: str = "",
    department_slug: str = "",
    topic_slug: str = "",
    now: datetime | None = None,
) -> PageQuerySet:
    """Published consultations the public may see, newest first: the ONE definition of a
    public consultation (live, not past its expiry date, and not behind a view
    restriction: password, groups or log-in). Everything that asks "may the public see
    this consultation?" asks this.

    Only the pages in the default language: a Welsh page is a translation of its English
    consultation, which the record, the open data and the counts refer to."""
    moment = now or timezone.now()
    pages = (
        ConsultationPage.objects.live()
        .public()
        # By id: the search backend filters on the page's own fields, not across relations.
        .filter(locale=_default_locale_id())
        # Wagtail unpublishes an expired page only when publish_scheduled next runs.
        .filter(Q(expire_at__isnull=True) | Q(expire_at__gt=moment))
        .select_related("department", "topic")
        .order_by("-opens_at", "pk")
    )
    if status:
        pages = pages.filter(consultation_status_filter(status, now=moment))
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


def consultation_translation(
    consultation: ConsultationPage, *, language_code: str | None = None
) -> ConsultationPage:
    """The live page of ``consultation`` in the language (the active one by default), or
    the consultation itself when it has none."""
    language_code = language_code or translation.get_language()
    translated = (
        ConsultationPage.objects.live()
        .public()
        .filter(
            translation_key=consultation.translation_key,
            locale__language_code=language_code,
        )
        .select_related("department", "topic")
        .first()
    )
    return translated if translated is not None else consultation


@dataclass(frozen=True)
class QuestionWords:
    """A question of the consultation as its page in one language words it: its text, and
    each recorded option (the English one) by that page's option at the same position."""

    text: str
    labels: dict[str, str]


def question_words(
    consultation: ConsultationPage, *, language_code: str | None = None
) -> dict[int, QuestionWords]:
    """The consultation's questions (by id) in the language (the active one by default),
    from its live translation's questions (same ``translation_key``), as the form shows
    them. Empty in the default language, or with no live translation: the recorded words
    stand. The agreement scale's options come from the catalogue, as on the form."""
    language_code = language_code or translation.get_language()
    translated = consultation_translation(consultation, language_code=language_code)
    if translated.pk == consultation.pk:
        return {}
    shown = {question.translation_key: question for question in translated.questions.all()}
    words = {}
    for question in consultation.questions.all():
        own = shown.get(question.translation_key)
        if own is None:
            continue
        values = question.choices
        if question.kind == QuestionKind.AGREEMENT_SCALE:
            labels = {value: translation.gettext(value) for value in values}
        elif own.kind == question.kind and len(own.choices) == len(values):
            labels = dict(zip(values, own.choices, strict=True))
        else:
            # A translation with a different number of options is not trusted line by line.
            labels = {}
        words[question.pk] = QuestionWords(text=own.text, labels=labels)
    return words


def consultation_outcome_page(
    consultation: ConsultationPage, *, language_code: str | None = None
) -> ConsultationPage:
    """The page that shows ``consultation``'s outcome in the language (the active one by
    default): its translation once the translation's own outcome is public (each language's
    editors publish theirs), else the consultation itself."""
    translated = consultation_translation(consultation, language_code=language_code)
    return translated if translated.outcome_is_public else consultation


def privacy_notice_for(*, department: Department | None) -> PrivacyNotice:
    """The privacy notice that applies to ``department``'s consultations (to the hub as a
    whole when None): its own, else the hub-wide one, else the default wording, unsaved;
    in the active language when translated, else in the default one. Never missing, so a
    consultation page can always link to one."""
    default = Locale.objects.filter(language_code=default_language_code()).first()
    active = Locale.objects.filter(language_code=translation.get_language()).first() or default
    if default is None or active is None:
        return privacy_notice_default(language_code=translation.get_language() or "")
    notices = PrivacyNotice.objects.filter(locale__in={active.pk, default.pk})
    candidates = (
        [notices.filter(department=department), notices.filter(department__isnull=True)]
        if department is not None
        else [notices.filter(department__isnull=True)]
    )
    for candidate in candidates:
        found = {notice.locale_id: notice for notice in candidate}
        if found:
            return found.get(active.pk) or found.get(default.pk) or next(iter(found.values()))
    return privacy_notice_default(language_code=active.language_code)
