"""Moderation: who may publish or hold back a response, and the audit trail of it.

Every change of a response's moderation state goes through this module and writes a
``ModerationDecision`` (who, when, from, to, why). A moderator acts only on the
consultations of departments they belong to (``DepartmentMembership``) and only with
the ``record.moderate_response`` permission (the "Response moderator" role).

Also here: what the record applies to each new or edited response before anything
of it can be public — redaction with the consultation's mention policy, the abuse
screen, and the consultation's auto-approve policy (``ModerationPublishingPolicy``,
registered with the record in ``ModerationConfig.ready()``) — and the changes the
source makes after a response was recorded: edits and withdrawals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from consultations.accounts import department_handles
from consultations.models import ConsultationPage, department_ids_for_user
from engagement.moderation.models import ModerationDecision
from engagement.moderation.redaction import MentionPolicy, redact
from engagement.moderation.removals import MANUAL_REDACTION_KIND
from engagement.moderation.screening import screen_many
from engagement.record.models import (
    Answer,
    ModerationReason,
    ModerationState,
    Response,
    ResponseRevision,
    WithdrawalReason,
)
from engagement.record.services import RecordError, check_channel
from engagement.record.signals import responses_changed

MODERATE_PERMISSION = "record.moderate_response"
_CHUNK = 1000
# The states a moderator may move a response to; pending and withdrawn are the
# record's own (new or edited at the source; deleted at the source).
MODERATOR_TARGETS = (ModerationState.APPROVED, ModerationState.HIDDEN)
_REDACT_CHUNK = 500
_MARKER = re.compile(r"\[[^\[\]\n]{0,60}\bremoved\]")
_WORD_OR_MARKER = re.compile(r"\[[^\[\]\n]{0,60}\bremoved\]|[^\s\[]+|\[")


class ModerationError(ValueError):
    """The moderation asked for cannot be done as given; the message says why."""


class ModerationPermissionDenied(PermissionDenied):
    """The user may not moderate this consultation's responses."""


# --- Redaction and screening applied by the record ----------------------------------------


def mention_policy_for(*, consultation: ConsultationPage) -> MentionPolicy | None:
    """None keeps every @-mention; otherwise only the department's own accounts stay."""
    if not consultation.redact_private_mentions:
        return None
    # Looked up once per consultation object: a batch asks for every response it records.
    cached = getattr(consultation, "_department_handles", None)
    if cached is None or cached[0] != consultation.department_id:
        handles = frozenset(department_handles(department_id=consultation.department_id))
        cached = (consultation.department_id, handles)
        consultation._department_handles = cached
    return MentionPolicy(keep=cached[1])


def text_redacted(*, text: str, mentions: MentionPolicy | None) -> tuple[str, list[dict]]:
    """The publishable text and its removals (as stored in ``Response.redactions``)."""
    if not text:
        return "", []
    redaction = redact(text, mentions=mentions)
    removals = [
        {
            "kind": str(removal.kind),
            "start": removal.start,
            "end": removal.end,
            "replacement": removal.replacement,
        }
        for removal in redaction.removals
    ]
    return redaction.text, removals


def response_published_fields(
    *, consultation: ConsultationPage, text: str, answer_texts: Iterable[str] = ()
) -> dict:
    """``published_text``, ``redactions`` and ``flagged_terms`` for a response's words."""
    published_text, redactions = text_redacted(
        text=text, mentions=mention_policy_for(consultation=consultation)
    )
    return {
        "published_text": published_text,
        "redactions": redactions,
        "flagged_terms": screen_many([text, *answer_texts]),
    }


AUTO_APPROVED_NOTE = "Approved automatically: the consultation's auto-approve policy."


def response_auto_approves(
    *, consultation: ConsultationPage, published_fields: Mapping[str, Any]
) -> bool:
    """The auto-approve rule for a new response: the policy is on, the abuse screen
    flagged nothing and no name is to be shown (a name is published only once a person
    approved it). ``responses_auto_approve`` applies the same rule to rows in the record."""
    return bool(
        consultation.auto_approve_responses
        and not published_fields.get("flagged_terms")
        and not published_fields.get("publish_name")
    )


