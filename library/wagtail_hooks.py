from django.contrib.auth.views import redirect_to_login
from django.db.models import Sum
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from wagtail import hooks

from core.staff import PermissionMenuItem, staff_tool

from . import selectors
from .models import ResourceDownload


@hooks.register("before_serve_document")
def gate_library_documents(document, request):
    """Library files go to active members only, whichever URL asks for them."""
    if not selectors.is_library_document(document):
        return None
    if selectors.can_download(request.user, document):
        return None
    if not request.user.is_authenticated:
        response = redirect_to_login(request.get_full_path())
    else:
        resource = selectors.resource_for_document(document)
        response = TemplateResponse(
            request,
            "library/document_denied.html",
            {"document": document, "resource": resource},
            status=403,
        )
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


@staff_tool("library.view_download_report")
def downloads_report(request):
    """Staff see how often members downloaded each resource's files, month by month."""
    rows = ResourceDownload.objects.select_related("resource").order_by("-month", "-count")[:500]
    totals = (
        ResourceDownload.objects.values("resource__title", "resource_id")
        .annotate(total=Sum("count"))
        .order_by("-total")[:50]
    )
    return render(request, "library/admin/downloads_report.html", {"rows": rows, "totals": totals})


@hooks.register("register_admin_urls")
def register_downloads_report_url():
    return [path("reports/library-downloads/", downloads_report, name="library_downloads_report")]


@hooks.register("register_reports_menu_item")
def register_downloads_report_menu_item():
    return PermissionMenuItem(
        "Library downloads",
        reverse("library_downloads_report"),
        icon_name="download",
        order=710,
        permission="library.view_download_report",
    )


@hooks.register("learning_record_entries")
def readings_on_the_learning_record(user) -> list[dict]:
    """Resources the person marked done, for their learning record (events asks this hook,
    so neither app imports the other)."""
    return [
        {
            "kind": "reading",
            "kind_label": "Library reading",
            "how": "Marked done",
            "title": reading.resource.title,
            "url": selectors.resource_path(reading.resource),
            "done_at": reading.done_at,
            "hours": reading.resource.reading_hours,
        }
        for reading in selectors.readings_done(user)
    ]
