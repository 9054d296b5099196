"""Public endpoints of the connectors: the networks' webhooks (connectors/webhooks.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from connectors.webhooks import WebhookRefused, webhook_challenge_answer, webhook_receive


@csrf_exempt  # a network calls it, signed with its own HMAC rather than a CSRF token
@require_http_methods(["GET", "POST"])
def network_webhook(request: HttpRequest, network: str) -> HttpResponse:
    """GET: the network's subscription check. POST: a signed delivery of changes."""
    try:
        if request.method == "GET":
            answer = webhook_challenge_answer(network=network, query=request.GET.dict())
            return HttpResponse(answer, content_type="text/plain; charset=utf-8")
        outcome = webhook_receive(network=network, headers=request.headers, body=request.body)
    except WebhookRefused as refused:
        return JsonResponse({"error": refused.reason}, status=refused.status)
    return JsonResponse(
        {
            "accepted": outcome.accepted,
            "replayed": outcome.replayed,
            "too_old": outcome.too_old,
            "withdrawn": outcome.withdrawn,
            "collections": len(outcome.collections),
        }
    )
