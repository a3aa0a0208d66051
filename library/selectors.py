"""Reads of the library's files: its collection, and who may have them."""

from wagtail.documents import get_document_model
from wagtail.models import Collection
from wagtail.permissions import policy_registry

from members.selectors import membership_is_active

from .models import ResourceDocument, ResourcePage

LIBRARY_COLLECTION = "Members' library"


def library_collection() -> Collection:
    """The collection members-only files are uploaded to, created on first use."""
    existing = Collection.objects.filter(name=LIBRARY_COLLECTION, depth=2).first()
    if existing:
        return existing
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")
    return root.add_child(name=LIBRARY_COLLECTION)


def is_library_document(document) -> bool:
    """Members-only: attached to a resource, or filed in the Members' library collection."""
    if ResourceDocument.objects.filter(document=document).exists():
        return True
    return (
        document.collection.get_ancestors(inclusive=True).filter(name=LIBRARY_COLLECTION).exists()
    )


def can_download(user, document) -> bool:
    """Active members may download library files; so may the editors who manage them."""
    if membership_is_active(user):
        return True
    if not user.is_authenticated:
        return False
    policy = policy_registry.get_by_type(get_document_model())
    return policy.user_has_permission_for_instance(user, "change", document)


def resource_for_document(document) -> ResourcePage | None:
    link = ResourceDocument.objects.filter(document=document).select_related("page").first()
    return link.page if link else None
