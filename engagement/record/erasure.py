"""Erasure on request: one person's responses, erased everywhere the hub holds them.

The record owns the rows; the layers above hold copies (moderation's notes, the
analysis' embeddings, themes and campaigns, connectors' quarantine, the search
index). The record never imports them: it sends ``signals.responses_erasing`` and
each layer, connected in its ``AppConfig.ready()``, erases its own copy in the same
transaction (ADR 0006). The search index follows through ``responses_changed`` and
its outbox. Exports, the API and the public summary are computed from the record at
each request, so nothing cached is left to erase.

What stays of each response is a tombstone: its reference, consultation, channel and
times, in the state "erased on request", which the public ledger counts under its
own heading. Audited (``ErasureRequest``) and idempotent: a second erasure of the
same person finds only tombstones and erases nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from engagement.record.channels import channel_values
from engagement.record.models import (
    Answer,
    Channel,
    ErasureRequest,
    ErasureSelector,
    ModerationState,
    Respondent,
    Response,
    ResponseNotification,
    ResponseRevision,
)
from engagement.record.services import (
    ERASED_PREFIX,
    erased_identifier,
    respondent_external_id_for_web,
)
from engagement.record.signals import responses_changed, responses_erasing

_CHUNK = 500


class ErasureError(ValueError):
    """The request cannot be carried out as given; the message says why."""


def _selector_hash(value: str) -> str:
    return salted_hmac(
        "engagement.record.erasure-request", value, secret=settings.SECRET_KEY, algorithm="sha256"
    ).hexdigest()


@dataclass(frozen=True)
class ErasureScope:
    """Whose responses are erased, as the layers above need to find their copies."""

    response_ids: tuple[int, ...]
    # (channel, platform user id) of each person, as the networks' payloads carry them.
    accounts: tuple[tuple[str, str], ...] = ()
    # (channel, platform post id) of each response.
    posts: tuple[tuple[str, str], ...] = ()
    handles: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    # The original words (text, answers, earlier wordings), so a layer can tell what
    # in its derived data came from them (e.g. a theme's distinctive words).
    texts: tuple[str, ...] = ()


@dataclass
class ErasurePlan:
    """What an erasure would touch: the person's respondents and responses not yet erased."""

    selector: str
    channel: str
    selector_hash: str
    respondent_ids: list[int]
    response_ids: list[int]
    references: list[str]
    already_erased: list[str] = field(default_factory=list)
    scope: ErasureScope = field(default_factory=lambda: ErasureScope(response_ids=()))


@dataclass(frozen=True)
class ErasureResult:
    plan: ErasurePlan
    # Store name → rows erased (or that would be, on a dry run).
    erased: dict[str, int]
    dry_run: bool
    request: ErasureRequest | None = None


def erasure_plan(
    *, channel: str = "", platform_id: str = "", email: str = "", reference: str = ""
) -> ErasurePlan:
    """Find one person by exactly one of: channel and platform id, email, or a reference.

    By reference, the person is that response's respondent, and all their responses
    are erased, not only the one quoted.
    """
    given = [bool(platform_id), bool(email), bool(reference)]
    if sum(given) != 1:
        raise ErasureError("Give exactly one of: a channel and platform id, an email, a reference.")
    respondents = Respondent.objects.none()
    if platform_id:
        if channel not in channel_values():
            raise ErasureError(f"Unknown channel {channel!r}; expected one of {channel_values()}.")
        platform_id = platform_id.strip()
        respondents = Respondent.objects.filter(
            channel=channel,
            external_id__in=[
                platform_id,
                erased_identifier(channel=channel, external_id=platform_id),
            ],
        )
        selector, value = ErasureSelector.PLATFORM_ID, f"{channel}\n{platform_id}"
    elif email:
        # A web or imported respondent's id is the keyed hash of their email.
        email = email.strip().lower()
        if "@" not in email:
            raise ErasureError(f"{email!r} is not an email address.")
        web_id = respondent_external_id_for_web(email=email)
        respondents = Respondent.objects.filter(
            Q(email__iexact=email)
            | Q(external_id=web_id)
            | Q(external_id__in=[erased_identifier(channel=c, external_id=web_id) for c in Channel])
        )
        selector, value = ErasureSelector.EMAIL, email
    else:
        reference = reference.strip().upper()
        found = Response.objects.filter(reference=reference).values_list("respondent_id", flat=True)
        if not found:
            raise ErasureError(f"No response has the reference {reference!r}.")
        respondents = Respondent.objects.filter(pk__in=list(found))
        selector, value = ErasureSelector.REFERENCE, reference
    respondent_rows = list(respondents)
    responses = list(
        Response.objects.filter(respondent__in=respondent_rows)
        .order_by("received_at", "pk")
        .values_list("pk", "reference", "erased_at", "channel", "external_id", "text")
    )
    live = [row for row in responses if row[2] is None]
    live_ids = [row[0] for row in live]
    texts = [row[5] for row in live if row[5]]
    texts += [
        text
        for text in Answer.objects.filter(response_id__in=live_ids).values_list("text", flat=True)
        if text
    ]
    texts += [
        text
        for text in ResponseRevision.objects.filter(response_id__in=live_ids).values_list(
            "text", flat=True
        )
        if text
    ]
    accounts = {
        (respondent.channel, respondent.external_id)
        for respondent in respondent_rows
        if respondent.external_id and not respondent.external_id.startswith(ERASED_PREFIX)
    }
    if platform_id:
        # The person may have only quarantined payloads and no response at all.
        accounts.add((channel, platform_id))
    emails = {respondent.email.lower() for respondent in respondent_rows if respondent.email}
    if email:
        emails.add(email)
    return ErasurePlan(
        selector=selector,
        channel=channel if platform_id else "",
        selector_hash=_selector_hash(value),
        respondent_ids=[respondent.pk for respondent in respondent_rows],
        response_ids=live_ids,
        references=[row[1] for row in live],
        already_erased=[row[1] for row in responses if row[2] is not None],
        scope=ErasureScope(
            response_ids=tuple(live_ids),
            accounts=tuple(sorted(accounts)),
            posts=tuple(
                sorted(
                    (row[3], row[4])
                    for row in live
                    if row[4] and not row[4].startswith(ERASED_PREFIX)
                )
            ),
            handles=tuple(
                sorted({respondent.handle for respondent in respondent_rows if respondent.handle})
            ),
            emails=tuple(sorted(emails)),
            texts=tuple(texts),
        ),
    )


