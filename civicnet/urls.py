from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from core.files import public_media_serve
from library.views import document_serve as library_document_serve

from . import views

# A lost database answers the styled 503 with Retry-After; other errors the plain 500.
handler500 = "civicnet.views.server_error"
# A view's BadRequest says what was wrong; the 400 page shows it.
handler400 = "core.views.bad_request"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("healthz/ready", views.healthz_ready, name="healthz_ready"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("feedback/<int:page_id>/", views.page_feedback, name="page_feedback"),
    path("search/", include("civicnet.search_urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("django-admin/", admin.site.urls),
    # Documents go through the library's gate (members-only files, counted downloads).
    path("documents/<int:document_id>/<path:document_filename>", library_document_serve),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("", include("members.urls")),
    path("vitals/", include("vitals.urls")),
    path("", include("events.urls")),
    path("blog/", include("blog.urls")),
    path("newsletter/", include("newsletter.urls")),
    path("library/", include("library.urls")),
]

if settings.BENCH_HELLO:
    from bench.hello import hello  # make bench's baseline, never mounted in production

    urlpatterns.insert(0, path("bench/hello/", hello))

# Public uploads (images, renditions, profile photos) from MEDIA_ROOT, which holds nothing
# private; the front proxy serves /media/ itself when there is one. Private files have their
# own root and are reached only through the gated views above (see core/files.py).
urlpatterns.append(re_path(r"^media/(?P<path>.*)$", public_media_serve))

# Wagtail serves every other path from the page tree, so it comes last: core.routing is
# wagtail.urls with a serve view that finds the page in a fixed number of queries.
urlpatterns.append(path("", include("core.routing")))
