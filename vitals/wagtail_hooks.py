from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from core.staff import PermissionMenuItem

from . import admin_views, dividend_admin_views, edition_admin_views
from .admin_forms import NationalFigureForm
from .admin_panels import NationalFigureRevisionsPanel
from .models import ImportRun, Indicator, Metro, NationalFigure, PeerGroup, Source
from .services import vitals_settings_changed


class IndicatorViewSet(SnippetViewSet):
    model = Indicator
    icon = "table"
    menu_label = "Indicators"
    list_display = ["name", "area", "unit", "direction", "is_headline", "headline_order"]
    list_filter = ["area", "is_headline"]
    search_fields = ["name", "code"]
    panels = [
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("is_headline"), FieldPanel("headline_order")])],
            heading="Rankings table",
            help_text="Choose six headline indicators: they are the table's columns and make up the overall score.",
        ),
        FieldPanel("name"),
        FieldPanel("definition"),
        FieldPanel("caveat"),
        FieldPanel("change_series"),
        FieldPanel("formula"),
        FieldPanel("source_table"),
        FieldPanel("method_version"),
        FieldRowPanel([FieldPanel("area"), FieldPanel("unit"), FieldPanel("direction")]),
    ]


class MetroViewSet(SnippetViewSet):
    model = Metro
    icon = "site"
    menu_label = "Metros"
    list_display = ["name", "cbsa_code", "population", "region"]
    list_filter = ["region"]
    search_fields = ["name", "cbsa_code"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldRowPanel([FieldPanel("principal_city"), FieldPanel("states"), FieldPanel("region")]),
        FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")]),
    ]


class PeerGroupViewSet(SnippetViewSet):
    model = PeerGroup
    icon = "group"
    menu_label = "Peer groups"
    list_display = ["name", "min_population", "max_population", "is_default"]
    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldRowPanel([FieldPanel("min_population"), FieldPanel("max_population")]),
        FieldRowPanel([FieldPanel("is_default"), FieldPanel("order")]),
    ]


class SourceViewSet(SnippetViewSet):
    model = Source
    icon = "doc-full"
    menu_label = "Sources"
    list_display = ["title", "publisher", "licence"]
    panels = [
        FieldPanel(name)
        for name in ["title", "publisher", "url", "licence", "obtained_via", "series"]
    ]


class NationalFigureViewSet(SnippetViewSet):
    """The United States' figures. A correction keeps the earlier value with who, when and
    why (NationalFigureRevision); editions keep what they published."""

    model = NationalFigure
    icon = "site"
    menu_label = "National figures"
    list_display = ["indicator", "year", "period", "value", "margin_of_error", "source"]
    list_filter = ["indicator", "source"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("indicator"), FieldPanel("source")]),
            FieldRowPanel([FieldPanel("year"), FieldPanel("period")]),
            FieldRowPanel([FieldPanel("value"), FieldPanel("margin_of_error")]),
            FieldPanel("reason"),
            FieldPanel("vintage"),
            FieldPanel("note"),
            NationalFigureRevisionsPanel(heading="Corrections"),
        ],
        base_form_class=NationalFigureForm,
    )


class ImportRunViewSet(SnippetViewSet):
    model = ImportRun
    icon = "history"
    menu_label = "Import history"
    list_display = ["started_at", "files", "created_count", "updated_count", "imported_by"]
    inspect_view_enabled = True
    panels = [FieldPanel("imported_by", read_only=True)]


class VitalsGroup(SnippetViewSetGroup):
    menu_label = "City Vitals"
    menu_icon = "table"
    menu_order = 250
    items = (
        IndicatorViewSet,
        MetroViewSet,
        PeerGroupViewSet,
        SourceViewSet,
        NationalFigureViewSet,
        ImportRunViewSet,
    )


register_snippet(VitalsGroup)


@hooks.register("register_admin_urls")
def register_vitals_import_urls():
    return [
        path("vitals-import/", admin_views.import_upload, name="vitals_import"),
        path("vitals-import/confirm/", admin_views.import_confirm, name="vitals_import_confirm"),
        path("vitals-import/<str:token>/", admin_views.import_status, name="vitals_import_status"),
    ]


@hooks.register("register_admin_menu_item")
def register_vitals_import_menu_item():
    return PermissionMenuItem(
        "Import City Vitals",
        reverse("vitals_import"),
        icon_name="upload",
        order=260,
        permission="vitals.import_vitals",
    )


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
@hooks.register("after_delete_snippet")
def refresh_after_vitals_edit(request, instances):
    instances = instances if isinstance(instances, list | tuple) else [instances]
    if hasattr(instances, "model"):
        instances = list(instances)
    models = {type(instance) for instance in instances}
    # A source's title and licence show on indicator, metro and methodology pages.
    if models & {Indicator, PeerGroup, Metro, Source}:
        vitals_settings_changed(rebuild_rankings=PeerGroup in models)


@hooks.register("register_admin_urls")
def register_dividend_constants_urls():
    return [
        path(
            "vitals-dividends/constants/",
            dividend_admin_views.dividend_constants,
            name="vitals_dividend_constants",
        )
    ]


@hooks.register("register_admin_menu_item")
def register_dividend_constants_menu_item():
    return PermissionMenuItem(
        "City Dividends constants",
        reverse("vitals_dividend_constants"),
        icon_name="cogs",
        order=261,
        permission="vitals.add_dividendconstants",
    )


@hooks.register("register_admin_urls")
def register_edition_urls():
    return [path("vitals-editions/", edition_admin_views.editions, name="vitals_editions")]


@hooks.register("register_admin_menu_item")
def register_edition_menu_item():
    return PermissionMenuItem(
        "City Vitals editions",
        reverse("vitals_editions"),
        icon_name="date",
        order=262,
        permission="vitals.publish_edition",
    )
