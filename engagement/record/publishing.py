"""What must happen to a response's words before any of them can be public.

The record asks this on every write; moderation answers it (redaction with the
consultation's mention policy, the abuse screen, the auto-approve policy). The
record sits below moderation and never imports it, so moderation registers its
policy in its ``AppConfig.ready()``. Until one is registered nothing recorded can
become public: no published words, nothing approved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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

    def auto_approves(
        self, *, consultation: ConsultationPage, published_fields: Mapping[str, Any]
    ) -> bool:
        """Whether a new response with these published fields (``response_published_fields``
        and the name's) is approved as it is recorded, by the consultation's policy."""
        ...

    def auto_approvals_record(self, *, response_ids: Sequence[int]) -> int:
        """The audit trail of responses recorded approved by ``auto_approves``."""
        ...


class NothingPublished:
    """The policy before moderation registers its own: publish nothing, approve nothing."""

    def response_published_fields(self, *, consultation, text, answer_texts) -> dict[str, Any]:
        return {"published_text": "", "redactions": [], "flagged_terms": []}

    def answer_published_text(self, *, consultation, text) -> str:
        return ""

    def name_published_text(self, *, consultation, name) -> str:
        return ""

    def auto_approves(self, *, consultation, published_fields) -> bool:
        return False

    def auto_approvals_record(self, *, response_ids) -> int:
        return 0


_policy: PublishingPolicy = NothingPublished()


def publishing_policy_register(policy: PublishingPolicy) -> None:
    global _policy  # noqa: PLW0603 - one process-wide policy, set once at start-up
    _policy = policy


def publishing_policy() -> PublishingPolicy:
    return _policy
