from django.conf import settings


def service(request):
    """The service name shown in the GOV.UK header on every public page."""
    return {"service_name": settings.WAGTAIL_SITE_NAME}
