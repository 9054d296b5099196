"""Security headers the hub adds to every response: the Content-Security-Policy
(django-csp; the Wagtail admin gets its own, looser policy) and the Permissions-Policy."""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


class HubCSPMiddleware(CSPMiddleware):
    """The public policy (``CONTENT_SECURITY_POLICY``: scripts by nonce only) everywhere but
    the admin, which gets ``HUB_ADMIN_CONTENT_SECURITY_POLICY``: Wagtail's admin writes
    inline scripts and style attributes that cannot carry our nonce."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if (
            not report_only
            and parts.config is None
            and request.path_info.startswith(settings.HUB_ADMIN_PATH_PREFIX)
        ):
            parts.config = settings.HUB_ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
            parts.nonce = None  # a nonce would make browsers ignore 'unsafe-inline'
        return parts


def permissions_policy_middleware(get_response):
    """Powerful browser features the hub never uses, switched off for every page."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.HUB_PERMISSIONS_POLICY)
        return response

    return middleware
