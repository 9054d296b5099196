"""How the public record shows a response: highlighting, pseudonyms, links to the source."""

from __future__ import annotations

import regex
from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

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


@register.filter
def published_answer(answer) -> str:
    """An answer as the public may read it: published words, else the options chosen."""
    # gettext: the agreement scale's options are recorded in English and shown translated.
    return answer.published_text or ", ".join(gettext(choice) for choice in answer.choices)
