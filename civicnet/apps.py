from django.apps import AppConfig


class CivicnetConfig(AppConfig):
    name = "civicnet"
    verbose_name = "civicnet"

    def ready(self):
        from django.db.models.signals import post_delete, post_save
        from wagtail import signals
        from wagtail.models import Page

        from core.signals import public_pages_changed

        from .page_cache import page_cache_clear

        def clear_everything(**kwargs):
            page_cache_clear()

        def clear_for_published_page(sender, instance, **kwargs):
            page_cache_clear(paths=_paths_showing(instance))

        def clear_for_new_live_page(sender, instance, created, **kwargs):
            # Pages made in code (the demo loader's) go live without being "published";
            # a draft save or a revision is never a creation, so it clears nothing.
            if created and isinstance(instance, Page) and instance.live:
                page_cache_clear(paths=_paths_showing(instance))

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
            clear_for_published_page, weak=False, dispatch_uid="civicnet.page_cache"
        )
        for signal in (signals.page_unpublished, signals.post_page_move):
            signal.connect(clear_everything, weak=False, dispatch_uid="civicnet.page_cache")
        for signal in (signals.published, signals.unpublished):
            signal.connect(clear_for_snippet, weak=False, dispatch_uid="civicnet.page_cache")
        post_save.connect(clear_for_new_live_page, weak=False, dispatch_uid="civicnet.page_cache")
        post_delete.connect(
            clear_everything, sender=Page, weak=False, dispatch_uid="civicnet.page_cache"
        )
        public_pages_changed.connect(
            clear_what_an_app_changed, weak=False, dispatch_uid="civicnet.page_cache"
        )

        # Page feedback's part of account export and deletion (members sends, never imports).
        from members.signals import account_deleting, account_exporting

        from . import accounts

        account_exporting.connect(accounts.account_export, dispatch_uid="civicnet-account")
        account_deleting.connect(accounts.account_delete, dispatch_uid="civicnet-account")


def _paths_showing(page) -> list[str] | None:
    """URL paths of the page and its ancestors, or None (everything) when it has no URL.

    Blog posts and library resources also appear on City Vitals metro pages (the related
    posts and resources there), so those clear the vitals section too.
    """
    url = page.get_url()
    # get_url() keeps the site's root paths on the instance it was asked of; a page made in
    # code asks before its Site points at it, and would then have no URL for the rest of its
    # life (make_home_page, bootstrap_site). Leave the caller's instance as it was.
    page.__dict__.pop("_wagtail_cached_site_root_paths", None)
    if not url or not url.startswith("/"):
        return None
    paths = [url]
    for ancestor in page.get_ancestors():
        ancestor_url = ancestor.specific_deferred.get_url() if ancestor.depth > 1 else None
        if ancestor_url and ancestor_url.startswith("/"):
            paths.append(ancestor_url)
    if page.specific_class._meta.app_label in {"blog", "library"}:
        paths.append("/vitals/")
    return paths