def auto_approvals_record(*, response_ids: Sequence[int], note: str = "") -> int:
    """An automatic ModerationDecision (pending → approved) for each response recorded
    approved by ``response_auto_approves``: the audit trail is the same either way."""
    ModerationDecision.objects.bulk_create(
        [
            ModerationDecision(
                response_id=pk,
                decided_by=None,
                from_state=ModerationState.PENDING,
                to_state=ModerationState.APPROVED,
                note=note or AUTO_APPROVED_NOTE,
                automatic=True,
            )
            for pk in response_ids
        ],
        batch_size=_CHUNK,
    )
    return len(response_ids)


def responses_auto_approve(
    *, consultation: ConsultationPage, response_ids: Sequence[int], note: str = ""
) -> int:
    """Apply the consultation's auto-approve policy to pending responses in the record
    (one edited at the source, say).

    Approves only when the policy is on, the abuse screen flagged nothing and no name is
    to be shown (a name is published only once a person approved it), with an automatic
    ModerationDecision each. Returns how many were approved.
    """
    if not consultation.auto_approve_responses or not response_ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        approvable = list(
            Response.objects.select_for_update()
            .filter(
                pk__in=list(response_ids),
                consultation=consultation,
                moderation_state=ModerationState.PENDING,
                withdrawn_at__isnull=True,
                flagged_terms=[],
                publish_name=False,
            )
            .values_list("pk", flat=True)
        )
        if not approvable:
            return 0
        Response.objects.filter(pk__in=approvable).update(
            moderation_state=ModerationState.APPROVED,
            moderation_reason="",
            moderated_at=now,
            moderated_by=None,
            updated_at=now,
        )
        # A bulk update sends no model signals: tell the layers above (the search index)
        # now, rather than leaving it to the outbox's sweep (which needs Celery beat).
        responses_changed.send(sender=Response, response_ids=approvable)
        auto_approvals_record(response_ids=approvable, note=note)
    return len(approvable)


def responses_hold(
    *, response_ids: Sequence[int], reason: str = ModerationReason.LEGAL, note: str
) -> int:
    """Hide just-recorded responses from publication for ``reason`` (the network withholds
    them on a legal demand, say), with an automatic decision each saying why, for a
    moderator to review. Withdrawn responses and ones already hidden are left as they are.
    Returns how many were held."""
    _check_request(to_state=ModerationState.HIDDEN, reason=reason)
    held = 0
    with transaction.atomic():
        for response in (
            Response.objects.select_for_update(of=("self",))
            .select_related("consultation")
            .filter(
                pk__in=list(response_ids),
                withdrawn_at__isnull=True,
                moderation_state__in=[ModerationState.PENDING, ModerationState.APPROVED],
            )
        ):
            _apply(
                response=response,
                to_state=ModerationState.HIDDEN,
                by=None,
                reason=reason,
                note=note,
                automatic=True,
            )
            held += 1
    return held


class ModerationPublishingPolicy:
    """What the record asks on every write (see ``engagement.record.publishing``)."""

    def response_published_fields(
        self, *, consultation: ConsultationPage, text: str, answer_texts: Sequence[str]
    ) -> dict[str, Any]:
        return response_published_fields(
            consultation=consultation, text=text, answer_texts=answer_texts
        )

    def answer_published_text(self, *, consultation: ConsultationPage, text: str) -> str:
        return text_redacted(text=text, mentions=mention_policy_for(consultation=consultation))[0]

    def name_published_text(self, *, consultation: ConsultationPage, name: str) -> str:
        return text_redacted(text=name, mentions=mention_policy_for(consultation=consultation))[0]

    def auto_approves(
        self, *, consultation: ConsultationPage, published_fields: Mapping[str, Any]
    ) -> bool:
        return response_auto_approves(consultation=consultation, published_fields=published_fields)

    def auto_approvals_record(self, *, response_ids: Sequence[int]) -> int:
        return auto_approvals_record(response_ids=response_ids)


