"""How the public record shows a response: highlighting, pseudonyms, links to the source."""

from __future__ import annotations

import regex
from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from consultations.selectors import QuestionWords, question_words
from engagement.moderation.removals import RemovalsSummary, removals_summary
from engagement.record.channels import social_channel_values
from engagement.record.models import Response

register = template.Library()


@register.filter
def highlight(text: str, terms) -> SafeString:
    """``text`` escaped, with words starting with any of ``terms`` in ``<mark>``."""
    text = text or ""
    if not terms:
        return conditional_escape(text)
    alternatives = "|".join(regex.escape(term) for term in sorted(terms, key=len, reverse=True))
    pattern = regex.compile(rf"(?<![\p{{L}}\p{{N}}])((?:{alternatives})[\p{{L}}\p{{N}}]*)", regex.I)
    pieces = pattern.split(text)
    html = []
    for position, piece in enumerate(pieces):
        if position % 2:
            html.append(f'<mark class="hub-highlight">{conditional_escape(piece)}</mark>')
        else:
            html.append(str(conditional_escape(piece)))
    return mark_safe("".join(html))  # noqa: S308 - every piece is escaped above


@register.filter
def personal_details_removed(response: Response) -> RemovalsSummary:
    """How many personal details were removed from ``response`` before it was published,
    and of what kinds (never what they were)."""
    return removals_summary(response.redactions)


# How engagement.record.models.pseudonym_label words a pseudonym, translated for display.
_PSEUDONYM_PREFIX = "Respondent "


@register.filter
def respondent_label(response: Response) -> str:
    """ "Respondent R-7K3Q-9XPA via Mastodon" (a pseudonym per consultation); a web
    respondent's name only with their consent."""
    name = response.public_name
    if name.startswith(_PSEUDONYM_PREFIX):
        name = gettext("Respondent %(pseudonym)s") % {"pseudonym": name[len(_PSEUDONYM_PREFIX) :]}
    return gettext("%(respondent)s via %(channel)s") % {
        "respondent": name,
        "channel": response.get_channel_display(),
    }


@register.filter
def original_post_url(response: Response) -> str:
    # A social network's posts are public pages the hub may link to.
    linkable = response.channel in social_channel_values()
    if linkable and response.url.startswith(("https://", "http://")):
        return response.url
    return ""


def _question_words(context, consultation) -> dict[int, QuestionWords]:
    # Once per consultation and language for the whole page (a list shows many responses
    # to the same consultation), kept on the request.
    request = context.get("request")
    memo = getattr(request, "_hub_question_words", None) if request is not None else None
    if memo is None:
        memo = {}
        if request is not None:
            request._hub_question_words = memo
    key = (consultation.pk, context.get("LANGUAGE_CODE"))
    if key not in memo:
        memo[key] = question_words(consultation)
    return memo[key]


@register.simple_tag(takes_context=True)
def answer_shown(context, answer) -> dict[str, str]:
    """An answer as the page's language words it: ``question``, the question as the page
    in that language asks it (else as the respondent read it), and ``value``, the published
    words, else the options chosen by that page's words for them."""
    words = _question_words(context, answer.response.consultation).get(answer.question_id)
    question = words.text if words else answer.question_text
    if answer.published_text:
        return {"question": question, "value": answer.published_text}
    labels = words.labels if words else {}
    # The agreement scale's options are recorded in English and shown through the catalogue.
    value = ", ".join(labels.get(choice) or gettext(choice) for choice in answer.choices)
    return {"question": question, "value": value}
