import datetime
import io
import itertools

import factory
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images.models import Image

from blog.models import Author, BlogCategory, BlogIndexPage, BlogPage

_counter = itertools.count(1)


def make_image(title: str = "Illustration", colour: str = "#0b4f5c") -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 40), colour).save(buffer, "PNG")
    return Image.objects.create(
        title=title, file=ImageFile(buffer, name=f"test-{next(_counter)}.png"), description=title
    )


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Writer {n}")
    slug = factory.LazyAttribute(lambda author: author.name.lower().replace(" ", "-"))
    role = "Research fellow"
    organisation = "civicnet"
    bio = "Writes about how cities grow."


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlogCategory
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.LazyAttribute(lambda category: category.name.lower().replace(" ", "-"))


def make_blog_index(home, **fields) -> BlogIndexPage:
    index = home.add_child(
        instance=BlogIndexPage(**{"title": "Blog", "slug": "blog", "intro": "Ideas.", **fields})
    )
    index.save_revision().publish()
    return index


def make_post(index, *, authors=(), categories=(), tags=(), publish=True, **fields) -> BlogPage:
    n = next(_counter)
    defaults = {
        "title": f"Post number {n}",
        "slug": f"post-{n}",
        "standfirst": "What cities can learn from each other.",
        "date": datetime.date(2026, 3, 1) + datetime.timedelta(days=n % 200),
        "body": [("paragraph", "<p>Streets, data and the people who change them.</p>")],
    }
    post = BlogPage(**{**defaults, **fields}, live=publish)
    index.add_child(instance=post)
    post.authors.set(authors)
    post.categories.set(categories)
    post.tags.set(list(tags))
    revision = post.save_revision()
    if publish:
        revision.publish()
    return BlogPage.objects.get(pk=post.pk)
