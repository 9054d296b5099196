"""How many personal details were taken out of a response, in plain words for the public.

Reads ``Response.redactions`` (one entry per removal, each with its ``kind``), never the
removed words: the public learns how many details went and of what kind, nothing more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from engagement.moderation.redaction import RemovalKind

# The kind of a removal a moderator made by hand (``response_redact_further``).
MANUAL_REDACTION_KIND = "moderator"

# Each kind as the public reads it: (one, several).
_NOUNS: dict[str, tuple[str, str]] = {
    RemovalKind.EMAIL: ("an email address", "email addresses"),
    RemovalKind.PHONE: ("a phone number", "phone numbers"),
    RemovalKind.POSTCODE: ("a postcode", "postcodes"),
    RemovalKind.NI_NUMBER: ("a National Insurance number", "National Insurance numbers"),
    RemovalKind.NHS_NUMBER: ("an NHS number", "NHS numbers"),
    RemovalKind.VEHICLE_REGISTRATION: ("a vehicle registration", "vehicle registrations"),
    RemovalKind.BANK_DETAILS: ("a set of bank details", "sets of bank details"),
    RemovalKind.DATE_OF_BIRTH: ("a date of birth", "dates of birth"),
    RemovalKind.ADDRESS: ("an address", "addresses"),
    RemovalKind.CARD: ("a card number", "card numbers"),
    RemovalKind.LINK: ("a private link", "private links"),
    RemovalKind.MENTION: ("an @-mention of a private person", "@-mentions of private people"),
    RemovalKind.NAME: ("a name", "names"),
    MANUAL_REDACTION_KIND: ("a detail removed by a moderator", "details removed by a moderator"),
}
# A kind this module does not know yet (a category added later) still counts.
_OTHER = ("another personal detail", "other personal details")


def _phrase(kind: str, count: int) -> str:
    one, several = _NOUNS.get(kind, _OTHER)
    return one if count == 1 else f"{count} {several}"


def _joined(parts: list[str]) -> str:
    if len(parts) < 2:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


@dataclass(frozen=True)
class RemovalsSummary:
    """What was removed from one response: ``count`` details, ``by_kind`` most first
    (then in the order they came in the text)."""

    count: int
    by_kind: tuple[tuple[str, int], ...]

    @property
    def headline(self) -> str:
        """ "1 personal detail removed", "3 personal details removed"."""
        noun = "personal detail" if self.count == 1 else "personal details"
        return f"{self.count} {noun} removed"

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
