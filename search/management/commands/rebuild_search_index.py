"""Rebuild every search index without downtime, with a progress bar per model.

OpenSearch/Elasticsearch (``ATOMIC_REBUILD``): modelsearch's atomic rebuilder fills a
new index beside the live one and then moves the alias to it in one step, so
searches read the old index until the new one is complete. The database backend:
each index is rebuilt inside one database transaction, so readers keep seeing the
old entries until it commits (and a failure leaves them as they were).

Changes made while the rebuild runs went to the old index; once the alias has
moved, every response changed since the start is queued again and the outbox is
drained, so nothing made during the rebuild is lost.
"""

from __future__ import annotations

import contextlib

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from modelsearch.backends import get_search_backend
from modelsearch.conf import get_app_config
from modelsearch.index import get_indexed_models
from modelsearch.management.commands.rebuild_modelsearch_index import group_models_by_index
from tqdm import tqdm

from engagement.record.models import Response
from search import fulltext
from search.services import search_index_drain, search_index_enqueue


class Command(BaseCommand):
    help = "Rebuild the search indexes without downtime (alias swap), showing progress."

    def add_arguments(self, parser):
        parser.add_argument("--backend", dest="backend_name", default=None)
        parser.add_argument("--chunk-size", dest="chunk_size", type=int, default=1000)
        parser.add_argument("--no-progress", action="store_true", help="No progress bars")

    def handle(self, *args, backend_name=None, chunk_size=1000, no_progress=False, **options):
        started_at = timezone.now()
        names = (
            [backend_name] if backend_name else list(get_app_config().get_search_backend_config())
        )
        total = 0
        for name in names:
            total += self._rebuild(name, chunk_size=chunk_size, quiet=no_progress)
        changed = Response.objects.filter(updated_at__gte=started_at).values_list("pk", flat=True)
        requeued = search_index_enqueue(model=Response, pks=list(changed))
        result = search_index_drain()
        self.stdout.write(
            f"Indexed {total} objects; {requeued} responses changed during the rebuild were "
            f"queued again; {result.left} changes still queued"
            + (f" (the search node said: {result.error})" if result.failed else "")
        )

    def _rebuild(self, backend_name: str, *, chunk_size: int, quiet: bool) -> int:
        backend = get_search_backend(backend_name)
        if not backend.rebuilder_class:
            self.stdout.write(f"{backend_name}: needs no rebuild")
            return 0
        is_database = not hasattr(backend, "es")
        count = 0
        for index, models in group_models_by_index(backend, get_indexed_models()).items():
            if is_database:
                self.stdout.write(
                    f"{backend_name} (database backend): rebuilding in one transaction; "
                    "searches see the old entries until it commits"
                )
            else:
                self.stdout.write(
                    f"{backend_name}: building a new index behind the alias {index.name}; "
                    "searches use the old one until the alias moves"
                )
            # The database backend swaps nothing: one transaction keeps the old entries
            # visible to readers until the new ones commit.
            scope = transaction.atomic() if is_database else contextlib.nullcontext()
            with scope:
                rebuilder = backend.rebuilder_class(index)
                live = rebuilder.start()
                for model in models:
                    live.add_model(model)
                for model in models:
                    objects = model.get_indexed_objects().order_by("pk")
                    with tqdm(
                        total=objects.count(),
                        desc=f"{model._meta.app_label}.{model.__name__}",
                        unit="obj",
                        disable=quiet,
                        file=self.stderr._out,
                    ) as bar:
                        last_pk = None
                        while True:
                            page = objects if last_pk is None else objects.filter(pk__gt=last_pk)
                            chunk = list(page[:chunk_size])
                            if not chunk:
                                break
                            live.add_items(model, chunk)
                            last_pk = chunk[-1].pk
                            count += len(chunk)
                            bar.update(len(chunk))
                rebuilder.finish()
                if is_database and Response in models:
                    # The public search's documents and their full-text index (search.fulltext).
                    written = fulltext.documents_rebuild(chunk_size=chunk_size)
                    self.stdout.write(f"{backend_name}: {written} search documents written")
        return count