# --- Permissions ----------------------------------------------------------------------------


def user_can_moderate(*, user, consultation: ConsultationPage) -> bool:
    if not getattr(user, "is_active", False) or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.has_perm(MODERATE_PERMISSION) and (
        consultation.department_id in department_ids_for_user(user)
    )


def _check_permission(*, user, response: Response) -> None:
    if not user_can_moderate(user=user, consultation=response.consultation):
        raise ModerationPermissionDenied(
            f"You cannot moderate responses to “{response.consultation.title}”: you need the "
            "Response moderator role in its department."
        )


# --- Moderators' decisions ---------------------------------------------------------------


def _check_request(*, to_state: str, reason: str) -> None:
    if to_state not in MODERATOR_TARGETS:
        raise ModerationError(
            f"A moderator can approve or hide a response, not set it to {to_state!r}."
        )
    if to_state == ModerationState.HIDDEN:
        if not reason:
            raise ModerationError(
                "Give a reason for hiding: " + ", ".join(ModerationReason.labels) + "."
            )
        if reason not in ModerationReason.values:
            raise ModerationError(
                f"Unknown reason {reason!r}; choose one of {', '.join(ModerationReason.values)}."
            )
    elif reason:
        raise ModerationError("A reason is given only for hiding a response.")


def _refusal(*, response: Response, to_state: str, reason: str) -> str | None:
    """Why this response cannot make this move now, or None when it can."""
    if response.moderation_state == ModerationState.WITHDRAWN or response.withdrawn_at:
        return (
            f"{response.reference} was withdrawn at the source; its words are gone and it "
            "cannot be moderated."
        )
    if response.moderation_state == to_state and (
        to_state != ModerationState.HIDDEN or response.moderation_reason == reason
    ):
        return f"{response.reference} is already {response.get_moderation_state_display().lower()}."
    return None


def _apply(
    *, response: Response, to_state: str, by, reason: str, note: str, automatic: bool = False
) -> ModerationDecision:
    from_state = response.moderation_state
    if to_state == ModerationState.APPROVED and not response.published_text and response.text:
        # Recorded before redaction was applied on write: never publish it unredacted.
        response.published_text, response.redactions = text_redacted(
            text=response.text, mentions=mention_policy_for(consultation=response.consultation)
        )
        _answers_redact(response=response)
    if (
        to_state == ModerationState.APPROVED
        and response.publish_name
        and not response.published_name
    ):
        # A name recorded before names were redacted on write: redact it before showing it.
        response.published_name = text_redacted(
            text=response.respondent_name,
            mentions=mention_policy_for(consultation=response.consultation),
        )[0]
    response.moderation_state = to_state
    response.moderation_reason = reason if to_state == ModerationState.HIDDEN else ""
    response.moderated_at = timezone.now()
    response.moderated_by = by
    response.save(
        update_fields=[
            "moderation_state",
            "moderation_reason",
            "moderated_at",
            "moderated_by",
            "published_text",
            "redactions",
            "published_name",
            "updated_at",
        ]
    )
    return ModerationDecision.objects.create(
        response=response,
        decided_by=by,
        from_state=from_state,
        to_state=to_state,
        reason=response.moderation_reason,
        note=note,
        automatic=automatic,
    )


def _answers_redact(*, response: Response) -> None:
    mentions = mention_policy_for(consultation=response.consultation)
    for answer in Answer.objects.filter(response=response, published_text="").exclude(text=""):
        answer.published_text, _removals = text_redacted(text=answer.text, mentions=mentions)
        answer.save(update_fields=["published_text"])


