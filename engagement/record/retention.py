"""Retention by schedule: what the hub collected beyond the public record expires.

Each department sets, in days after one of its consultations closes, how long it keeps
(``Department.retain_*_days``; defaults in ``consultations.models`` and the README):

- **original texts**: a response's words as written, its answers' words, its earlier
  wordings and the name given with it. ``text`` and each answer's ``text`` are replaced
  by their redacted wording, which the record keeps for good, so everything that reads
  ``text`` (moderators' pages, the analysis) goes on working with the published words.
  Earlier wordings are deleted, the given name cleared, and ``redactions`` keeps each
  removal's kind (the public count of details removed) but not its place in the
  original, nor the words a moderator removed by hand. A response hidden for personal
  data keeps nothing: its moderator judged its redacted wording itself to be personal.
- **raw payloads**: a post exactly as its network sent it (``raw_payload``), and the
  payloads quarantined for the consultation (connectors' copy, through the signal).
- **emails** given on the form (``Respondent.email``): gone once every consultation the
  person responded to is past its department's email period. Erasure on request still
  finds them: a web respondent's id is a keyed hash of the address.
- **user agents** kept with web responses (``raw_payload["user_agent"]``).

What a run never touches: the published record (published text, answers, choices,
names shown), tombstones (withdrawn and erased responses, beyond what they still
hold), and **responses still pending moderation**. The periods run from a
consultation's close, but no moderator has read a pending response yet: replacing its
words by an automatic redaction would leave the moderator only what the patterns kept,
and hiding it for personal data would no longer be a judgement of its words. So a run
leaves them whole (their author's email too) and counts them in ``RetentionRun.held``
for the department to moderate; the first run after the decision expires them.

The record owns its rows; the layers above keep copies (the analysis' campaign wording,
connectors' quarantine). It never imports them: after expiring its own rows it sends
``signals.retention_expiring`` and each layer expires its copy in the same transaction
(ADR 0006). Nothing public changes, so neither the search index nor the analysis needs
to run again (``updated_at`` is left alone for that reason).

Idempotent: what expired is gone or marked (``Response.original_expired_at``), so a
second run finds nothing to do. Audited: every run is a ``RetentionRun`` with one
``RetentionExpiry`` per department, consultation, kind and store it changed, committed
with the changes, one consultation at a time. A dry run does the same work in
transactions it rolls back, so its counts are exactly what a run would change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from consultations.models import (
    RETAIN_EMAILS_DAYS,
    RETAIN_ORIGINAL_TEXT_DAYS,
    RETAIN_RAW_PAYLOADS_DAYS,
    RETAIN_USER_AGENTS_DAYS,
    ConsultationPage,
    Department,
)
from engagement.record.models import (
    Answer,
    Channel,
    ModerationReason,
    ModerationState,
    Respondent,
    Response,
    ResponseRevision,
    RetentionExpiry,
    RetentionKind,
    RetentionRun,
)
from engagement.record.signals import retention_expiring

_CHUNK = 500
USER_AGENT_KEY = "user_agent"

# Each kind's period on the department, and its default where no department is left.
PERIOD_FIELDS: dict[str, str] = {
    RetentionKind.ORIGINAL_TEXT: "retain_original_text_days",
    RetentionKind.RAW_PAYLOAD: "retain_raw_payloads_days",
    RetentionKind.EMAIL: "retain_emails_days",
    RetentionKind.USER_AGENT: "retain_user_agents_days",
}
DEFAULT_DAYS: dict[str, int] = {
    RetentionKind.ORIGINAL_TEXT: RETAIN_ORIGINAL_TEXT_DAYS,
    RetentionKind.RAW_PAYLOAD: RETAIN_RAW_PAYLOADS_DAYS,
    RetentionKind.EMAIL: RETAIN_EMAILS_DAYS,
    RetentionKind.USER_AGENT: RETAIN_USER_AGENTS_DAYS,
}


def retention_period(*, department: Department | None, kind: str) -> timedelta:
    """How long after a close ``department`` keeps ``kind`` (the default without one)."""
    days = getattr(department, PERIOD_FIELDS[kind]) if department else DEFAULT_DAYS[kind]
    return timedelta(days=days)


@dataclass(frozen=True)
class RetentionStep:
    """One unit of a run, as the layers above need it to find their copies.

    With a ``consultation_id``: that consultation's rows, for the ``kinds`` whose period
    ran out. Without one: the department's rows tied to no consultation (e.g. a payload
    quarantined before its consultation was known), each kind due for rows received
    before its ``cutoffs`` entry; ``department_id`` is None for rows with no department
    left either, on the default periods.
    """

    department_id: int | None
    consultation_id: int | None
    kinds: frozenset[str]
    # Per kind: now minus the department's period.
    cutoffs: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class RetentionCount:
    """What one store expired in one step (a layer's answer to ``retention_expiring``)."""

    kind: str
    store: str
    rows: int


@dataclass
class RetentionPlan:
    now: datetime
    department: Department | None
    steps: list[RetentionStep]
    # Consultations past their email period (all departments': a person keeps their
    # email while any consultation they responded to is within its period).
    email_consultation_ids: set[int]
    # Rows a run will look at, for a progress bar: responses, then respondents.
    responses: int
    respondents: int
    # {consultation id: responses pending moderation, left whole}.
    held: dict[int, int]

    @property
    def total(self) -> int:
        return self.responses + self.respondents


@dataclass(frozen=True)
class RetentionResult:
    plan: RetentionPlan
    dry_run: bool
    # (department id, consultation id, kind, store) → rows expired (or that would be).
    expired: dict[tuple[int | None, int | None, str, str], int]
    run: RetentionRun | None = None

    def totals(self) -> dict[tuple[str, str], int]:
        """(kind, store) → rows, over every department and consultation."""
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for (_department, _consultation, kind, store), rows in self.expired.items():
            totals[(kind, store)] += rows
        return dict(totals)


# --- What is due -------------------------------------------------------------------------


def _step_responses(step: RetentionStep):
    """The step's responses that still hold something of a kind due (pending left whole)."""
    holding = Q()
    if RetentionKind.ORIGINAL_TEXT in step.kinds:
        # Expired once; an edit at the source since (a reopened consultation) brings new words.
        holding |= Q(original_expired_at__isnull=True) | Q(edited_at__gt=F("original_expired_at"))
    if RetentionKind.RAW_PAYLOAD in step.kinds:
        holding |= ~Q(raw_payload={})
    if RetentionKind.USER_AGENT in step.kinds:
        holding |= Q(channel=Channel.WEB, raw_payload__has_key=USER_AGENT_KEY)
    if not holding:
        return Response.objects.none()
    return (
        Response.objects.filter(consultation_id=step.consultation_id)
        .exclude(moderation_state__in=[ModerationState.PENDING, ModerationState.ERASED])
        .filter(holding)
        .order_by("pk")
    )


def _email_respondents(*, due_ids: Iterable[int], within_ids: Iterable[int]):
    """Respondents with an email, some response in ``within_ids``, and every response in a
    consultation past its email period (``due_ids``) and looked at by a moderator."""
    due_ids = list(due_ids)
    keeps_email = Response.objects.filter(respondent=OuterRef("pk")).filter(
        ~Q(consultation_id__in=due_ids) | Q(moderation_state=ModerationState.PENDING)
    )
    return (
        Respondent.objects.exclude(email="")
        .filter(
            pk__in=Response.objects.filter(consultation_id__in=list(within_ids)).values(
                "respondent_id"
            )
        )
        .exclude(Exists(keeps_email))
        .order_by("pk")
    )


def retention_plan(
    *, department: Department | None = None, now: datetime | None = None
) -> RetentionPlan:
    """What a run would look at now: every department's, or only ``department``'s."""
    now = now or timezone.now()
    steps: list[RetentionStep] = []
    email_due: set[int] = set()
    for each in Department.objects.order_by("pk"):
        cutoffs = {
            kind: now - retention_period(department=each, kind=kind) for kind in PERIOD_FIELDS
        }
        included = department is None or each.pk == department.pk
        closed = ConsultationPage.objects.filter(
            department=each, closes_at__lte=max(cutoffs.values())
        ).order_by("closes_at", "pk")
        for consultation_id, closes_at in closed.values_list("pk", "closes_at"):
            kinds = frozenset(kind for kind, cutoff in cutoffs.items() if closes_at <= cutoff)
            if RetentionKind.EMAIL in kinds:
                email_due.add(consultation_id)
            if included:
                steps.append(RetentionStep(each.pk, consultation_id, kinds, cutoffs))
        if included:
            steps.append(RetentionStep(each.pk, None, frozenset(PERIOD_FIELDS), cutoffs))
    if department is None:
        defaults = {
            kind: now - retention_period(department=None, kind=kind) for kind in PERIOD_FIELDS
        }
        steps.append(RetentionStep(None, None, frozenset(PERIOD_FIELDS), defaults))
    consultation_ids = [step.consultation_id for step in steps if step.consultation_id]
    held = dict(
        Response.objects.filter(
            consultation_id__in=consultation_ids, moderation_state=ModerationState.PENDING
        )
        .order_by()
        .values("consultation_id")
        .annotate(pending=Count("pk"))
        .values_list("consultation_id", "pending")
    )
    return RetentionPlan(
        now=now,
        department=department,
        steps=steps,
        email_consultation_ids=email_due,
        responses=sum(_step_responses(step).count() for step in steps if step.consultation_id),
        respondents=_email_respondents(
            due_ids=email_due, within_ids=email_due & set(consultation_ids)
        ).count(),
        held=held,
    )


# --- The run -----------------------------------------------------------------------------


def retention_apply(
    *,
    plan: RetentionPlan,
    source: str,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> RetentionResult:
    """Expire what the plan found due (or, with ``dry_run``, count it and change nothing).

    ``source`` says who ran it ("schedule", "command"); ``progress`` is called with the
    number of rows looked at after each chunk.
    """
    run = None
    if not dry_run:
        run = RetentionRun.objects.create(
            started_at=plan.now,
            source=source,
            department=plan.department,
            held_pending=sum(plan.held.values()),
            held={str(pk): count for pk, count in plan.held.items()},
        )
    expired: dict[tuple[int | None, int | None, str, str], int] = {}
    for step in plan.steps:
        with transaction.atomic():
            counts = _step_apply(step, now=plan.now, progress=progress)
            _audit(run, expired, step.department_id, step.consultation_id, counts)
            if dry_run:
                transaction.set_rollback(True)
    with transaction.atomic():
        for (department_id, consultation_id), rows in _emails_expire(
            plan, progress=progress
        ).items():
            _audit(
                run,
                expired,
                department_id,
                consultation_id,
                [RetentionCount(RetentionKind.EMAIL, "respondents", rows)],
            )
        if dry_run:
            transaction.set_rollback(True)
    if run is not None:
        run.finished_at = timezone.now()
        run.save(update_fields=["finished_at"])
    return RetentionResult(plan=plan, dry_run=dry_run, expired=expired, run=run)


def _audit(run, expired, department_id, consultation_id, counts: Iterable[RetentionCount]):
    rows = []
    for count in counts:
        if not count.rows:
            continue
        key = (department_id, consultation_id, count.kind, count.store)
        expired[key] = expired.get(key, 0) + count.rows
        if run is not None:
            rows.append(
                RetentionExpiry(
                    run=run,
                    department_id=department_id,
                    consultation_id=consultation_id,
                    kind=count.kind,
                    store=count.store,
                    rows=count.rows,
                )
            )
    RetentionExpiry.objects.bulk_create(rows)


def _step_apply(
    step: RetentionStep, *, now: datetime, progress: Callable[[int], None] | None
) -> list[RetentionCount]:
    counts: list[RetentionCount] = []
    if step.consultation_id is not None:
        ids = list(_step_responses(step).values_list("pk", flat=True))
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            counts += _responses_expire(chunk, kinds=step.kinds, now=now)
            if progress:
                progress(len(chunk))
    for _receiver, answer in retention_expiring.send(sender=Response, step=step):
        if isinstance(answer, list):  # each layer answers [RetentionCount, ...]
            counts += answer
    return counts


def _expired_redactions(redactions: list) -> list:
    """Each removal's kind and marker, without its place in the original or removed words."""
    kept = []
    for entry in redactions:
        if not isinstance(entry, dict):
            continue
        entry = {name: value for name, value in entry.items() if name not in ("start", "end")}
        if "removed" in entry:
            entry["removed_count"] = len(entry.pop("removed") or [])
        kept.append(entry)
    return kept


def _keeps_nothing(response: Response) -> bool:
    """Hidden for personal data: a moderator found its redacted wording personal too."""
    return (
        response.moderation_state == ModerationState.HIDDEN
        and response.moderation_reason == ModerationReason.PERSONAL_DATA
    )


def _original_due(response: Response) -> bool:
    if response.original_expired_at is None:
        return True
    # Expired once; an edit at the source since (a reopened consultation) brought new words.
    return bool(response.edited_at and response.edited_at > response.original_expired_at)


def _original_expire(response: Response, *, now: datetime) -> bool:
    """Keep only the redacted wording of ``response`` (unsaved); True if anything went."""
    before = (
        response.text,
        response.published_text,
        response.respondent_name,
        response.published_name,
        response.redactions,
    )
    if _keeps_nothing(response):
        response.published_text = response.published_name = ""
    response.text = response.published_text
    response.respondent_name = ""
    response.redactions = _expired_redactions(response.redactions)
    response.original_expired_at = now
    after = (
        response.text,
        response.published_text,
        response.respondent_name,
        response.published_name,
        response.redactions,
    )
    return after != before


def _without_agent(payload: Mapping, *, channel: str) -> dict:
    """A payload as its raw-payload period sees it: a web response's user agent has its own."""
    if channel == Channel.WEB:
        return {name: value for name, value in payload.items() if name != USER_AGENT_KEY}
    return dict(payload)


def _responses_expire(
    response_ids: list[int], *, kinds: frozenset[str], now: datetime
) -> list[RetentionCount]:
    texts = payloads = agents = 0
    changed: list[Response] = []
    fields: set[str] = set()
    # Response id → whether its answers lose their published wording too.
    originals: dict[int, bool] = {}
    for response in Response.objects.select_for_update().filter(pk__in=response_ids):
        touched = False
        if RetentionKind.ORIGINAL_TEXT in kinds and _original_due(response):
            texts += _original_expire(response, now=now)
            originals[response.pk] = _keeps_nothing(response)
            fields.update(
                ("text", "published_text", "respondent_name", "published_name", "redactions")
            )
            fields.add("original_expired_at")
            touched = True
        payload = dict(response.raw_payload or {})
        if RetentionKind.RAW_PAYLOAD in kinds and _without_agent(payload, channel=response.channel):
            payload = {
                name: value
                for name, value in payload.items()
                if response.channel == Channel.WEB and name == USER_AGENT_KEY
            }
            payloads += 1
        if RetentionKind.USER_AGENT in kinds and response.channel == Channel.WEB:
            agents += payload.pop(USER_AGENT_KEY, None) is not None
        if payload != response.raw_payload:
            response.raw_payload = payload
            fields.add("raw_payload")
            touched = True
        if touched:
            changed.append(response)
    if changed:
        Response.objects.bulk_update(changed, sorted(fields))
    revisions = answers_changed = 0
    if originals:
        revisions, _ = ResponseRevision.objects.filter(response_id__in=list(originals)).delete()
        answers = list(Answer.objects.select_for_update().filter(response_id__in=list(originals)))
        for answer in answers:
            published = "" if originals[answer.response_id] else answer.published_text
            if (answer.text, answer.published_text) != (published, published):
                answer.text = answer.published_text = published
                answers_changed += 1
        Answer.objects.bulk_update(answers, ["text", "published_text"])
    return [
        RetentionCount(RetentionKind.ORIGINAL_TEXT, "responses", texts),
        RetentionCount(RetentionKind.ORIGINAL_TEXT, "answers", answers_changed),
        RetentionCount(RetentionKind.ORIGINAL_TEXT, "earlier wordings", revisions),
        RetentionCount(RetentionKind.RAW_PAYLOAD, "responses", payloads),
        RetentionCount(RetentionKind.USER_AGENT, "responses", agents),
    ]


def _emails_expire(
    plan: RetentionPlan, *, progress: Callable[[int], None] | None
) -> dict[tuple[int | None, int | None], int]:
    """Clear the emails due; each counted under the last-closing consultation of its person."""
    within = plan.email_consultation_ids & {
        step.consultation_id for step in plan.steps if step.consultation_id
    }
    ids = list(
        _email_respondents(due_ids=plan.email_consultation_ids, within_ids=within).values_list(
            "pk", flat=True
        )
    )
    counts: dict[tuple[int | None, int | None], int] = defaultdict(int)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        last: dict[int, tuple[datetime, int, int]] = {}
        for respondent_id, closes_at, consultation_id, department_id in Response.objects.filter(
            respondent_id__in=chunk
        ).values_list(
            "respondent_id",
            "consultation__closes_at",
            "consultation_id",
            "consultation__department_id",
        ):
            if respondent_id not in last or closes_at > last[respondent_id][0]:
                last[respondent_id] = (closes_at, consultation_id, department_id)
        cleared = list(
            Respondent.objects.select_for_update()
            .filter(pk__in=chunk)
            .exclude(email="")
            .values_list("pk", flat=True)
        )
        Respondent.objects.filter(pk__in=cleared).update(email="")
        for respondent_id in cleared:
            _closes_at, consultation_id, department_id = last[respondent_id]
            counts[(department_id, consultation_id)] += 1
        if progress:
            progress(len(chunk))
    return dict(counts)
