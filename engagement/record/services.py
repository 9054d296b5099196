"""The one way into the record.

Every channel — the web form, the social connectors, the email/letter/event
imports — writes responses through this module. Writes are idempotent on
``(channel, external_id)``: recording the same platform post twice returns the
first record (single) or counts it as already there (batch), so pollers and
imports can safely be re-run.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from consultations.models import ConsultationPage, Question
from engagement.models import (
    Answer,
    Channel,
    ModerationDecision,
    ModerationState,
    Respondent,
    Response,
    ResponseRevision,
    WithdrawalReason,
)
from engagement.services.moderation import (
    mention_policy_for,
    response_published_fields,
    responses_auto_approve,
    text_redacted,
)
from search.services import search_index_enqueue

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L or U: easy to read aloud
PSEUDONYM_RANGE = (1000, 9_999_999)
_ATTEMPTS = 8
_CHUNK = 1000


class RecordError(ValueError):
    """The input cannot be recorded as given; the message says why."""


@dataclass(frozen=True)
class RespondentInput:
    """Who responded. ``external_id`` is the platform user id; for the web form leave it
    empty and give the email (hashed into an id) or nothing (a random id)."""

    external_id: str | None = None
    handle: str = ""
    display_name: str = ""
    name: str = ""
    email: str = ""
    consented_to_publish_name: bool = False


@dataclass(frozen=True)
class AnswerInput:
    question_id: int
    text: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResponseInput:
    channel: str
    text: str
    received_at: datetime
    respondent: RespondentInput
    external_id: str | None = None
    answers: tuple[AnswerInput, ...] = ()
    consent_to_publish: bool = False
    parent_external_id: str = ""
    root_external_id: str = ""
    url: str = ""
    language: str = ""
    raw_payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordBatchResult:
    created: int
    already_recorded: int

    @property
    def total(self) -> int:
        return self.created + self.already_recorded


# --- Identifiers -------------------------------------------------------------------


def reference_generate() -> str:
    """A human-friendly reference such as ``HUB-7K3Q-9XPA``."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"HUB-{chars[:4]}-{chars[4:]}"


def _pseudonym_generate() -> int:
    low, high = PSEUDONYM_RANGE
    return low + secrets.randbelow(high - low + 1)


