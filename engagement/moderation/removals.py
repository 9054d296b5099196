"""How many personal details were taken out of a response, in plain words for the public.

Reads ``Response.redactions`` (one entry per removal, each with its ``kind``), never the
removed words: the public learns how many details went and of what kind, nothing more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext, ngettext, ngettext_lazy, pgettext

from engagement.moderation.redaction import RemovalKind

VOWELS = frozenset("aeiouwyâêîôûŵŷ")

# The kind of a removal a moderator made by hand (``response_redact_further``).
MANUAL_REDACTION_KIND = "moderator"

# Each kind as the public reads it, one or several: in the page's language, the number
# chosen when the summary is read.
_NOUNS: dict[str, Any] = {
    RemovalKind.EMAIL: ngettext_lazy("an email address", "%(count)s email addresses", "count"),
    RemovalKind.PHONE: ngettext_lazy("a phone number", "%(count)s phone numbers", "count"),
    RemovalKind.POSTCODE: ngettext_lazy("a postcode", "%(count)s postcodes", "count"),
    RemovalKind.NI_NUMBER: ngettext_lazy(
        "a National Insurance number", "%(count)s National Insurance numbers", "count"
    ),
    RemovalKind.NHS_NUMBER: ngettext_lazy("an NHS number", "%(count)s NHS numbers", "count"),
    RemovalKind.VEHICLE_REGISTRATION: ngettext_lazy(
        "a vehicle registration", "%(count)s vehicle registrations", "count"
    ),
    RemovalKind.BANK_DETAILS: ngettext_lazy(
        "a set of bank details", "%(count)s sets of bank details", "count"
    ),
    RemovalKind.DATE_OF_BIRTH: ngettext_lazy(
        "a date of birth", "%(count)s dates of birth", "count"
    ),
    RemovalKind.ADDRESS: ngettext_lazy("an address", "%(count)s addresses", "count"),
    RemovalKind.CARD: ngettext_lazy("a card number", "%(count)s card numbers", "count"),
    RemovalKind.LINK: ngettext_lazy("a private link", "%(count)s private links", "count"),
    RemovalKind.MENTION: ngettext_lazy(
        "an @-mention of a private person", "%(count)s @-mentions of private people", "count"
    ),
    RemovalKind.NAME: ngettext_lazy("a name", "%(count)s names", "count"),
    MANUAL_REDACTION_KIND: ngettext_lazy(
        "a detail removed by a moderator", "%(count)s details removed by a moderator", "count"
    ),
}
# A kind this module does not know yet (a category added later) still counts.
_OTHER = ngettext_lazy("another personal detail", "%(count)s other personal details", "count")


def _phrase(kind: str, count: int) -> str:
    return str(_NOUNS.get(kind, _OTHER) % {"count": count})


def _joined(parts: list[str]) -> str:
    if len(parts) < 2:
        return "".join(parts)
    joined = {"first": ", ".join(parts[:-1]), "last": parts[-1]}
    if parts[-1][:1].lower() in VOWELS:
        # Welsh writes "ac" before a vowel ("rhif ffôn ac enw"); English "and" either way.
        return pgettext("before a word starting with a vowel", "%(first)s and %(last)s") % joined
    return gettext("%(first)s and %(last)s") % joined


@dataclass(frozen=True)
class RemovalsSummary:
    """What was removed from one response: ``count`` details, ``by_kind`` most first
    (then in the order they came in the text)."""

    count: int
    by_kind: tuple[tuple[str, int], ...]

    @property
    def headline(self) -> str:
        """ "1 personal detail removed", "3 personal details removed"."""
        return ngettext(
            "%(count)s personal detail removed", "%(count)s personal details removed", self.count
        ) % {"count": self.count}

    @property
    def description(self) -> str:
        """ "2 phone numbers and an email address"."""
        return _joined([_phrase(kind, count) for kind, count in self.by_kind])


def removals_count(redactions: Iterable) -> int:
    """How many personal details were removed: one per entry of ``Response.redactions``
    (the open-data exports count the same in SQL, ``JSON_ARRAY_LENGTH``)."""
    return len(list(redactions or ()))


def removals_summary(redactions: Iterable) -> RemovalsSummary:
    """``Response.redactions`` summed up by kind, for the public page of a response."""
    kinds = Counter(
        str(entry.get("kind", "")) if isinstance(entry, dict) else "" for entry in redactions or ()
    )
    # Most first; equal counts in the order the text has them (a Counter keeps it).
    by_kind = sorted(kinds.items(), key=lambda item: -item[1])
    return RemovalsSummary(count=sum(kinds.values()), by_kind=tuple(by_kind))


__all__ = [
    "MANUAL_REDACTION_KIND",
    "RemovalsSummary",
    "removals_count",
    "removals_summary",
]
