"""Staff delivery page for an edition: test send, send now, schedule, pause/resume, live progress,
and once it goes out, its opens and clicks per edition and per link."""

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.staff import staff_tool

from . import selectors, services
from .forms import ScheduleForm, TestSendForm
from .models import Edition


class DeliveryView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "mail"
    template_name = "newsletter/admin/delivery.html"

    def dispatch(self, request, *args, **kwargs):
        self.edition = get_object_or_404(Edition, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"Send: {self.edition.subject}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailsnippets_newsletter_edition:list"), "label": "Editions"},
            {
                "url": reverse("wagtailsnippets_newsletter_edition:edit", args=[self.edition.pk]),
                "label": self.edition.subject,
            },
            {"url": "", "label": "Send"},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("test_form", TestSendForm(initial={"email": self.request.user.email}))
        context.setdefault("schedule_form", ScheduleForm())
        sent = not self.edition.is_editable
        context.update(
            edition=self.edition,
            progress=selectors.delivery_progress(self.edition),
            audience_size=selectors.audience_size(self.edition)
            if self.edition.is_editable
            else None,
            failed=selectors.failed_deliveries(self.edition),
            engagement=selectors.edition_engagement(self.edition) if sent else None,
            links=selectors.edition_link_figures(self.edition) if sent else [],
            tracking=settings.NEWSLETTER_TRACKING,
            progress_url=reverse("newsletter_admin:progress", args=[self.edition.pk]),
            web_url=self.edition.get_absolute_url(),
        )
        return context

    def post(self, request, pk):
        action = request.POST.get("action")
        edition = self.edition
        here = reverse("newsletter_admin:delivery", args=[edition.pk])
        try:
            if action == "test":
                form = TestSendForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(test_form=form))
                services.edition_send_test(edition=edition, email=form.cleaned_data["email"])
                messages.success(request, f"Test sent to {form.cleaned_data['email']}.")
            elif action == "send":
                services.edition_send(edition=edition)
                messages.success(request, "Sending has started.")
            elif action == "schedule":
                form = ScheduleForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(schedule_form=form))
                services.edition_schedule(edition=edition, when=form.cleaned_data["send_at"])
                messages.success(request, "Scheduled.")
            elif action == "unschedule":
                services.edition_unschedule(edition=edition)
                messages.success(request, "Back to draft: it will not be sent automatically.")
            elif action == "pause":
                services.edition_pause(edition=edition)
                messages.success(request, "Paused. Nothing more goes out until you resume.")
            elif action == "resume":
                services.edition_resume(edition=edition)
                messages.success(request, "Resumed.")
        except services.EditionStateError as error:
            messages.error(request, str(error))
        return redirect(here)


@never_cache
@staff_tool("newsletter.send_edition")
def progress(request, pk: int):
    """Staff-only JSON the delivery page polls for live figures."""
    edition = get_object_or_404(Edition, pk=pk)
    return JsonResponse(selectors.delivery_progress(edition))
