"""The one way into the record.

Every channel — the web form, the social connectors, the email/letter/event
imports — writes responses through this module, and every write is a batch
(``responses_record_batch``; one response is a batch of one). Writes are idempotent
on ``(channel, external_id)``: recording the same platform post twice returns the
first record (single) or counts it as already there (batch), so pollers and
imports can safely be re-run.

What may be published of each response (redaction, the abuse screen, auto-approval)
is decided by the publishing policy moderation registers (``record.publishing``);
the layers above hear of new rows through ``record.signals.responses_changed``.
Edits and withdrawals at the source go through ``engagement.moderation.services``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from consultations.models import ConsultationPage, Question, QuestionKind
from engagement.languages import language_recorded
from engagement.record.channels import channel_values, social_channel_values
from engagement.record.models import Answer, Channel, ModerationState, Respondent, Response
from engagement.record.notifications import notification_create
from engagement.record.publishing import publishing_policy
from engagement.record.signals import responses_changed

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L or U: easy to read aloud
PSEUDONYM_RANGE = (1000, 9_999_999)
_ATTEMPTS = 8
_CHUNK = 1000


class RecordError(ValueError):
    """The input cannot be recorded as given; the message says why."""


@dataclass(frozen=True)
class RespondentInput:
    """Who responded. ``external_id`` is the platform user id; for the web form leave it
    empty and give the email (hashed into an id) or nothing (a random id).

    ``name`` and ``consented_to_publish_name`` belong to this one response (stored on it,
    redacted before it can be shown): a later response with the same email changes
    nothing about an earlier one."""

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
    #: False keeps it from the consultation's auto-approval: the caller holds it for a
    #: person to judge (a post the network withholds on a legal demand, say).
    auto_approvable: bool = True


@dataclass(frozen=True)
class RecordBatchResult:
    created: int
    already_recorded: int
    # The new rows' ids, in the order of the items that made them.
    response_ids: tuple[int, ...] = ()

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


ERASED_PREFIX = "erased:"


def erased_identifier(*, channel: str, external_id: str) -> str:
    """What replaces a platform id once erased on request: a keyed hash, so the same
    post or account is recognised again (and a post not collected a second time)
    without keeping the id."""
    digest = salted_hmac(
        "engagement.record.erased", f"{channel}\n{external_id}", secret=settings.SECRET_KEY
    ).hexdigest()
    return ERASED_PREFIX + digest[:40]


def _respondent_key(channel: str, respondent: RespondentInput) -> str:
    if respondent.external_id:
        return respondent.external_id
    if channel == Channel.WEB:
        return respondent_external_id_for_web(email=respondent.email)
    raise RecordError(f"A {channel} respondent needs an external_id (the platform's user id).")


def check_channel(*, channel: str) -> None:
    known = channel_values()
    if channel not in known:
        raise RecordError(f"Unknown channel {channel!r}; expected one of {known}.")


# --- Answers -----------------------------------------------------------------------


def _answers_build(
    *, consultation: ConsultationPage, answers: Iterable[AnswerInput], questions=None
) -> list[Answer]:
    questions = questions if questions is not None else _questions_of(consultation)
    policy = publishing_policy()
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
        # Each option once: the record is bounded by the question's options, whatever came in.
        choices = list(dict.fromkeys(answer.choices))
        built.append(
            Answer(
                question=question,
                question_text=question.text,
                text=answer.text,
                published_text=policy.answer_published_text(
                    consultation=consultation, text=answer.text
                ),
                choices=choices,
            )
        )
    return built


def _questions_of(consultation: ConsultationPage) -> dict[int, Question]:
    return {question.pk: question for question in Question.objects.filter(page=consultation)}


# --- Many responses --------------------------------------------------------------------


def _chunks(values: Sequence, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing_response_keys(
    keys: AbstractSet[tuple[str, str | None]],
) -> set[tuple[str, str | None]]:
    by_channel: dict[str, list[str | None]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    found: set[tuple[str, str | None]] = set()
    for channel, ids in by_channel.items():
        for chunk in _chunks(ids):
            # A post erased on request is kept only as its keyed hash: still "recorded",
            # so re-reading the thread does not bring its words back.
            erased = {erased_identifier(channel=channel, external_id=i): i for i in chunk}
            for external_id in Response.objects.filter(
                channel=channel, external_id__in=[*chunk, *erased]
            ).values_list("external_id", flat=True):
                if external_id is not None:
                    found.add((channel, erased.get(external_id, external_id)))
    return found


def _respondents_ensure(
    wanted: dict[tuple[str, str], RespondentInput],
) -> dict[tuple[str, str], int]:
    """Respondent ids for each (channel, external_id), creating the missing in bulk."""

    def fetch(keys) -> dict[tuple[str, str], Respondent]:
        by_channel: dict[str, list[str]] = {}
        for channel, external_id in keys:
            by_channel.setdefault(channel, []).append(external_id)
        found = {}
        for channel, ids in by_channel.items():
            for chunk in _chunks(ids):
                for respondent in Respondent.objects.filter(channel=channel, external_id__in=chunk):
                    found[(channel, respondent.external_id)] = respondent
        return found

    existing = fetch(wanted.keys())
    _respondents_refresh(existing, wanted)
    ids = {key: respondent.pk for key, respondent in existing.items()}
    for _ in range(_ATTEMPTS):
        # In key order: two workers inserting overlapping accounts then wait on each other
        # in the same order, never in a cycle (a deadlock PostgreSQL would break by error).
        missing = sorted(key for key in wanted if key not in ids)
        if not missing:
            return ids
        Respondent.objects.bulk_create(
            [
                Respondent(
                    channel=channel,
                    external_id=external_id,
                    pseudonym=_pseudonym_generate(),
                    **_respondent_details(channel, wanted[(channel, external_id)]),
                )
                for channel, external_id in missing
            ],
            ignore_conflicts=True,
            batch_size=_CHUNK,
        )
        # A row still missing lost a pseudonym collision: draw again.
        ids.update({key: respondent.pk for key, respondent in fetch(missing).items()})
    raise RecordError("Could not allocate pseudonyms for the respondents; try again.")


def _respondent_details(channel: str, respondent: RespondentInput) -> dict[str, Any]:
    return {
        "handle": respondent.handle,
        "display_name": respondent.display_name,
        "email": respondent.email if channel == Channel.WEB else "",
    }


def _respondents_refresh(
    existing: dict[tuple[str, str], Respondent], wanted: dict[tuple[str, str], RespondentInput]
) -> None:
    """A returning platform account's latest handle and display name replace the earlier."""
    changed_rows: list[Respondent] = []
    changed_fields: set[str] = set()
    vouched = social_channel_values()
    for (channel, external_id), respondent in existing.items():
        # Only a social network vouches for an account's details; anything else (the web
        # form, imports) is typed by whoever holds the form, so it never replaces them.
        if channel not in vouched:
            continue
        details = _respondent_details(channel, wanted[(channel, external_id)])
        changed = [
            name for name, value in details.items() if value and getattr(respondent, name) != value
        ]
        for name in changed:
            setattr(respondent, name, details[name])
        if changed:
            respondent.updated_at = timezone.now()
            changed_rows.append(respondent)
            changed_fields.update(changed)
    if changed_rows:
        Respondent.objects.bulk_update(
            changed_rows, [*sorted(changed_fields), "updated_at"], batch_size=_CHUNK
        )