def response_moderate(
    *, response: Response, to_state: str, by, reason: str = "", note: str = ""
) -> Response:
    """Approve or hide one response, with an audited decision. Returns it, refreshed.

    Raises ModerationPermissionDenied when ``by`` may not moderate its consultation,
    and ModerationError for a move that is not allowed (anything out of withdrawn,
    hiding without a reason from the fixed list, a move to the state it is in).
    """
    _check_request(to_state=to_state, reason=reason)
    with transaction.atomic():
        locked = (
            Response.objects.select_for_update(of=("self",))
            .select_related("consultation", "consultation__department")
            .get(pk=response.pk)
        )
        _check_permission(user=by, response=locked)
        refusal = _refusal(response=locked, to_state=to_state, reason=reason)
        if refusal:
            raise ModerationError(refusal)
        _apply(response=locked, to_state=to_state, by=by, reason=reason, note=note)
    return locked


@dataclass(frozen=True)
class BulkModerationResult:
    moderated: list[int] = field(default_factory=list)
    # Response id → why it was left as it was (already in that state, withdrawn).
    skipped: dict[int, str] = field(default_factory=dict)


def responses_moderate_bulk(
    *, response_ids: Sequence[int], to_state: str, by, reason: str = "", note: str = ""
) -> BulkModerationResult:
    """Approve or hide many responses at once, one audited decision each.

    All or nothing on permissions and unknown ids (nothing is changed and the error
    says which); responses withdrawn or already in the state asked for are skipped
    and reported.
    """
    _check_request(to_state=to_state, reason=reason)
    wanted = list(dict.fromkeys(int(pk) for pk in response_ids))
    if not wanted:
        raise ModerationError("Select at least one response.")
    moderated: list[int] = []
    skipped: dict[int, str] = {}
    with transaction.atomic():
        locked = list(
            Response.objects.select_for_update(of=("self",))
            .select_related("consultation", "consultation__department")
            .filter(pk__in=wanted)
            .order_by("pk")
        )
        missing = sorted(set(wanted) - {response.pk for response in locked})
        if missing:
            raise ModerationError(f"No responses with ids {missing}; nothing was changed.")
        forbidden = sorted(
            {
                response.consultation.title
                for response in locked
                if not user_can_moderate(user=by, consultation=response.consultation)
            }
        )
        if forbidden:
            raise ModerationPermissionDenied(
                "You cannot moderate responses to "
                + ", ".join(f"“{t}”" for t in forbidden)
                + "; nothing was changed."
            )
        for response in locked:
            refusal = _refusal(response=response, to_state=to_state, reason=reason)
            if refusal:
                skipped[response.pk] = refusal
                continue
            _apply(response=response, to_state=to_state, by=by, reason=reason, note=note)
            moderated.append(response.pk)
    return BulkModerationResult(moderated=moderated, skipped=skipped)


def _words(text: str) -> list[str]:
    return _WORD_OR_MARKER.findall(text)


def _removed_words(*, before: str, after: str) -> list[str]:
    """The words of ``before`` that ``after`` leaves out, if ``after`` only removes.

    ``after`` may drop whole words and put markers such as "[name removed]" in their
    place; any other change (a new or altered word) raises ModerationError.
    """
    old = _words(before)
    removed: list[str] = []
    position = 0
    for word in _words(after):
        if _MARKER.fullmatch(word):
            continue
        try:
            found = old.index(word, position)
        except ValueError:
            raise ModerationError(
                f"“{word}” is not in the published text. A further redaction can only remove "
                "whole words or replace them with a marker such as [name removed]."
            ) from None
        removed.extend(old[position:found])
        position = found + 1
    removed.extend(old[position:])
    return [word for word in removed if not _MARKER.fullmatch(word)]


