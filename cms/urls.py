from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from cms import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap, name="sitemap"),
    # Open data: /consultations/<slug>/responses.csv|.json and the API at /api/v1/.
    path("", include("engagement.opendata.urls")),
    # Public summaries of responses, before Wagtail's catch-all below.
    path("", include("engagement.analysis.urls")),
    # The public record's pages and site search (search/), before Wagtail's catch-all.
    path("", include("search.urls")),
    # The privacy notices, at /privacy/ and /privacy/<department>/.
    path("", include("consultations.urls")),
    # The outcome email's one-click unsubscribe (engagement.record.notifications).
    path("", include("engagement.record.urls")),
    # The networks' webhooks (webhooks/<network>/), signed by the network.
    path("", include("connectors.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page serving comes last: it matches every remaining path.
urlpatterns += [path("", include(wagtail_urls))]

# The database away anywhere (a middleware, a page lookup) is "try again in a few minutes"
# (503, cms/caching.py), not a 500.
handler500 = "cms.caching.server_error"
