from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "civicnet core"

    def ready(self):
        """Forget cached pages when content changes (see core.page_cache)."""
        from django.db.models.signals import m2m_changed, post_delete, post_save
        from wagtail import signals
        from wagtail.models import CollectionViewRestriction, Page, PageViewRestriction, Site

        from core.signals import public_pages_changed

        from .page_cache import page_cache_clear, paths_showing

        def clear_everything(**kwargs):
            page_cache_clear()

        def clear_for_published_page(sender, instance, **kwargs):
            page_cache_clear(paths=paths_showing(instance))

        def clear_for_new_live_page(sender, instance, created, **kwargs):
            # Pages made in code (the demo loader's) go live without being "published";
            # a draft save or a revision is never a creation, so it clears nothing.
            if created and isinstance(instance, Page) and instance.live:
                page_cache_clear(paths=paths_showing(instance))

        def clear_for_snippet(sender, instance, **kwargs):
            # Wagtail sends these for pages too, next to page_published/page_unpublished.
            if not isinstance(instance, Page):
                page_cache_clear()

        def clear_what_an_app_changed(sender, paths=None, **kwargs):
            page_cache_clear(paths=paths)

        # Publishing clears the page's own section and its ancestors' (an index lists its
        # children); unpublishing, moving and deleting can break links anywhere, and
        # Wagtail cannot tell where a snippet shows, so those clear every page.
        signals.page_published.connect(
            clear_for_published_page, weak=False, dispatch_uid="core.page_cache"
        )
        for signal in (signals.page_unpublished, signals.post_page_move):
            signal.connect(clear_everything, weak=False, dispatch_uid="core.page_cache")
        for signal in (signals.published, signals.unpublished):
            signal.connect(clear_for_snippet, weak=False, dispatch_uid="core.page_cache")
        post_save.connect(clear_for_new_live_page, weak=False, dispatch_uid="core.page_cache")
        post_delete.connect(
            clear_everything, sender=Page, weak=False, dispatch_uid="core.page_cache"
        )
        # Sites decide which page a host shows (and the navigation, a cached fragment, lists).
        for signal in (post_save, post_delete):
            signal.connect(
                clear_everything, sender=Site, weak=False, dispatch_uid="core.page_cache.site"
            )
        # A view restriction added, changed or lifted decides who may see a page and what lists
        # and cached fragments may show of it: a copy kept from before must not outlive it.
        for model in (PageViewRestriction, CollectionViewRestriction):
            for signal in (post_save, post_delete):
                signal.connect(
                    clear_everything, sender=model, weak=False, dispatch_uid="core.page_cache"
                )
            m2m_changed.connect(
                clear_everything,
                sender=model.groups.through,
                weak=False,
                dispatch_uid="core.page_cache",
            )
        public_pages_changed.connect(
            clear_what_an_app_changed, weak=False, dispatch_uid="core.page_cache"
        )
