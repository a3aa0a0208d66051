"""The Wagtail admin's City Dividends constants: every version, and saving a new one."""

from django.contrib import messages
from django.forms.models import model_to_dict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from core.staff import staff_tool

from .dividend_forms import DividendConstantsForm
from .dividends import current_constants, dividend_constants_create
from .models import DividendConstants


@staff_tool("vitals.add_dividendconstants")
@require_http_methods(["GET", "POST"])
def dividend_constants(request):
    """Versions are never edited: the form starts from the current one and saves the next."""
    current = current_constants()
    initial = model_to_dict(current, fields=DividendConstantsForm._meta.fields)
    initial["reason"] = ""
    form = DividendConstantsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        saved = dividend_constants_create(
            values=values, reason=form.cleaned_data["reason"], user=request.user
        )
        messages.success(request, f"Saved version {saved.version}; the dividend pages use it now.")
        return redirect("vitals_dividend_constants")
    versions = DividendConstants.objects.select_related("created_by").order_by("-version")
    return render(
        request,
        "vitals/admin/dividend_constants.html",
        {"form": form, "current": current, "versions": versions},
    )
