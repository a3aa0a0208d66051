"""Read-only panels of City Vitals' Wagtail admin screens."""

from django.urls import reverse
from wagtail.admin.panels import Panel

from .models import NationalFigureRevision


class NationalFigureRevisionsPanel(Panel):
    """A national figure's corrections, newest first: the value and margin of error before
    and after, when, by whom or which import, and why. Shown on the figure's edit page, which
    only staff with the permission reach."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "vitals/admin/national_figure_revisions.html"

        def is_shown(self):
            return self.instance is not None and self.instance.pk is not None

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            user = self.request.user if self.request else None
            link_imports = user is not None and user.has_perm("vitals.view_importrun")
            revisions = list(
                NationalFigureRevision.objects.filter(national_figure=self.instance)
                .select_related("import_run")
                .order_by("-changed_at", "-pk")
            )
            for revision in revisions:
                revision.import_url = (
                    reverse(
                        "wagtailsnippets_vitals_importrun:inspect", args=[revision.import_run_id]
                    )
                    if link_imports and revision.import_run_id
                    else ""
                )
            context["revisions"] = revisions
            context["indicator"] = self.instance.indicator
            return context