def _name_fields(*, consultation: ConsultationPage, respondent: RespondentInput, policy):
    """The name given with one response, and what of it may be shown (redacted like text)."""
    name = respondent.name.strip()
    publish = bool(respondent.consented_to_publish_name and name)
    return {
        "respondent_name": name,
        "publish_name": publish,
        "published_name": (
            policy.name_published_text(consultation=consultation, name=name) if publish else ""
        ),
    }


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
    policy = publishing_policy()
    unique: list[ResponseInput] = []
    seen: set[tuple[str, str]] = set()
    # Each channel checked once: a page of replies shares one (the check reads the registry).
    for channel in {item.channel for item in items}:
        check_channel(channel=channel)
    for item in items:
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
        {
            **policy.response_published_fields(
                consultation=consultation,
                text=item.text,
                answer_texts=[answer.text for answer in answers],
            ),
            **_name_fields(consultation=consultation, respondent=item.respondent, policy=policy),
        }
        for item, answers in zip(pending, answers_for, strict=True)
    ]
    # A network's tag is often its client's default, and the web form sends none: the words
    # tell Welsh from English (engagement.languages). A web response's text repeats each
    # question's wording, so its answers alone are the author's words.
    # The consultation's auto-approve rule is decided here, before the row exists: a row
    # written approved is not written a second time to approve it.
    approved = [
        item.auto_approvable
        and policy.auto_approves(consultation=consultation, published_fields=published)
        for item, published in zip(pending, published_for, strict=True)
    ]
    approved_at = timezone.now()
    languages = [
        language_recorded(
            reported=item.language,
            text="\n".join(answer.text for answer in item.answers if answer.text) or item.text,
        )
        for item in pending
    ]
    respondent_keys = [
        (item.channel, _respondent_key(item.channel, item.respondent)) for item in pending
    ]
    respondent_ids = _respondents_ensure(
        {key: item.respondent for key, item in zip(respondent_keys, pending, strict=True)}
    )

    created_ids: dict[int, int] = {}
    todo = list(range(len(pending)))
    for _ in range(_ATTEMPTS):
        if not todo:
            break
        # In (channel, external id) order, for the same reason as the respondents: two
        # overlapping pages recorded at once queue on the unique key in one order.
        todo.sort(key=lambda index: (pending[index].channel, pending[index].external_id or ""))
        references = {reference_generate(): index for index in todo}
        if len(references) != len(todo):
            continue
        # A reference already in the record would make its row look like ours below.
        taken: set[str] = set()
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
                    language=languages[index],
                    raw_payload=dict(pending[index].raw_payload),
                    **(
                        {"moderation_state": ModerationState.APPROVED, "moderated_at": approved_at}
                        if approved[index]
                        else {}
                    ),
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
        policy.auto_approvals_record(
            response_ids=[
                pk for reference, pk in inserted.items() if approved[references[reference]]
            ]
        )
        # Announced once, approved or not: the layers above (the search outbox, the page
        # cache) hear of each new row once.
        responses_changed.send(sender=Response, response_ids=list(inserted.values()))
        created_ids.update({references[reference]: pk for reference, pk in inserted.items()})
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
    return RecordBatchResult(
        created=len(created_ids),
        already_recorded=len(items) - len(created_ids),
        response_ids=tuple(created_ids[index] for index in sorted(created_ids)),
    )


