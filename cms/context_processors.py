from consultations.service_name import service_name


def service(request):
    """The service name shown in the GOV.UK header and titles of every public page, in the
    page's language (LocaleMiddleware has activated it by now)."""
    return {"service_name": service_name()}
