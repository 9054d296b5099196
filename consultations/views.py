"""Public views: the consultation listing, the web response form (rendered and validated
here, recorded by ``engagement.record.services.web_response_record``) and the privacy
notices."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.paginator import Paginator
from django.db.utils import InterfaceError, OperationalError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET
from wagtail.models import Locale

from consultations.forms import ConsultationResponseForm
from consultations.models import (
    ConsultationIndexPage,
    ConsultationPage,
    ConsultationStatus,
    Department,
    retention_periods_described,
)
from consultations.ratelimit import RateLimitUnavailable, rate_limit_exceeded
from consultations.selectors import (
    consultation_translation,
    consultations_public,
    departments_with_consultations,
    privacy_notice_for,
    topics_with_consultations,
)
from engagement.record.services import web_response_record

logger = logging.getLogger(__name__)

PAGE_SIZE = 10
# What the form's "try again in a few minutes" tells a browser (Retry-After).
DATABASE_RETRY_SECONDS = 120
_SESSION_REFERENCE_KEY = "hub_response_reference_{page_id}"


# --- Listing ----------------------------------------------------------------------


def consultation_index_context(request, index: ConsultationIndexPage) -> dict:
    statuses = dict(ConsultationStatus.choices)
    status = request.GET.get("status", "")
    status = status if status in statuses else ""
    # Listed by the names shown, which are the Welsh ones on the Welsh index.
    departments = sorted(departments_with_consultations(), key=lambda d: d.display_name.casefold())
    topics = sorted(topics_with_consultations(), key=lambda t: t.display_name.casefold())
    department = request.GET.get("department", "")
    department = department if any(d.slug == department for d in departments) else ""
    topic = request.GET.get("topic", "")
    topic = topic if any(t.slug == topic for t in topics) else ""

    # The consultations are the default language's pages; a translated index lists each in
    # its own language where it has been translated.
    default_locale = Locale.get_default()
    source_index = index.get_translation_or_none(default_locale) or index
    consultations = consultations_public(
        status=status, department_slug=department, topic_slug=topic
    ).child_of(source_index)
    paginator = Paginator(consultations, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    listed = list(page_obj.object_list)
    if index.locale_id != default_locale.pk:
        language_code = index.locale.language_code
        listed = [consultation_translation(c, language_code=language_code) for c in listed]

    query = {"status": status, "department": department, "topic": topic}
    filters_query = "&".join(f"{key}={value}" for key, value in query.items() if value)
    return {
        "consultations": listed,
        "page_obj": page_obj,
        "paginator": paginator,
        "filters_query": filters_query,
        "statuses": ConsultationStatus.choices,
        "departments": departments,
        "topics": topics,
        "selected": query,
        "any_filter": any(query.values()),
    }


# --- Responding ------------------------------------------------------------------------


def _render(request, page, template, context=None, status=200):
    return TemplateResponse(
        request,
        template,
        {"page": page, "self": page, **(context or {})},
        status=status,
    )


def consultation_respond(request, page: ConsultationPage):
    if not page.is_open:
        return _render(
            request,
            page,
            "consultations/respond_closed.html",
            status=200 if request.method == "GET" else 403,
        )
    # Answers are recorded against the consultation itself (its default-language page) and
    # its questions; a translated page only lends its words to the form.
    consultation = page.source_consultation
    questions = list(consultation.questions.all())
    translated_questions = (
        {q.translation_key: q for q in page.questions.all()} if consultation.pk != page.pk else {}
    )
    if request.method != "POST":
        form = ConsultationResponseForm(
            questions=questions, translated_questions=translated_questions
        )
        return _render(request, page, "consultations/respond.html", {"form": form})

    try:
        limited = rate_limit_exceeded(
            request,
            scope="respond",
            limit=settings.HUB_RESPONSE_RATE_LIMIT,
            window=settings.HUB_RESPONSE_RATE_WINDOW,
        )
    except RateLimitUnavailable:
        # Redis is away: nothing is recorded unchecked; the form comes back with what was
        # typed, to send again in a few minutes (as when the database is away).
        logger.exception("The rate limit's cache is unreachable; a web response was not taken")
        form = ConsultationResponseForm(
            request.POST, questions=questions, translated_questions=translated_questions
        )
        form.is_valid()
        unavailable = _render(
            request,
            page,
            "consultations/respond.html",
            {"form": form, "service_unavailable": True},
            status=503,
        )
        unavailable["Retry-After"] = str(DATABASE_RETRY_SECONDS)
        return unavailable
    if limited:
        response = _render(
            request,
            page,
            "consultations/too_many_requests.html",
            {"retry_minutes": max(1, settings.HUB_RESPONSE_RATE_WINDOW // 60)},
            status=429,
        )
        response["Retry-After"] = str(settings.HUB_RESPONSE_RATE_WINDOW)
        return response

    form = ConsultationResponseForm(
        request.POST, questions=questions, translated_questions=translated_questions
    )
    if form.is_spam:
        return _render(request, page, "consultations/respond_rejected.html", status=400)
    if not form.is_valid():
        return _render(request, page, "consultations/respond.html", {"form": form}, status=400)
    try:
        response = web_response_record(
            consultation=consultation,
            answers=form.answers_given(),
            question_texts=form.question_texts(),
            choice_labels=form.choice_labels(),
            # The language of the page answered: a hint the language detection may overrule.
            language="" if consultation.pk == page.pk else page.locale.language_code,
            # The language the person read the form in: their emails are written in it.
            form_language=getattr(request, "LANGUAGE_CODE", ""),
            name=form.cleaned_data.get("name", ""),
            email=form.cleaned_data.get("email", ""),
            publish_name=bool(form.cleaned_data.get("publish_name")),
            wants_outcome=bool(form.cleaned_data.get("notify_outcome")),
            consent_to_publish=form.cleaned_data["consent_to_publish"],
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
    except (OperationalError, InterfaceError):
        # The database went away: nothing was recorded (one transaction). The form comes
        # back with everything the person typed, to send again in a few minutes.
        logger.exception("The database is unreachable; a web response was not recorded")
        unavailable = _render(
            request,
            page,
            "consultations/respond.html",
            {"form": form, "service_unavailable": True},
            status=503,
        )
        unavailable["Retry-After"] = str(DATABASE_RETRY_SECONDS)
        return unavailable
    request.session[_SESSION_REFERENCE_KEY.format(page_id=page.pk)] = response.reference
    return redirect(page.url + page.reverse_subpage("respond_confirmation"))


def consultation_respond_confirmation(request, page: ConsultationPage):
    reference = request.session.get(_SESSION_REFERENCE_KEY.format(page_id=page.pk))
    if not reference:
        return redirect(page.url)
    return _render(
        request, page, "consultations/respond_confirmation.html", {"reference": reference}
    )


# --- Privacy notices ---------------------------------------------------------------------


@require_GET
def privacy_notice(request, slug: str | None = None):
    """The hub-wide privacy notice (no slug), or a department's: its own, or the hub-wide
    one until it has written its own."""
    department = get_object_or_404(Department, slug=slug) if slug is not None else None
    notice = privacy_notice_for(department=department)
    return TemplateResponse(
        request,
        "consultations/privacy_notice.html",
        {
            "notice": notice,
            "department": department,
            # The periods the retention schedule really applies, so the notice cannot
            # drift from what engagement.record.retention does.
            "retention_periods": (
                department.retention_periods() if department else retention_periods_described()
            ),
            # The footer links to the notice the visitor is reading.
            "privacy_notice_department": department,
        },
    )