# --- One response: a batch of one ---------------------------------------------------------


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
    item = ResponseInput(
        channel=channel,
        text=text,
        received_at=received_at,
        respondent=respondent,
        external_id=external_id or None,
        answers=tuple(answers),
        consent_to_publish=consent_to_publish,
        parent_external_id=parent_external_id,
        root_external_id=root_external_id,
        url=url,
        language=language,
        raw_payload=dict(raw_payload or {}),
    )
    result = responses_record_batch(consultation=consultation, items=[item])
    if result.response_ids:
        return Response.objects.get(pk=result.response_ids[0])
    return Response.objects.get(channel=channel, external_id=item.external_id)


# --- The hub's own web form -------------------------------------------------------------------

USER_AGENT_MAX_LENGTH = 300


def web_response_record(
    *,
    consultation: ConsultationPage,
    answers: Mapping[int, str | Sequence[str]],
    name: str = "",
    email: str = "",
    publish_name: bool = False,
    consent_to_publish: bool = False,
    user_agent: str = "",
    wants_outcome: bool = False,
    language: str = "",
    form_language: str = "",
    question_texts: Mapping[int, str] | None = None,
    choice_labels: Mapping[str, str] | None = None,
) -> Response:
    """Record a response sent on the web form, from its validated values.

    With an ``email``, its author is sent a confirmation once the response is committed
    and, if ``wants_outcome``, one email when the outcome is published
    (``engagement.record.notifications``), both in ``form_language``, the language of the
    form they used. ``language`` is only a hint for the detection of the words' language.

    ``answers`` maps question ids to what was given: the text of a free-text
    question, one option, or a list of options. The whole response's text is each
    answered question followed by its answer, in the words the respondent read
    (``question_texts`` and ``choice_labels``, on a translated page); the answers keep
    the consultation's own options, so every language's answers count together.
    """
    question_texts = question_texts or {}
    choice_labels = choice_labels or {}
    questions = _questions_of(consultation)
    answer_inputs: list[AnswerInput] = []
    parts: list[str] = []
    for question_id, value in answers.items():
        question = questions.get(question_id)
        if question is None:
            raise RecordError(f"Question {question_id} does not belong to “{consultation.title}”.")
        if not value:
            continue
        if isinstance(value, str):
            value = value.strip()
            if question.kind == QuestionKind.FREE_TEXT:
                answer_inputs.append(AnswerInput(question_id=question_id, text=value))
            else:
                answer_inputs.append(AnswerInput(question_id=question_id, choices=(value,)))
            shown = value if question.kind == QuestionKind.FREE_TEXT else choice_labels.get(value)
            parts.append(f"{question_texts.get(question_id, question.text)}\n{shown or value}")
        else:
            answer_inputs.append(AnswerInput(question_id=question_id, choices=tuple(value)))
            shown_choices = ", ".join(choice_labels.get(choice, choice) for choice in value)
            parts.append(f"{question_texts.get(question_id, question.text)}\n{shown_choices}")
    name = name.strip()
    email = email.strip()
    with transaction.atomic():
        response = response_record(
            consultation=consultation,
            channel=Channel.WEB,
            text="\n\n".join(parts),
            received_at=timezone.now(),
            respondent=RespondentInput(
                name=name,
                email=email,
                consented_to_publish_name=bool(publish_name and name),
            ),
            answers=answer_inputs,
            consent_to_publish=consent_to_publish,
            raw_payload={"user_agent": user_agent[:USER_AGENT_MAX_LENGTH]},
            language=language,
        )
        if email:
            notification_create(
                response=response,
                email=email,
                wants_outcome=wants_outcome,
                language=form_language,
            )
    return response
