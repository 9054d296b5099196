from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
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
    # The outcome email's one-click unsubscribe (engagement.record.notifications): its
    # signed link is the same in every language.
    path("", include("engagement.record.urls")),
    # The networks' webhooks (webhooks/<network>/), signed by the network: no language.
    path("", include("connectors.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# The public site, in English at its unprefixed addresses and in Welsh under /cy/.
urlpatterns += i18n_patterns(
    # Open data: /consultations/<slug>/responses.csv|.json and the API at /api/v1/.
    path("", include("engagement.opendata.urls")),
    # Public summaries of responses, before Wagtail's catch-all below.
    path("", include("engagement.analysis.urls")),
    # The public record's pages and site search (search/), before Wagtail's catch-all.
    path("", include("search.urls")),
    # The privacy notices, at /privacy/ and /privacy/<department>/.
    path("", include("consultations.urls")),
    # Wagtail's page serving comes last: it matches every remaining path.
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)

# The database away anywhere (a middleware, a page lookup) is "try again in a few minutes"
# (503, cms/caching.py), not a 500.
handler500 = "cms.caching.server_error"
