import datetime
import itertools

from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from library.models import (
    LibraryIndexPage,
    ResourceCity,
    ResourceDocument,
    ResourcePage,
    ResourceTopic,
)
from library.selectors import library_collection

_counter = itertools.count(1)
SECRET = "Only members may read this paragraph"


def make_library(home, **fields) -> LibraryIndexPage:
    library = home.add_child(
        instance=LibraryIndexPage(
            **{"title": "Resource library", "slug": "library", "intro": "Reports.", **fields}
        )
    )
    library.save_revision().publish()
    return library


def make_document(*, title="Toolkit", in_library=True, content=b"%PDF-1.4 test") -> Document:
    n = next(_counter)
    kwargs = {"collection": library_collection()} if in_library else {}
    return Document.objects.create(
        title=title, file=ContentFile(content, name=f"file-{n}.pdf"), **kwargs
    )


def topic(name: str) -> ResourceTopic:
    return ResourceTopic.objects.get_or_create(
        slug=name.lower().replace(" ", "-"), defaults={"name": name}
    )[0]


def city(name: str) -> ResourceCity:
    return ResourceCity.objects.get_or_create(
        slug=name.lower().split(",")[0].replace(" ", "-"), defaults={"name": name}
    )[0]


def make_resource(library, *, topics=(), cities=(), documents=(), publish=True, **fields):
    n = next(_counter)
    defaults = {
        "title": f"Resource number {n}",
        "slug": f"resource-{n}",
        "summary": "A practical guide for city teams.",
        "resource_type": ResourcePage.ResourceType.REPORT,
        "date": datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 300),
        "body": [("paragraph", f"<p>{SECRET}.</p>")],
    }
    resource = ResourcePage(**{**defaults, **fields}, live=publish)
    library.add_child(instance=resource)
    resource.topics.set(topics)
    resource.cities.set(cities)
    resource.documents = [ResourceDocument(document=document) for document in documents]
    resource.save()
    revision = resource.save_revision()
    if publish:
        revision.publish()
    return ResourcePage.objects.get(pk=resource.pk)
