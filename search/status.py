"""/response-status/: anyone holding a response's reference sees what became of it.

No sign-in: the reference is the key (8 characters of 30, so about 6.6 × 10^11 of them,
and lookups are rate-limited per client). The answer is the response's state in plain
words and, once it is published, its permalink; nothing else about it. A reference that
matches nothing gets the same page whatever the reason, after the same one query.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from consultations.ratelimit import RateLimitUnavailable, rate_limit_exceeded
from consultations.selectors import consultations_public
from engagement.record.models import (
    ModerationReason,
    ModerationState,
    Response,
    WithdrawalReason,
)
from engagement.record.services import REFERENCE_ALPHABET
from search.selectors import public_response

logger = logging.getLogger(__name__)

_SEPARATORS = re.compile(r"[\s\-–—_.]+")
_REFERENCE = re.compile(rf"HUB([{REFERENCE_ALPHABET}]{{4}})([{REFERENCE_ALPHABET}]{{4}})")
_UNKNOWN = _("No response has this reference. Check it against your confirmation and try again")


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        label=_("Your reference number"),
        help_text=_(
            "For example, HUB-7K3Q-9XPA. It was on the confirmation page, or in the reply to "
            "your post."
        ),
        max_length=40,
        error_messages={"required": _("Enter your reference number")},
    )

    def clean_reference(self) -> str:
        # People copy references with spaces, lower case, or without the HUB- part.
        compact = _SEPARATORS.sub("", self.cleaned_data["reference"].upper())
        if not compact.startswith("HUB"):
            compact = "HUB" + compact
        match = _REFERENCE.fullmatch(compact)
        if match is None:
            raise forms.ValidationError(
                _("Enter your reference number in the format HUB-XXXX-XXXX"), code="format"
            )
        return f"HUB-{match[1]}-{match[2]}"


@dataclass(frozen=True)
class ResponseStatus:
    reference: str
    title: str
    explanation: str
    permalink: str = ""


# Whole sentences, not a clause after "because": languages build "because" differently.
_HIDDEN_EXPLANATIONS: dict[str, str | Promise] = {
    ModerationReason.ABUSIVE: _(
        "Your response was received and counted, but not published because it broke the "
        "rules on abusive language."
    ),
    ModerationReason.OFF_TOPIC: _(
        "Your response was received and counted, but not published because it was not "
        "about the consultation."
    ),
    ModerationReason.SPAM: _(
        "Your response was received and counted, but not published because it was spam or "
        "advertising."
    ),
    ModerationReason.PERSONAL_DATA: _(
        "Your response was received and counted, but not published because it contained "
        "personal information that could not be removed."
    ),
    ModerationReason.LEGAL: _(
        "Your response was received and counted, but not published because publishing it "
        "could break the law."
    ),
}
_HIDDEN_OTHERWISE = _(
    "Your response was received and counted, but not published because of the moderation rules."
)


def response_status(*, reference: str) -> ResponseStatus | None:
    """What became of the response with this reference, as the public may be told."""
    response = (
        Response.objects.filter(reference=reference)
        .only(
            "reference", "moderation_state", "moderation_reason", "withdrawn_reason", "consultation"
        )
        .first()
    )
    if response is None:
        return None
    state = response.moderation_state
    if state == ModerationState.APPROVED:
        consultation = consultations_public().filter(pk=response.consultation_id).first()
        published = (
            public_response(consultation=consultation, reference=reference)
            if consultation is not None
            else None
        )
        if consultation is not None and published is not None:
            return ResponseStatus(
                reference,
                gettext("Published"),
                gettext("Your response is in the public record of “%(title)s”.")
                # The title as the visitor's language has it (the Welsh page, once live).
                % {"title": consultation.localized.title},
                reverse(
                    "hubsearch:consultation_response",
                    kwargs={"slug": consultation.slug, "reference": reference},
                ),
            )
        return ResponseStatus(
            reference,
            gettext("Approved, not public yet"),
            gettext(
                "A moderator approved your response. It will appear in the public record when "
                "the consultation’s page is public again."
            ),
        )
    if state == ModerationState.PENDING:
        return ResponseStatus(
            reference,
            gettext("Waiting for moderation"),
            gettext(
                "A moderator will read your response and remove any personal information "
                "before it is published. It is already counted among the responses received."
            ),
        )
    if state == ModerationState.HIDDEN:
        return ResponseStatus(
            reference,
            gettext("Not published"),
            str(_HIDDEN_EXPLANATIONS.get(response.moderation_reason, _HIDDEN_OTHERWISE)),
        )
    if state == ModerationState.WITHDRAWN:
        explanation = (
            gettext("Your response was withdrawn from the record because you made it private.")
            if response.withdrawn_reason == WithdrawalReason.PRIVATE_AT_SOURCE
            else gettext(
                "Your response was withdrawn from the record because you deleted it where "
                "you posted it."
            )
        )
        return ResponseStatus(reference, gettext("Withdrawn"), explanation)
    return ResponseStatus(
        reference,
        gettext("Erased on request"),
        gettext(
            "Your response was erased at your request. Only a note that a response was "
            "received and erased remains."
        ),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def response_status_lookup(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    form = ReferenceForm(data if "reference" in data else None)
    status = None
    if form.is_bound:
        try:
            limited = rate_limit_exceeded(
                request,
                scope="status",
                limit=settings.HUB_STATUS_LOOKUP_LIMIT,
                window=settings.HUB_STATUS_LOOKUP_WINDOW,
            )
        except RateLimitUnavailable:
            # Uncounted lookups would let references be guessed: none until Redis is back.
            logger.exception("The rate limit's cache is unreachable; a status lookup waits")
            limited = True
        if limited:
            return render(
                request,
                "search/response_status_too_many.html",
                {"retry_minutes": max(1, settings.HUB_STATUS_LOOKUP_WINDOW // 60)},
                status=429,
            )
        if form.is_valid():
            status = response_status(reference=form.cleaned_data["reference"])
            if status is None:
                form.add_error("reference", _UNKNOWN)
    return render(request, "search/response_status.html", {"form": form, "status": status})