def response_redact_further(*, response: Response, published_text: str, by, note: str) -> Response:
    """A moderator removes more from the public text (a name, a detail the patterns missed).

    Only removals are allowed, so a moderator can never put words in a respondent's
    mouth; the removed words are kept in ``redactions`` for moderators and the change
    is audited as a ModerationDecision (state unchanged) with the moderator's note.
    """
    published_text = published_text.replace("\r\n", "\n").strip()
    if not note.strip():
        raise ModerationError("Say why you are removing more from the published text.")
    with transaction.atomic():
        locked = (
            Response.objects.select_for_update(of=("self",))
            .select_related("consultation", "consultation__department")
            .get(pk=response.pk)
        )
        _check_permission(user=by, response=locked)
        if locked.moderation_state == ModerationState.WITHDRAWN or locked.withdrawn_at:
            raise ModerationError(f"{locked.reference} was withdrawn at the source.")
        before = locked.published_text
        if not before and locked.text:
            before, locked.redactions = text_redacted(
                text=locked.text, mentions=mention_policy_for(consultation=locked.consultation)
            )
        removed = _removed_words(before=before, after=published_text)
        if not removed:
            raise ModerationError("Nothing was removed from the published text.")
        now = timezone.now()
        locked.published_text = published_text
        locked.redactions = [
            *locked.redactions,
            {
                "kind": MANUAL_REDACTION_KIND,
                "removed": removed,
                "by": getattr(by, "pk", None),
                "at": now.isoformat(),
            },
        ]
        locked.save(update_fields=["published_text", "redactions", "updated_at"])
        ModerationDecision.objects.create(
            response=locked,
            decided_by=by,
            from_state=locked.moderation_state,
            to_state=locked.moderation_state,
            reason=locked.moderation_reason,
            note=f"Published text redacted further: {note.strip()}",
        )
    return locked


# --- Responses recorded before redaction on write -------------------------------------------


def responses_needing_redaction(*, consultation: ConsultationPage | None = None, everything=False):
    """Responses whose published words are missing (recorded before redaction on write),
    or with ``everything``, all not withdrawn (e.g. after a mention policy change).

    Never those whose original words expired (engagement.record.retention): their text is
    already the redacted wording, and redacting it again would lose what was removed."""
    responses = Response.objects.filter(
        withdrawn_at__isnull=True, original_expired_at__isnull=True
    ).exclude(moderation_state=ModerationState.WITHDRAWN)
    if consultation is not None:
        responses = responses.filter(consultation=consultation)
    if not everything:
        unredacted_answers = Answer.objects.filter(
            response=OuterRef("pk"), published_text=""
        ).exclude(text="")
        responses = responses.filter(
            (Q(published_text="") & ~Q(text="")) | Q(Exists(unredacted_answers))
        )
    return responses.order_by("pk")


@dataclass(frozen=True)
class RedactExistingResult:
    redacted: int
    # Left alone: a moderator redacted them further by hand, which a re-run would undo.
    kept_manual: int


def responses_redact_existing(
    *, response_ids: Sequence[int], on_progress=None
) -> RedactExistingResult:
    """Fill ``published_text``, ``redactions`` and ``flagged_terms`` (and the answers'
    published text) from the original words. Idempotent; safe to re-run."""
    redacted = kept_manual = 0
    for start in range(0, len(response_ids), _REDACT_CHUNK):
        chunk = list(response_ids[start : start + _REDACT_CHUNK])
        with transaction.atomic():
            responses = list(
                Response.objects.select_for_update(of=("self",))
                .select_related("consultation", "consultation__department")
                .filter(pk__in=chunk, withdrawn_at__isnull=True)
                .prefetch_related("answers")
            )
            changed_responses: list[Response] = []
            changed_answers: list[Answer] = []
            for response in responses:
                if any(entry.get("kind") == MANUAL_REDACTION_KIND for entry in response.redactions):
                    kept_manual += 1
                    continue
                answers = list(response.answers.all())
                fields = response_published_fields(
                    consultation=response.consultation,
                    text=response.text,
                    answer_texts=[answer.text for answer in answers],
                )
                for name, value in fields.items():
                    setattr(response, name, value)
                # bulk_update skips auto_now; kept for whatever reads changes by updated_at.
                response.updated_at = timezone.now()
                changed_responses.append(response)
                mentions = mention_policy_for(consultation=response.consultation)
                for answer in answers:
                    answer.published_text = text_redacted(text=answer.text, mentions=mentions)[0]
                    changed_answers.append(answer)
            Response.objects.bulk_update(
                changed_responses, ["published_text", "redactions", "flagged_terms", "updated_at"]
            )
            Answer.objects.bulk_update(changed_answers, ["published_text"])
            responses_changed.send(
                sender=Response,
                response_ids=[response.pk for response in changed_responses],
                # Published words were rewritten: copies of the old ones must go, not wait.
                words_changed=True,
            )
            redacted += len(changed_responses)
        if on_progress is not None:
            on_progress(len(chunk))
    return RedactExistingResult(redacted=redacted, kept_manual=kept_manual)


