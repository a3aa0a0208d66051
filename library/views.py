from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from wagtail.documents import get_document_model
from wagtail.documents.views.serve import serve as wagtail_document_serve

from members.selectors import membership_is_active

from . import selectors, services


def document_serve(request, document_id: int, document_filename: str):
    """Wagtail's document view, plus what the library needs: members-only files (refused by
    the before_serve_document hook to anyone else) are sent privately and counted."""
    document = get_object_or_404(get_document_model(), pk=document_id)
    if document.filename != document_filename:
        raise Http404("This document does not match the given filename.")
    response = wagtail_document_serve(request, document_id, document_filename)
    if selectors.is_library_document(document):
        patch_cache_control(response, private=True)
        counted = request.method == "GET" and membership_is_active(request.user)
        if response.status_code == 200 and counted:
            resource = selectors.resource_for_document(document)
            if resource is not None:
                services.download_record(resource=resource)
    return response
