"""The Wagtail admin's sidebar on the network dashboard, kept rather than built every time.

Wagtail builds the sidebar's menu on every admin page: each item asks whether the person may
see it, the page explorer looks up their start page and its locale (three queries, and more
CPU time than the dashboard's own cached figures). The dashboard page builds it once per
person and data version instead: the version moves on when a table the menu reads is written
(civicnet migration 0006 adds those tables to the figures' trigger), so a new permission,
group, page permission, name or avatar shows on the next page.

templates/civicnet/admin/admin_page.html puts it where Wagtail's base template calls
{% sidebar_props %}, with {% kept_sidebar_props %} (civicnet_admin_tags): on the dashboard and on
the admin's home (templates/wagtailadmin/home.html).
"""

from django.utils import translation
from django.utils.safestring import SafeString
from wagtail.admin.templatetags.wagtailadmin_tags import sidebar_props

from core.table_versions import kept_under_version

from .dashboard import CACHE_SECONDS


def dashboard_sidebar(request, version: int | None) -> SafeString:
    """Wagtail's sidebar props (a JSON script element) for this person, in this language:
    kept under the data version, or built afresh (always, where there is no version)."""
    return kept_under_version(
        version,
        f"network-dashboard:sidebar:{request.user.pk}:{translation.get_language()}",
        lambda: sidebar_props({"request": request}),
        seconds=CACHE_SECONDS,
    )
