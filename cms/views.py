from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cms.health import hub_health


@never_cache
@require_GET
def healthz(request):
    """200 when every configured part is ok, 503 otherwise; always JSON."""
    parts = hub_health()
    healthy = all(part.healthy for part in parts)
    body: dict[str, object] = {"status": "ok" if healthy else "failing"}
    body.update({part.name: part.status for part in parts})
    body["details"] = {part.name: part.detail for part in parts if part.detail}
    return JsonResponse(body, status=200 if healthy else 503)