def respondent_external_id_for_web(*, email: str) -> str:
    """A stable id for a web respondent: a keyed hash of the email, or random without one.

    The key keeps the id from being reversed by hashing guessed addresses.
    """
    email = email.strip().lower()
    if not email:
        return "anon:" + secrets.token_hex(16)
    digest = salted_hmac(
        "engagement.respondent.email", email, secret=settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()
    return "email:" + digest


def _respondent_key(channel: str, respondent: RespondentInput) -> str:
    if respondent.external_id:
        return respondent.external_id
    if channel == Channel.WEB:
        return respondent_external_id_for_web(email=respondent.email)
    raise RecordError(f"A {channel} respondent needs an external_id (the platform's user id).")


def _check_channel(channel: str) -> None:
    if channel not in Channel.values:
        raise RecordError(f"Unknown channel {channel!r}; expected one of {Channel.values}.")


# --- Answers -----------------------------------------------------------------------


def _answers_build(
    *, consultation: ConsultationPage, answers: Iterable[AnswerInput], questions=None
) -> list[Answer]:
    questions = questions if questions is not None else _questions_of(consultation)
    mentions = mention_policy_for(consultation=consultation)
    built = []
    seen: set[int] = set()
    for answer in answers:
        question = questions.get(answer.question_id)
        if question is None:
            raise RecordError(
                f"Question {answer.question_id} does not belong to “{consultation.title}”."
            )
        if answer.question_id in seen:
            raise RecordError(f"Question {answer.question_id} is answered twice.")
        seen.add(answer.question_id)
        if not answer.text and not answer.choices:
            continue
        unknown = [choice for choice in answer.choices if choice not in question.choices]
        if unknown:
            raise RecordError(f"{unknown!r} are not options of “{question.text}”.")
        built.append(
            Answer(
                question=question,
                question_text=question.text,
                text=answer.text,
                published_text=text_redacted(text=answer.text, mentions=mentions)[0],
                choices=list(answer.choices),
            )
        )
    return built


def _questions_of(consultation: ConsultationPage) -> dict[int, Question]:
    return {question.pk: question for question in Question.objects.filter(page=consultation)}


# --- One response ------------------------------------------------------------------


def respondent_get_or_create(*, channel: str, respondent: RespondentInput) -> Respondent:
    """The respondent for this channel and id, created (with a fresh pseudonym) if new.

    A returning web respondent's latest name and consent replace the earlier ones.
    """
    _check_channel(channel)
    external_id = _respondent_key(channel, respondent)
    details = {
        "handle": respondent.handle,
        "display_name": respondent.display_name,
        "name": respondent.name,
        "email": respondent.email if channel == Channel.WEB else "",
        "consented_to_publish_name": respondent.consented_to_publish_name,
    }
    existing = Respondent.objects.filter(channel=channel, external_id=external_id).first()
    if existing is not None:
        changed = [
            name for name, value in details.items() if value and getattr(existing, name) != value
        ]
        if (
            channel == Channel.WEB
            and existing.consented_to_publish_name != details["consented_to_publish_name"]
        ):
            changed.append("consented_to_publish_name")
        for name in changed:
            setattr(existing, name, details[name])
        if changed:
            existing.save(update_fields=[*set(changed), "updated_at"])
        return existing
    for _ in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                return Respondent.objects.create(
                    channel=channel,
                    external_id=external_id,
                    pseudonym=_pseudonym_generate(),
                    **details,
                )
        except IntegrityError:
            # Either another process created this respondent, or the pseudonym was taken.
            existing = Respondent.objects.filter(channel=channel, external_id=external_id).first()
            if existing is not None:
                return existing
    raise RecordError("Could not allocate a pseudonym for the respondent; try again.")


@transaction.atomic
def response_record(
    *,
    consultation: ConsultationPage,
    channel: str,
    text: str,
    received_at: datetime,
    respondent: RespondentInput,
    answers: Sequence[AnswerInput] = (),
    external_id: str | None = None,
    consent_to_publish: bool = False,
    parent_external_id: str = "",
    root_external_id: str = "",
    url: str = "",
    language: str = "",
    raw_payload: Mapping[str, Any] | None = None,
) -> Response:
    """Record one response (with its answers) and return it.

    Idempotent for platform posts: when ``(channel, external_id)`` is already in the
    record, the existing response is returned unchanged.
    """
    _check_channel(channel)
    if received_at.tzinfo is None:
        raise RecordError("received_at must be timezone-aware.")
    if external_id == "":
        external_id = None
    if external_id is not None:
        existing = Response.objects.filter(channel=channel, external_id=external_id).first()
        if existing is not None:
            return existing
    built_answers = _answers_build(consultation=consultation, answers=answers)
    published = response_published_fields(
        consultation=consultation, text=text, answer_texts=[a.text for a in built_answers]
    )
    who = respondent_get_or_create(channel=channel, respondent=respondent)
    for _ in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    consultation=consultation,
                    channel=channel,
                    external_id=external_id,
                    respondent=who,
                    text=text,
                    **published,
                    received_at=received_at,
                    reference=reference_generate(),
                    consent_to_publish=consent_to_publish,
                    parent_external_id=parent_external_id,
                    root_external_id=root_external_id,
                    url=url,
                    language=language,
                    raw_payload=dict(raw_payload or {}),
                )
        except IntegrityError:
            if external_id is not None:
                existing = Response.objects.filter(channel=channel, external_id=external_id).first()
                if existing is not None:
                    return existing
            continue  # the reference was taken: draw another
        for answer in built_answers:
            answer.response = response
        Answer.objects.bulk_create(built_answers)
        if responses_auto_approve(consultation=consultation, response_ids=[response.pk]):
            response.refresh_from_db()
        return response
    raise RecordError("Could not allocate a unique reference for the response; try again.")


# --- Many responses --------------------------------------------------------------------


