"""What must happen to a response's words before any of them can be public.

The record asks this on every write; moderation answers it (redaction with the
consultation's mention policy, the abuse screen, the auto-approve policy). The
record sits below moderation and never imports it, so moderation registers its
policy in its ``AppConfig.ready()``. Until one is registered nothing recorded can
become public: no published words, nothing approved.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from consultations.models import ConsultationPage


class PublishingPolicy(Protocol):
    def response_published_fields(
        self, *, consultation: ConsultationPage, text: str, answer_texts: Sequence[str]
    ) -> dict[str, Any]:
        """``published_text``, ``redactions`` and ``flagged_terms`` for a response's words."""
        ...

    def answer_published_text(self, *, consultation: ConsultationPage, text: str) -> str:
        """An answer's words as the public may see them."""
        ...

    def name_published_text(self, *, consultation: ConsultationPage, name: str) -> str:
        """The name given with a response as the public may see it (redacted like text)."""
        ...

    def responses_auto_approve(
        self,
        *,
        consultation: ConsultationPage,
        response_ids: Sequence[int],
        note: str = "",
        announce: bool = True,
    ) -> int:
        """Approve what the consultation's policy allows among rows just written.

        ``announce=False``: the caller sends ``responses_changed`` for these rows itself,
        after this, in the same transaction."""
        ...


class NothingPublished:
    """The policy before moderation registers its own: publish nothing, approve nothing."""

    def response_published_fields(self, *, consultation, text, answer_texts) -> dict[str, Any]:
        return {"published_text": "", "redactions": [], "flagged_terms": []}

    def answer_published_text(self, *, consultation, text) -> str:
        return ""

    def name_published_text(self, *, consultation, name) -> str:
        return ""

    def responses_auto_approve(self, *, consultation, response_ids, note="", announce=True) -> int:
        return 0


_policy: PublishingPolicy = NothingPublished()


def publishing_policy_register(policy: PublishingPolicy) -> None:
    global _policy  # noqa: PLW0603 - one process-wide policy, set once at start-up
    _policy = policy


def publishing_policy() -> PublishingPolicy:
    return _policy