def _layers_erase(scope: ErasureScope, *, dry_run: bool) -> dict[str, int]:
    erased: dict[str, int] = {}
    for _receiver, counts in responses_erasing.send(sender=Response, scope=scope, dry_run=dry_run):
        if isinstance(counts, dict):  # each layer answers {store: rows erased}
            for store, rows in counts.items():
                erased[store] = erased.get(store, 0) + rows
    return erased


def _record_counts(plan: ErasurePlan) -> dict[str, int]:
    ids = plan.response_ids
    return {
        "responses": len(ids),
        "answers": Answer.objects.filter(response_id__in=ids).count(),
        "revisions": ResponseRevision.objects.filter(response_id__in=ids).count(),
        "respondents": Respondent.objects.filter(pk__in=plan.respondent_ids)
        .exclude(external_id__startswith=ERASED_PREFIX)
        .count(),
    }


def respondent_erase(
    *,
    plan: ErasurePlan,
    reason: str,
    requested_by=None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ErasureResult:
    """Erase the planned person's responses everywhere (or, with ``dry_run``, count them).

    Idempotent: responses already erased are not in the plan, and an erased respondent
    keeps only a keyed hash of their platform id. ``progress`` is called with the
    number of responses done after each chunk.
    """
    if not reason.strip():
        raise ErasureError("Say why the responses are erased (the request, its date).")
    with transaction.atomic():
        record = _record_counts(plan)
        if dry_run:
            erased = {**record, **_layers_erase(plan.scope, dry_run=True)}
            transaction.set_rollback(True)
            return ErasureResult(plan=plan, erased=erased, dry_run=True)
        erased = {**record, **_layers_erase(plan.scope, dry_run=False)}
        moment = timezone.now()
        for start in range(0, len(plan.response_ids), _CHUNK):
            chunk = plan.response_ids[start : start + _CHUNK]
            _responses_erase(chunk, moment=moment)
            if progress:
                progress(len(chunk))
        for respondent in Respondent.objects.filter(pk__in=plan.respondent_ids).exclude(
            external_id__startswith=ERASED_PREFIX
        ):
            respondent.external_id = erased_identifier(
                channel=respondent.channel, external_id=respondent.external_id
            )
            respondent.handle = respondent.display_name = respondent.email = ""
            respondent.save()
        request = ErasureRequest.objects.create(
            requested_by=requested_by,
            reason=reason.strip(),
            selector=plan.selector,
            channel=plan.channel,
            selector_hash=plan.selector_hash,
            references=plan.references,
            respondents_erased=erased.get("respondents", 0),
            erased=erased,
        )
    return ErasureResult(plan=plan, erased=erased, dry_run=False, request=request)


def _responses_erase(response_ids: list[int], *, moment) -> None:
    ResponseRevision.objects.filter(response_id__in=response_ids).delete()
    Answer.objects.filter(response_id__in=response_ids).delete()
    # Which language's form the person used goes with the language of their words.
    ResponseNotification.objects.filter(response_id__in=response_ids).update(language="")
    for response in Response.objects.select_for_update().filter(pk__in=response_ids):
        if response.external_id and not response.external_id.startswith(ERASED_PREFIX):
            response.external_id = erased_identifier(
                channel=response.channel, external_id=response.external_id
            )
        response.text = response.published_text = ""
        response.redactions = response.flagged_terms = []
        response.raw_payload = {}
        response.url = response.language = ""
        response.parent_external_id = response.root_external_id = ""
        response.consent_to_publish = response.publish_name = False
        response.respondent_name = response.published_name = ""
        response.moderation_state = ModerationState.ERASED
        response.moderation_reason = ""
        response.erased_at = moment
        response.updated_at = moment
        Response.objects.filter(pk=response.pk).update(
            **{
                name: getattr(response, name)
                for name in (
                    "external_id",
                    "text",
                    "published_text",
                    "redactions",
                    "flagged_terms",
                    "raw_payload",
                    "url",
                    "language",
                    "parent_external_id",
                    "root_external_id",
                    "consent_to_publish",
                    "publish_name",
                    "respondent_name",
                    "published_name",
                    "moderation_state",
                    "moderation_reason",
                    "erased_at",
                    "updated_at",
                )
            }
        )
    # Out of the search index at the next drain (search's outbox).
    responses_changed.send(sender=Response, response_ids=list(response_ids))