def _chunks(values: Sequence, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing_response_keys(keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    found: set[tuple[str, str]] = set()
    for channel, ids in by_channel.items():
        for chunk in _chunks(ids):
            found.update(
                Response.objects.filter(channel=channel, external_id__in=chunk).values_list(
                    "channel", "external_id"
                )
            )
    return found


def _respondents_ensure(
    wanted: dict[tuple[str, str], RespondentInput],
) -> dict[tuple[str, str], int]:
    """Respondent ids for each (channel, external_id), creating the missing in bulk."""

    def fetch(keys) -> dict[tuple[str, str], int]:
        by_channel: dict[str, list[str]] = {}
        for channel, external_id in keys:
            by_channel.setdefault(channel, []).append(external_id)
        found = {}
        for channel, ids in by_channel.items():
            for chunk in _chunks(ids):
                for pk, external_id in Respondent.objects.filter(
                    channel=channel, external_id__in=chunk
                ).values_list("pk", "external_id"):
                    found[(channel, external_id)] = pk
        return found

    ids = fetch(wanted.keys())
    for _ in range(_ATTEMPTS):
        missing = [key for key in wanted if key not in ids]
        if not missing:
            return ids
        Respondent.objects.bulk_create(
            [
                Respondent(
                    channel=channel,
                    external_id=external_id,
                    handle=wanted[(channel, external_id)].handle,
                    display_name=wanted[(channel, external_id)].display_name,
                    name=wanted[(channel, external_id)].name,
                    email=wanted[(channel, external_id)].email if channel == Channel.WEB else "",
                    consented_to_publish_name=wanted[
                        (channel, external_id)
                    ].consented_to_publish_name,
                    pseudonym=_pseudonym_generate(),
                )
                for channel, external_id in missing
            ],
            ignore_conflicts=True,
            batch_size=_CHUNK,
        )
        # A row still missing lost a pseudonym collision: draw again.
        ids.update(fetch(missing))
    raise RecordError("Could not allocate pseudonyms for the respondents; try again.")


@transaction.atomic
def responses_record_batch(
    *, consultation: ConsultationPage, items: Sequence[ResponseInput]
) -> RecordBatchResult:
    """Record many responses to one consultation in a few queries.

    Idempotent: items whose ``(channel, external_id)`` is already in the record
    (or repeated within ``items``) are counted in ``already_recorded`` and left
    as they are. Invalid input raises ``RecordError`` before anything is written.
    """
    questions = _questions_of(consultation)
    unique: list[ResponseInput] = []
    seen: set[tuple[str, str]] = set()
    for item in items:
        _check_channel(item.channel)
        if item.received_at.tzinfo is None:
            raise RecordError("received_at must be timezone-aware.")
        if item.external_id:
            key = (item.channel, item.external_id)
            if key in seen:
                continue
            seen.add(key)
        unique.append(item)

    existing = _existing_response_keys(seen)
    pending = [
        item
        for item in unique
        if not item.external_id or (item.channel, item.external_id) not in existing
    ]
    answers_for = [
        _answers_build(consultation=consultation, answers=item.answers, questions=questions)
        for item in pending
    ]
    published_for = [
        response_published_fields(
            consultation=consultation,
            text=item.text,
            answer_texts=[answer.text for answer in answers],
        )
        for item, answers in zip(pending, answers_for, strict=True)
    ]
    respondent_keys = [
        (item.channel, _respondent_key(item.channel, item.respondent)) for item in pending
    ]
    respondent_ids = _respondents_ensure(
        {key: item.respondent for key, item in zip(respondent_keys, pending, strict=True)}
    )

    created = 0
    todo = list(range(len(pending)))
    for _ in range(_ATTEMPTS):
        if not todo:
            break
        references = {reference_generate(): index for index in todo}
        if len(references) != len(todo):
            continue
        # A reference already in the record would make its row look like ours below.
        taken = set()
        for chunk in _chunks(list(references)):
            taken.update(
                Response.objects.filter(reference__in=chunk).values_list("reference", flat=True)
            )
        if taken:
            continue
        Response.objects.bulk_create(
            [
                Response(
                    consultation=consultation,
                    channel=pending[index].channel,
                    external_id=pending[index].external_id or None,
                    respondent_id=respondent_ids[respondent_keys[index]],
                    text=pending[index].text,
                    **published_for[index],
                    received_at=pending[index].received_at,
                    reference=reference,
                    consent_to_publish=pending[index].consent_to_publish,
                    parent_external_id=pending[index].parent_external_id,
                    root_external_id=pending[index].root_external_id,
                    url=pending[index].url,
                    language=pending[index].language,
                    raw_payload=dict(pending[index].raw_payload),
                )
                for reference, index in references.items()
            ],
            ignore_conflicts=True,
            batch_size=_CHUNK,
        )
        # Conflicts are silent, so find which of our rows actually went in.
        inserted: dict[str, int] = {}
        for chunk in _chunks(list(references)):
            inserted.update(
                Response.objects.filter(reference__in=chunk).values_list("reference", "pk")
            )
        new_answers = []
        for reference, pk in inserted.items():
            for answer in answers_for[references[reference]]:
                new_answers.append(
                    Answer(
                        response_id=pk,
                        question=answer.question,
                        question_text=answer.question_text,
                        text=answer.text,
                        published_text=answer.published_text,
                        choices=answer.choices,
                    )
                )
        Answer.objects.bulk_create(new_answers, batch_size=_CHUNK)
        responses_auto_approve(consultation=consultation, response_ids=list(inserted.values()))
        created += len(inserted)
        left = [index for reference, index in references.items() if reference not in inserted]
        # A row left out either was recorded meanwhile by someone else (done) or
        # lost a reference collision (try again with a fresh reference).
        raced = _existing_response_keys(
            {
                (pending[index].channel, pending[index].external_id)
                for index in left
                if pending[index].external_id
            }
        )
        todo = [
            index
            for index in left
            if not pending[index].external_id
            or (pending[index].channel, pending[index].external_id) not in raced
        ]
    if todo:
        raise RecordError("Could not allocate unique references for the responses; try again.")
    return RecordBatchResult(created=created, already_recorded=len(items) - created)


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
    _check_channel(channel)
    if reason not in WithdrawalReason.values:
        raise RecordError(f"Unknown withdrawal reason {reason!r}.")
    ids = [external_id for external_id in external_ids if external_id]
    moment = withdrawn_at or timezone.now()
    withdrawn = 0
    with transaction.atomic():
        for chunk in _chunks(ids):
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
            search_index_enqueue(model=Response, pks=pks)
    return withdrawn