# --- Changes at the source ---------------------------------------------------------------


def response_text_update(*, response_id: int, text: str, edited_at: datetime | None) -> bool:
    """The author edited the post at the source: keep the earlier wording as a revision.

    Returns False (and changes nothing) when the text is the same or the response is
    withdrawn. An approved response goes back to pending: the new words are unmoderated.
    """
    with transaction.atomic():
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("consultation", "consultation__department")
            .get(pk=response_id)
        )
        if response.withdrawn_at is not None or response.text == text:
            return False
        if edited_at is not None and response.edited_at is not None:
            if edited_at <= response.edited_at:
                return False  # an older wording than the one we already have
        ResponseRevision.objects.create(
            response=response, text=response.text, replaced_at=edited_at
        )
        response.text = text
        response.edited_at = edited_at or timezone.now()
        answer_texts = Answer.objects.filter(response=response).values_list("text", flat=True)
        published = response_published_fields(
            consultation=response.consultation, text=text, answer_texts=list(answer_texts)
        )
        for name, value in published.items():
            setattr(response, name, value)
        fields = ["text", "edited_at", "updated_at", *published]
        if response.moderation_state == ModerationState.APPROVED:
            response.moderation_state = ModerationState.PENDING
            fields.append("moderation_state")
            ModerationDecision.objects.create(
                response=response,
                from_state=ModerationState.APPROVED,
                to_state=ModerationState.PENDING,
                note="Edited by its author at the source: the new words need moderating.",
                automatic=True,
            )
        response.save(update_fields=fields)
        responses_auto_approve(
            consultation=response.consultation,
            response_ids=[response.pk],
            note="Approved automatically after an edit at the source: auto-approve policy.",
        )
        return True


def responses_withdraw(
    *, channel: str, external_ids: Iterable[str], reason: str, withdrawn_at: datetime | None = None
) -> int:
    """Posts deleted or made private at the source leave the record's words behind.

    Each becomes a tombstone: ids, thread ids and times stay, with the reason; the
    text, earlier wordings, answers and raw payload are erased. Idempotent: a response
    already withdrawn is left as it is. Returns how many were withdrawn now.
    """
    check_channel(channel=channel)
    if reason not in WithdrawalReason.values:
        raise RecordError(f"Unknown withdrawal reason {reason!r}.")
    ids = [external_id for external_id in external_ids if external_id]
    moment = withdrawn_at or timezone.now()
    withdrawn = 0
    with transaction.atomic():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            states = dict(
                Response.objects.select_for_update()
                .filter(channel=channel, external_id__in=chunk, withdrawn_at__isnull=True)
                .values_list("pk", "moderation_state")
            )
            pks = list(states)
            if not pks:
                continue
            ResponseRevision.objects.filter(response_id__in=pks).delete()
            Answer.objects.filter(response_id__in=pks).update(
                text="", published_text="", choices=[]
            )
            ModerationDecision.objects.bulk_create(
                [
                    ModerationDecision(
                        response_id=pk,
                        from_state=from_state,
                        to_state=ModerationState.WITHDRAWN,
                        note=WithdrawalReason(reason).label,
                        automatic=True,
                    )
                    for pk, from_state in states.items()
                ]
            )
            withdrawn += Response.objects.filter(pk__in=pks).update(
                text="",
                published_text="",
                redactions=[],
                flagged_terms=[],
                raw_payload={},
                moderation_state=ModerationState.WITHDRAWN,
                withdrawn_at=moment,
                withdrawn_reason=reason,
                updated_at=moment,
            )
            # Out of the search index at the next drain, not after the outbox's sweep.
            responses_changed.send(sender=Response, response_ids=pks)
    return withdrawn
