"""Reads other apps ask of `blog`."""

from dataclasses import dataclass

from .models import BlogPage


@dataclass(frozen=True)
class PostCard:
    title: str
    url: str
    category_label: str
    standfirst: str
    date_label: str


def latest_posts(*, limit: int) -> list[PostCard]:
    """The newest published posts, as the home page's cards."""
    posts = (
        BlogPage.objects.live()
        .public()
        .prefetch_related("categories")
        .order_by("-date", "-pk")[:limit]
    )
    return [
        PostCard(
            title=post.title,
            url=post.get_url(),
            category_label=post.category_label,
            standfirst=post.standfirst,
            date_label=post.date_label,
        )
        for post in posts
    ]
