from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import etag, require_POST
from wagtail import hooks
from wagtail.documents import get_document_model
from wagtail.documents.models import document_served

from core.files import private_file_response
from members.selectors import membership_is_active

from . import selectors, services
from .models import ResourcePage


def document_serve(request, document_id: int, document_filename: str):
    """Every Wagtail document, from private storage: Wagtail's checks (the before_serve_document
    hooks: collection restrictions, and the library's members-only gate), then the file through
    core.files; library files are sent privately and members' downloads counted."""
    document = get_object_or_404(get_document_model(), pk=document_id)
    if document.filename != document_filename:
        raise Http404("This document does not match the given filename.")
    for hook in hooks.get_hooks("before_serve_document"):
        refusal = hook(document, request)
        if isinstance(refusal, HttpResponse):
            return refusal
    document_served.send(sender=type(document), instance=document, request=request)

    @etag(lambda request: document.file_hash or None)
    def send(request):
        return private_file_response(
            request,
            document.file.name,
            filename=document.filename,
            as_attachment=document.content_disposition != "inline",
        )

    response = send(request)
    members_only = selectors.is_library_document(document)
    if not members_only and not _restricted(document):
        # A public document is the same for everyone: shared caches may keep it.
        patch_cache_control(response, public=True)
    counted = members_only and request.method == "GET" and response.status_code == 200
    if counted and membership_is_active(request.user):
        resource = selectors.resource_for_document(document)
        if resource is not None:
            services.download_record(resource=resource)
    return response


def _restricted(document) -> bool:
    return document.collection.get_view_restrictions().exists()


READING_ACTIONS = {"done", "undo"}


@login_required
@require_POST
def reading_done(request, slug: str):
    """The resource page's "Mark as done" button (and its undo): a reading on the member's
    learning record, with the resource's hours and today's date. Members only, like the
    resource itself."""
    resource = ResourcePage.objects.live().public().filter(slug=slug).only("pk", "url_path").first()
    if resource is None:
        raise Http404("No such resource.")
    action = request.POST.get("action", "")
    if action not in READING_ACTIONS:
        return _refusal(request, "Say whether you finished the resource (done) or not (undo).", 400)
    if not membership_is_active(request.user):
        return _refusal(
            request,
            "Marking resources done is for members: the reading counts on their record.",
            403,
        )
    if action == "done":
        services.reading_mark_done(user=request.user, resource=resource)
        messages.success(request, "Marked done: it is on your learning record.")
    else:
        services.reading_mark_undone(user=request.user, resource=resource)
        messages.success(request, "No longer marked done.")
    response = redirect(selectors.resource_path(resource))
    patch_cache_control(response, private=True)
    return response


def _refusal(request, message: str, status: int):
    return render(request, "library/reading_refused.html", {"message": message}, status=status)
