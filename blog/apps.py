from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "blog"

    def ready(self):
        """A post's kept head and article (BlogPage.post_fragments) show its authors, categories,
        tags and images: editing one of those forgets the kept copies and the cached blog pages.
        """
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save, pre_delete
        from taggit.models import Tag
        from wagtail.images import get_image_model

        from core.signals import public_pages_changed

        from .models import Author, BlogCategory

        def shown_on_posts_changed(sender, **kwargs):
            public_pages_changed.send(sender=sender, paths=["/blog/"])

        image_model = get_image_model()
        for model in (Author, BlogCategory, Tag, image_model):
            for signal in (post_save, post_delete):
                signal.connect(
                    shown_on_posts_changed, sender=model, dispatch_uid=f"blog.posts.{model}"
                )
        # A rendition's file goes with its row: a kept <img> must not point at it.
        post_delete.connect(
            shown_on_posts_changed,
            sender=image_model.get_rendition_model(),
            dispatch_uid="blog.posts.rendition",
        )

        def member_deleting(sender, instance, **kwargs):
            # A byline links to the author's member profile; deleting the person empties the
            # link (SET_NULL, which sends no signal of its own). Usernames are generated and
            # never edited (members.accounts.new_username), so a rename needs no watching.
            if Author.objects.filter(member=instance).exists():
                shown_on_posts_changed(sender)

        pre_delete.connect(
            member_deleting, sender=get_user_model(), dispatch_uid="blog.posts.member"
        )
