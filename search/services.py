"""Writes of the search layer: the outbox, its drain and the full rebuild.

Every change to a response is put in ``SearchIndexQueue`` in the transaction
that makes it (``search_index_enqueue``, wired to the record's save signals in
``search.apps``). ``search_index_drain`` applies the queue to every search
backend in bulk and deletes only what was applied: when the search node is
unreachable the rows stay, and the next drain (beat, or the next commit)
catches up. A row is indexed when it is public at drain time and removed from
the index otherwise, so a response that is hidden, sent back to pending or
withdrawn leaves the index the same way it entered. Each response written is
marked with the ``updated_at`` it was read with (``ResponseIndexMark``), so the
sweep re-sends only rows changed since.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.dispatch import Signal
from django.utils import timezone
from modelsearch.index import Indexed

from engagement.record.models import Response
from search import fulltext
from search.backends import search_backends_with_name
from search.documents import response_documents
from search.indexes import is_search_node, search_index_ensure
from search.models import IndexAction, ResponseIndexMark, SearchIndexQueue, SearchIndexState

logger = logging.getLogger(__name__)

# Sent after a drain batch commits, with the ids of the responses it wrote to or removed
# from the index: whatever shows search results from before is out of date (cms.caching).
responses_indexed = Signal()


def _responses_indexed_send(response_ids: list[int]) -> None:
    responses_indexed.send(sender=SearchIndexQueue, response_ids=response_ids)


RESPONSE_MODEL = "record.Response"


# The sweep's start when an index had to be created: every response is read again.
SWEEP_FROM_THE_START = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DrainResult:
    indexed: int
    removed: int
    swept: int
    failed: bool
    left: int
    error: str = ""
    # Indexes that were missing and were created with the hub's mapping by this drain.
    created: tuple[str, ...] = ()


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def search_index_enqueue(
    *, model: type[models.Model], pks: Iterable[object], action: str = IndexAction.UPDATE
) -> int:
    """Queue rows for the index, in the caller's transaction; drain once it commits."""
    rows = [
        SearchIndexQueue(model=_label(model), object_pk=str(pk), action=action)
        for pk in dict.fromkeys(pks)
    ]
    if not rows:
        return 0
    SearchIndexQueue.objects.bulk_create(rows, batch_size=1000)
    _drain_after_commit()
    return len(rows)


def _request_drain() -> None:
    if not settings.HUB_SEARCH_DRAIN_ON_COMMIT:
        return
    # why: search.tasks calls this module's drain; the task module imports it, not the reverse.
    from search.tasks import drain_search_index

    try:
        # Eager (no broker, the embedded default): drains here, in-process.
        drain_search_index.delay()
    except Exception:  # noqa: BLE001 - the rows stay queued; beat drains them later
        logger.exception("Could not request a search index drain; beat will catch up")


def _drain_after_commit() -> None:
    connection = transaction.get_connection()
    # One drain request per transaction, however many rows it queued.
    if any(entry[1] is _request_drain for entry in connection.run_on_commit):
        return
    transaction.on_commit(_request_drain)


def _state_locked() -> SearchIndexState:
    state = SearchIndexState.objects.select_for_update().filter(pk=1).first()
    if state is None:
        SearchIndexState.objects.get_or_create(pk=1, defaults={"swept_to": timezone.now()})
        state = SearchIndexState.objects.select_for_update().get(pk=1)
    return state


@dataclass(frozen=True)
class _Swept:
    # The responses to send again: changed after the drain last wrote them, or never
    # written (a bulk update sends no signal; an outbox entry may be lost).
    stale: list[int]
    # How many changed rows the sweep stepped over, stale or not, and where it stopped.
    scanned: int
    cursor: tuple


def _sweep(state: SearchIndexState, *, limit: int) -> _Swept:
    """Responses changed since the last sweep (oldest first) that the index does not hold
    as they are now: changed by bulk updates (no signals) or with a lost outbox entry.

    Rows younger than HUB_SEARCH_SWEEP_SETTLE seconds wait, so a transaction that
    commits late with an earlier ``updated_at`` is not stepped over. A row whose mark
    (``ResponseIndexMark``) is as new as its ``updated_at`` was written by a drain that
    read it as it is now: stepped over without being sent again.
    """
    settle = timedelta(seconds=settings.HUB_SEARCH_SWEEP_SETTLE)
    since = state.swept_to or timezone.now()
    current = ResponseIndexMark.objects.filter(
        response=OuterRef("pk"), updated_at__gte=OuterRef("updated_at")
    )
    rows = list(
        Response.objects.filter(updated_at__lt=timezone.now() - settle)
        .filter(Q(updated_at__gt=since) | Q(updated_at=since, pk__gt=state.swept_pk))
        .order_by("updated_at", "pk")
        .values_list("pk", "updated_at", Exists(current))[:limit]
    )
    if not rows:
        return _Swept(stale=[], scanned=0, cursor=(state.swept_to, state.swept_pk))
    last_pk, last_at, _current = rows[-1]
    return _Swept(
        stale=[pk for pk, _at, current in rows if not current],
        scanned=len(rows),
        cursor=(last_at, last_pk),
    )


