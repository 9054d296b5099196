import os
import uuid
from datetime import timedelta

import pytest
from celery.result import AsyncResult
from django.utils import timezone

from cms.tasks import worker_identity
from cms.tasks_backend import CeleryTaskBackend
from consultations.models import ConsultationIndexPage, ConsultationPage, Department

pytestmark = pytest.mark.celery_worker


def test_task_sent_through_redis_runs_in_the_worker_process(celery_worker):
    token = uuid.uuid4().hex

    result = worker_identity.delay(token).get(timeout=30)

    assert result["token"] == token
    assert result["pid"] == celery_worker.pid
    assert result["pid"] != os.getpid()


@pytest.mark.search_node
@pytest.mark.django_db(transaction=True)
def test_wagtail_indexing_task_goes_through_celery_into_the_search_node(
    celery_worker, search_backend, home_page
):
    """Wagtail enqueues indexing through django-tasks; with a broker that is our Celery backend."""
    from modelsearch.tasks import insert_or_update_object_task

    index = home_page.add_child(instance=ConsultationIndexPage(title="Consultations", slug="c"))
    department = Department.objects.create(name="Department for Worker Tests", slug="worker")
    now = timezone.now()
    page = index.add_child(
        instance=ConsultationPage(
            title="Riverside moorings",
            slug="riverside-moorings",
            summary="Quixotically priced moorings along the riverside",
            department=department,
            opens_at=now,
            closes_at=now + timedelta(days=5),
        )
    )
    # The test settings index in-process; remove the document so only the worker can restore it.
    search_backend.delete(page)
    search_backend.get_index_for_model(ConsultationPage).refresh()
    assert list(ConsultationPage.objects.search("quixotically")) == []

    task_result = CeleryTaskBackend("celery", {}).enqueue(
        insert_or_update_object_task, ["consultations", "consultationpage", str(page.pk)], {}
    )
    AsyncResult(task_result.id).get(timeout=30)

    search_backend.get_index_for_model(ConsultationPage).refresh()
    assert [p.pk for p in ConsultationPage.objects.search("quixotically")] == [page.pk]
