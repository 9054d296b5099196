from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from cms.health import hub_health
from cms.metrics import HubCollector


def _may_see_details(request) -> bool:
    """Staff, or a monitor holding HUB_HEALTH_TOKEN: error texts name hosts and versions."""
    user = getattr(request, "user", None)
    if user is not None and user.is_active and (user.is_staff or user.is_superuser):
        return True
    token = settings.HUB_HEALTH_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(token) and scheme.lower() == "bearer" and constant_time_compare(given.strip(), token)
    )


@never_cache
@require_GET
def healthz(request):
    """200 when every configured part is ok, 503 otherwise; always JSON. Anyone gets the
    status alone; staff and the health token also get each part's state and errors."""
    parts = hub_health()
    healthy = all(part.healthy for part in parts)
    body: dict[str, object] = {"status": "ok" if healthy else "failing"}
    if _may_see_details(request):
        body.update({part.name: part.status for part in parts})
        body["details"] = {part.name: part.detail for part in parts if part.detail}
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def metrics(request):
    """Prometheus metrics, to the same people as /healthz's details: staff and the health token.

    The process's own metrics (django-prometheus: requests, latency, errors; merged across
    gunicorn's workers when PROMETHEUS_MULTIPROC_DIR is set) and the hub's, read from the
    database (cms/metrics.py), so any web process gives the same hub figures.
    """
    if not _may_see_details(request):
        return HttpResponse("Forbidden: metrics need the health token.\n", status=403)
    hub = CollectorRegistry(auto_describe=False)
    hub.register(HubCollector())
    if settings.HUB_PROMETHEUS_MULTIPROC:
        process = CollectorRegistry()
        multiprocess.MultiProcessCollector(process)
    else:
        process = REGISTRY
    body = generate_latest(process) + generate_latest(hub)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