# A response's columns that no search document reads (the original words never are).
_NOT_IN_DOCUMENTS = ("text", "raw_payload", "redactions", "flagged_terms", "respondent_name")


@dataclass(frozen=True)
class _Applied:
    indexed: int
    removed: int
    # Response id -> the ``updated_at`` its written document was read with.
    marks: dict[int, datetime]


def _apply(model: type[Indexed], *, update: set[str], delete: set[str]) -> _Applied:
    """Index what is public among ``update``; remove the rest and ``delete`` from every backend."""
    pk_field = model._meta.pk
    wanted = [pk_field.to_python(pk) for pk in update]
    backends = [backend for _name, backend in search_backends_with_name(with_auto_update=True)]
    if model is Response and backends and all(is_search_node(backend) for backend in backends):
        return _apply_responses_to_nodes(backends, wanted=wanted, delete=delete)
    indexed = model.get_indexed_objects().filter(pk__in=wanted)
    if model is Response:
        # Never in a document, and the platform's payload is the widest column to decode.
        indexed = indexed.defer(*_NOT_IN_DOCUMENTS)
    public = list(indexed) if wanted else []
    public_pks = {str(obj.pk) for obj in public}
    gone = (update - public_pks) | delete
    for backend in backends:
        if model is Response and not is_search_node(backend):
            # The database backend's public search, the pages' and the API's alike, reads
            # the documents written below; nothing reads modelsearch's entries for
            # responses (the admin searches the record's columns), so none are written.
            continue
        if public:
            backend.add_bulk(model, public)
        if gone:
            _delete_bulk(backend, model, [model(pk=pk_field.to_python(pk)) for pk in gone])
    if model is Response and not all(is_search_node(backend) for backend in backends):
        # The database backend's public search reads the documents (search.fulltext).
        fulltext.documents_write(responses=public)
        fulltext.documents_delete(response_ids=[int(pk) for pk in gone])
    marks = {obj.pk: obj.updated_at for obj in public} if model is Response else {}
    return _Applied(indexed=len(public), removed=len(gone), marks=marks)


def _apply_responses_to_nodes(backends: list, *, wanted: list[int], delete: set[str]) -> _Applied:
    """``_apply`` for responses when every backend is a search node: documents built from
    plain rows (search.documents), the same as modelsearch's, several times faster."""
    # One reading for every node: they all hold the same version of each row. The
    # documents do not depend on the node's mapping class (all share get_document).
    mapping_class = backends[0].get_index_for_model(Response).mapping_class
    built = response_documents(response_ids=wanted, mapping_class=mapping_class)
    gone = ({str(pk) for pk in wanted} - {str(item.pk) for item in built}) | delete
    for backend in backends:
        index = backend.get_index_for_model(Response)
        if built:
            # As modelsearch's add_bulk sends them: the document id is the primary key.
            actions = [{"_id": item.document["pk"], **item.document} for item in built]
            backend.bulk(index.es, actions, index=index.name)
        if gone:
            _delete_bulk(backend, Response, [Response(pk=int(pk)) for pk in gone])
    return _Applied(
        indexed=len(built),
        removed=len(gone),
        marks={item.pk: item.updated_at for item in built},
    )


def _marks_write(marks: dict[int, datetime]) -> None:
    if not marks:
        return
    ResponseIndexMark.objects.bulk_create(
        [ResponseIndexMark(response_id=pk, updated_at=at) for pk, at in marks.items()],
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["response"],
        update_fields=["updated_at"],
    )


def _delete_bulk(backend, model: type[models.Model], stubs: list[models.Model]) -> None:
    index = backend.get_index_for_model(model)
    if not hasattr(index, "es"):
        for stub in stubs:  # the database backend: one DELETE per row, same transaction
            index.delete_item(stub)
        return
    mapping = index.mapping_class(model)
    actions = [
        {"_op_type": "delete", "_index": index.name, "_id": mapping.get_document_id(stub)}
        for stub in stubs
    ]
    _ok, errors = backend.bulk(index.es, actions, raise_on_error=False)
    # A document that is not in the index is already removed.
    real = [error for error in errors if next(iter(error.values())).get("status") != 404]
    if real:
        raise RuntimeError(f"The search node refused {len(real)} deletions: {real[:3]}")


