"""Admin: the two-factor authentication steps (cms/two_factor.py); the page cache's hook."""

from django.urls import path
from wagtail import hooks

from cms import caching, two_factor


@hooks.register("register_admin_urls")
def register_two_factor_urls():
    return [
        path("2fa/verify/", two_factor.verify_view, name=two_factor.VERIFY_URL_NAME),
        path("2fa/enrol/", two_factor.enrol_view, name=two_factor.ENROL_URL_NAME),
    ]


# Public pages from the cache: a page the cache may keep declares what it depends on.
hooks.register("before_serve_page", caching.page_served)
