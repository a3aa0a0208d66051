"""Asking to join without online payment: the public form, and the staff review in the admin."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.throttle import client_address, throttle_allow

from . import joining
from .join_forms import JoinRequestDecisionForm, JoinRequestForm
from .models import JoinRequest, Plan

JOIN_REQUESTS_PAGE_SIZE = 50


def join_request(request):
    """GET: the form, with the plan from ?plan= chosen. POST: record it, then the thank-you."""
    user = request.user if request.user.is_authenticated else None
    initial = {}
    plan_slug = request.GET.get("plan", "")
    if plan_slug:
        initial["plan"] = Plan.objects.filter(slug=plan_slug[:50], is_active=True).first()
    if user is not None:
        initial.update(name=user.get_full_name(), email=user.email)
    form = JoinRequestForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not throttle_allow(
            action="join_request",
            key=client_address(request),
            limit=joining.JOIN_REQUESTS_PER_HOUR,
            seconds=3600,
        ):
            form.add_error(
                None, "Too many requests from your connection in the last hour. Try again later."
            )
            status = 429
        elif form.is_valid():
            joining.join_request_create(user=user, **form.cleaned_data_for_request())
            return redirect("members:join_request_sent")
        else:
            status = 400
    response = render(request, "members/join_request.html", {"form": form}, status=status)
    if user is not None or request.method == "POST":
        patch_cache_control(response, private=True)
    return response


def join_request_sent(request):
    response = render(request, "members/join_request_sent.html")
    if request.user.is_authenticated:
        patch_cache_control(response, private=True)
    return response


# --- Staff, inside the Wagtail admin (guarded by staff_tool in wagtail_hooks) ---------------
class JoinRequestListView(WagtailAdminTemplateMixin, TemplateView):
    page_title = "Join requests"
    header_icon = "user"
    template_name = "members/admin/join_requests.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        status = self.request.GET.get("status", JoinRequest.Status.PENDING)
        if status not in JoinRequest.Status.values:
            status = JoinRequest.Status.PENDING
        requests = JoinRequest.objects.filter(status=status).select_related("plan", "user")
        context["status"] = status
        context["statuses"] = JoinRequest.Status.choices
        context["page_obj"] = Paginator(requests, JOIN_REQUESTS_PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return context


class JoinRequestReviewView(WagtailAdminTemplateMixin, TemplateView):
    page_title = "Join request"
    header_icon = "user"
    template_name = "members/admin/join_request_review.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        join_request = get_object_or_404(
            JoinRequest.objects.select_related("plan", "user", "decided_by"), pk=kwargs["pk"]
        )
        context["join_request"] = join_request
        context["account"] = joining.join_request_account(join_request)
        context.setdefault("form", JoinRequestDecisionForm())
        return context

    def post(self, request, pk):
        join_request = get_object_or_404(JoinRequest, pk=pk)
        form = JoinRequestDecisionForm(request.POST)
        if form.is_valid():
            decision = form.cleaned_data["decision"]
            until = form.cleaned_data["until"]
            note = form.cleaned_data["note"]
            try:
                if decision == "decline":
                    joining.join_request_decline(
                        join_request=join_request, actor=request.user, note=note
                    )
                    messages.success(request, f"Request of {join_request.name} declined.")
                else:
                    joining.join_request_approve(
                        join_request=join_request,
                        actor=request.user,
                        kind=decision,
                        until=timezone.make_aware(
                            timezone.datetime.combine(until, timezone.datetime.max.time())
                        )
                        if until
                        else None,
                        note=note,
                    )
                    messages.success(request, f"{join_request.email} is now a member.")
            except joining.JoinRequestError as error:
                form.add_error(None, error)
            else:
                return redirect("members_admin:join_requests")
        response = self.render_to_response(self.get_context_data(pk=pk, form=form))
        response.status_code = 400
        return response
