from django.conf import settings
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cms.health import hub_health


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
