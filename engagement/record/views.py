"""Admin: erasure on request, for administrators only, with a confirmation page; and the
public unsubscribe link of the outcome email."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from engagement.record.erasure import ErasureError, erasure_plan, respondent_erase
from engagement.record.models import Response
from engagement.record.notifications import notification_for_token, notification_unsubscribe


class ErasureForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The request: who asked, when and how (kept in the audit trail).",
    )
    confirm = forms.BooleanField(
        label="I understand this cannot be undone: the words and identifiers are gone for good."
    )


def response_erase(request, pk: int):
    """GET: what would be erased (a dry run). POST with a reason and confirmation: erase."""
    # Administrators only: erasure reaches every department's copies of the person.
    if not request.user.is_superuser:
        raise PermissionDenied
    response = get_object_or_404(Response, pk=pk)
    try:
        plan = erasure_plan(reference=response.reference)
    except ErasureError as error:
        raise PermissionDenied(str(error)) from error
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = respondent_erase(
            plan=plan, reason=form.cleaned_data["reason"], requested_by=request.user
        )
        messages.success(
            request,
            f"Erased {len(plan.response_ids)} responses ({', '.join(plan.references) or 'none'}).",
        )
        return redirect(
            reverse("responses:inspect", args=[result.plan.response_ids[0]])
            if result.plan.response_ids
            else reverse("responses:index")
        )
    preview = respondent_erase(plan=plan, reason="preview", dry_run=True)
    return TemplateResponse(
        request,
        "record/admin/erase.html",
        {"response": response, "plan": plan, "preview": preview.erased, "form": form},
    )


# --- The outcome email's unsubscribe link (public, no sign-in) -------------------------------


@never_cache
@csrf_exempt  # RFC 8058: mail clients POST without cookies; the signed token is the key
@require_http_methods(["GET", "POST"])
def notification_unsubscribe_view(request, token: str):
    """GET: a button to confirm (link scanners follow GETs). POST: unsubscribe, idempotently."""
    notification = notification_for_token(token=token)
    if notification is None:
        return TemplateResponse(
            request, "record/notifications/unsubscribe_unknown.html", status=404
        )
    done = notification.unsubscribed_at is not None
    if request.method == "POST":
        notification_unsubscribe(notification=notification)
        done = True
    return TemplateResponse(
        request,
        "record/notifications/unsubscribe.html",
        {
            "done": done,
            "consultation_title": notification.response.consultation.title,
            "already_sent": notification.outcome_sent_at is not None,
        },
    )