def search_index_drain(*, batch_size: int | None = None, max_batches: int = 100) -> DrainResult:
    """Apply the queue (and the sweep) to every search backend, in bulk; idempotent.

    One drain at a time (the state row is locked), so an older reading of a row can
    never overwrite a newer one in the index. On an error from a search node the
    batch stays queued with its attempt count and error, and the drain stops.
    """
    batch_size = batch_size or settings.HUB_SEARCH_DRAIN_BATCH
    indexed = removed = swept = 0
    try:
        created = _indexes_ensure()
    except DatabaseError:
        raise
    except Exception as error:  # noqa: BLE001 - the node cannot answer: everything stays queued
        message = f"{type(error).__name__}: {error}"[:2000]
        logger.warning("Search index drain could not check the indexes: %s", message)
        waiting = SearchIndexQueue.objects.order_by("pk").values_list("pk", flat=True)[:batch_size]
        SearchIndexQueue.objects.filter(pk__in=list(waiting)).update(
            attempts=models.F("attempts") + 1, last_error=message
        )
        return DrainResult(
            indexed=0,
            removed=0,
            swept=0,
            failed=True,
            left=SearchIndexQueue.objects.count(),
            error=message,
        )
    for _ in range(max_batches):
        with transaction.atomic():
            state = _state_locked()
            entries = list(SearchIndexQueue.objects.order_by("pk")[:batch_size])
            swept_now = _sweep(state, limit=batch_size)
            sweep_pks, cursor = swept_now.stale, swept_now.cursor
            if not entries and not swept_now.scanned:
                state.drained_at = timezone.now()
                state.save(update_fields=["drained_at"])
                break
            work: dict[str, dict[str, set[str]]] = defaultdict(
                lambda: {"update": set(), "delete": set()}
            )
            for entry in entries:
                key = "delete" if entry.action == IndexAction.DELETE else "update"
                work[entry.model][key].add(entry.object_pk)
            work[RESPONSE_MODEL]["update"].update(str(pk) for pk in sweep_pks)
            try:
                applied = [
                    _apply(apps.get_model(label), update=sets["update"], delete=sets["delete"])
                    for label, sets in work.items()
                ]
            except DatabaseError:
                raise  # the database backend: the transaction is broken, roll it all back
            except Exception as error:  # noqa: BLE001 - any node/transport error keeps the rows
                message = f"{type(error).__name__}: {error}"[:2000]
                logger.warning(
                    "Search index drain failed; %d rows stay queued: %s", len(entries), message
                )
                SearchIndexQueue.objects.filter(pk__in=[entry.pk for entry in entries]).update(
                    attempts=models.F("attempts") + 1, last_error=message
                )
                return DrainResult(
                    indexed=indexed,
                    removed=removed,
                    swept=swept,
                    failed=True,
                    left=SearchIndexQueue.objects.count(),
                    error=message,
                    created=created,
                )
            SearchIndexQueue.objects.filter(pk__in=[entry.pk for entry in entries]).delete()
            _marks_write({pk: at for result in applied for pk, at in result.marks.items()})
            # The sweep sends only rows the index did not hold as they are: changes too.
            changed = {entry.object_pk for entry in entries if entry.model == RESPONSE_MODEL}
            changed |= {str(pk) for pk in sweep_pks}
            if changed:
                # Pages that list these responses were drawn from the index before this
                # batch reached it: they are out of date once it commits (cms.caching).
                # Now, and again once committed (a page drawn in between is stale too).
                response_ids = sorted(int(pk) for pk in changed)
                responses_indexed.send(sender=SearchIndexQueue, response_ids=response_ids)
                transaction.on_commit(partial(_responses_indexed_send, response_ids))
            state.swept_to, state.swept_pk = cursor
            state.drained_at = timezone.now()
            state.save(update_fields=["swept_to", "swept_pk", "drained_at"])
            indexed += sum(result.indexed for result in applied)
            removed += sum(result.removed for result in applied)
            swept += len(sweep_pks)
    return DrainResult(
        indexed=indexed,
        removed=removed,
        swept=swept,
        failed=False,
        left=SearchIndexQueue.objects.count(),
        created=created,
    )


def _indexes_ensure() -> tuple[str, ...]:
    """Create any missing index with the hub's mapping before a document goes to it.

    Left alone, the node would create it from the first document with a guessed
    mapping, and searches would find nothing. A created index is empty, so the sweep
    starts again from the first response and no response counts as indexed (the marks
    go): the drains that follow refill it from the record (rows younger than the
    settle time come with the sweep after it).
    """
    created = []
    with transaction.atomic():
        state = _state_locked()
        for name, backend in search_backends_with_name(with_auto_update=True):
            index_name = search_index_ensure(backend=backend, model=Response)
            if index_name:
                logger.warning(
                    "Search index %s (backend %s) was missing: created with the hub's "
                    "mapping; refilling it from the record",
                    index_name,
                    name,
                )
                created.append(index_name)
        if created:
            ResponseIndexMark.objects.all().delete()
            state.swept_to, state.swept_pk = SWEEP_FROM_THE_START, 0
            state.save(update_fields=["swept_to", "swept_pk"])
    return tuple(created)
