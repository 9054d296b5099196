"""The moderation inbox in the Wagtail admin.

Moderators see the original words with each removal highlighted, next to the text the
public would see; they approve or hide one response or many, and every decision is
audited. Works without JavaScript; keyboard shortcuts are an enhancement.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from engagement.moderation.forms import (
    BulkModerationForm,
    InboxFilterForm,
    ModerationActionForm,
    RedactFurtherForm,
)
from engagement.moderation.selectors import consultations_moderated_by, moderation_inbox
from engagement.moderation.services import (
    MODERATE_PERMISSION,
    ModerationError,
    ModerationPermissionDenied,
    response_moderate,
    response_redact_further,
    responses_moderate_bulk,
)
from engagement.record.models import ModerationReason, ModerationState, Response
from engagement.record.selectors import accountability_counts

PAGE_SIZE = 50
_DASHBOARD_CONSULTATIONS = 10


def user_may_use_inbox(user) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(MODERATE_PERMISSION)))


def _require_moderator(request) -> None:
    if not user_may_use_inbox(request.user):
        raise PermissionDenied


@dataclass(frozen=True)
class Segment:
    text: str
    removed_as: str = ""  # the kind of removal ("email", "phone"…), or "" for kept text


def original_segments(*, text: str, redactions: list[dict]) -> list[Segment]:
    """The original text cut into kept and removed pieces, for highlighting."""
    spans = sorted(
        (entry["start"], entry["end"], str(entry.get("kind", "")))
        for entry in redactions
        if isinstance(entry.get("start"), int) and isinstance(entry.get("end"), int)
    )
    segments: list[Segment] = []
    position = 0
    for start, end, kind in spans:
        if start < position or end > len(text) or end <= start:
            continue  # stale offsets (the text changed since): show it plain
        if start > position:
            segments.append(Segment(text[position:start]))
        segments.append(Segment(text[start:end], removed_as=kind.replace("_", " ")))
        position = end
    if position < len(text):
        segments.append(Segment(text[position:]))
    return segments


def _row(response: Response) -> dict:
    return {
        "response": response,
        "segments": original_segments(text=response.text, redactions=response.redactions),
        "manual_removals": [
            word
            for entry in response.redactions
            if entry.get("kind") == "moderator"
            for word in entry.get("removed", [])
        ],
        "decisions": list(response.decisions.all()),
    }


def _inbox_url(query: str) -> str:
    url = reverse("moderation:inbox")
    return f"{url}?{query}" if query else url


@require_http_methods(["GET", "POST"])
def inbox(request):
    _require_moderator(request)
    query = request.GET.urlencode()
    if request.method == "POST":
        form = BulkModerationForm(request.POST)
        if form.is_valid():
            _bulk_moderate(request, form)
        else:
            for error in form.errors.get("__all__", []):
                messages.error(request, str(error))
            for name in ("action", "reason"):
                for error in form.errors.get(name, []):
                    messages.error(request, str(error))
        return redirect(_inbox_url(request.POST.get("return_query", query)))

    filter_form = InboxFilterForm(request.GET, user=request.user)
    filters = filter_form.filters()
    page = Paginator(moderation_inbox(user=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("p")
    )
    other_parameters = request.GET.copy()
    other_parameters.pop("p", None)
    consultations = consultations_moderated_by(user=request.user)
    if filters.consultation_id:
        shown = consultations.filter(pk=filters.consultation_id)
    else:
        shown = consultations[:_DASHBOARD_CONSULTATIONS]
    return TemplateResponse(
        request,
        "moderation/admin/inbox.html",
        {
            "filter_form": filter_form,
            "action_form": ModerationActionForm(),
            "page": page,
            "rows": [_row(response) for response in page.object_list],
            "query": query,
            "page_query": other_parameters.urlencode(),
            "reasons": ModerationReason.choices,
            "accountability": [
                (consultation, accountability_counts(consultation=consultation))
                for consultation in shown
            ],
        },
    )


def _bulk_moderate(request, form: BulkModerationForm) -> None:
    try:
        result = responses_moderate_bulk(
            response_ids=form.cleaned_data["response_ids"],
            to_state=form.to_state,
            by=request.user,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except (ModerationError, ModerationPermissionDenied) as error:
        messages.error(request, str(error))
        return
    verb = "Approved" if form.to_state == ModerationState.APPROVED else "Hid"
    if result.moderated:
        count = len(result.moderated)
        messages.success(request, f"{verb} {count} response{'s' if count != 1 else ''}.")
    for reason in result.skipped.values():
        messages.warning(request, f"Left as it was: {reason}")


def _response_for(request, pk: int) -> Response:
    response = (
        Response.objects.select_related("consultation", "respondent", "moderated_by")
        .prefetch_related("answers", "decisions__decided_by", "revisions")
        .filter(pk=pk, consultation__in=consultations_moderated_by(user=request.user).values("pk"))
        .first()
    )
    if response is None:
        raise Http404("No such response in your departments' consultations.")
    return response


@require_http_methods(["GET", "POST"])
def response_detail(request, pk: int):
    _require_moderator(request)
    response = _response_for(request, pk)
    action_form = ModerationActionForm()
    redact_form = RedactFurtherForm(initial={"published_text": response.published_text})
    if request.method == "POST":
        try:
            if request.POST.get("form") == "redact":
                redact_form = RedactFurtherForm(request.POST)
                if redact_form.is_valid():
                    response_redact_further(
                        response=response,
                        published_text=redact_form.cleaned_data["published_text"],
                        by=request.user,
                        note=redact_form.cleaned_data["note"],
                    )
                    messages.success(request, f"Redacted {response.reference} further.")
                    return redirect("moderation:response", pk=response.pk)
            else:
                action_form = ModerationActionForm(request.POST)
                if action_form.is_valid():
                    response_moderate(
                        response=response,
                        to_state=action_form.to_state,
                        by=request.user,
                        reason=action_form.cleaned_data["reason"],
                        note=action_form.cleaned_data["note"],
                    )
                    messages.success(
                        request,
                        f"{response.reference} is now "
                        f"{ModerationState(action_form.to_state).label.lower()}.",
                    )
                    return redirect("moderation:response", pk=response.pk)
        except (ModerationError, ModerationPermissionDenied) as error:
            messages.error(request, str(error))
        response = _response_for(request, pk)
    return TemplateResponse(
        request,
        "moderation/admin/response.html",
        {
            "response": response,
            "row": _row(response),
            "action_form": action_form,
            "redact_form": redact_form,
            "inbox_url": _inbox_url(urlencode({"consultation": response.consultation_id})),
        },
    )
