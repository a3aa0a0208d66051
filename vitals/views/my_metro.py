"""Members' City Vitals tools: My metro (a metro against the peers they chose), its PDF
brief, and every figure as an XLSX workbook. vitals.access decides who gets them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import member_tool
from ..briefs import brief_pdf, scenario_brief_pdf
from ..dividend_forms import ScenarioForm
from ..dividend_scenarios import (
    dividend_scenario_create,
    dividend_scenario_delete,
    scenario_results,
    scenarios_of,
)
from ..dividends import current_constants, edition_constants
from ..forms import PeerChoiceForm
from ..models import MAX_DIVIDEND_SCENARIOS, DividendScenario, Metro
from ..selectors import (
    default_peer_group,
    headline_indicators,
    my_metro_report,
    peer_choice_for,
)
from ..selectors.editions import citation_text, current_edition
from ..services import peer_choice_save
from ..workbook import figures_workbook
from .common import crumbs


def _report(choice, home_metro: Metro | None) -> dict | None:
    """The saved choice's report; a person who saved nothing sees their home metro against
    the default peer group. None when there is no metro to show."""
    metro = (choice.metro if choice else None) or home_metro
    if metro is None:
        return None
    if choice is None:
        peer_group, peer_metros = default_peer_group(), []
    else:
        peer_group, peer_metros = choice.peer_group, list(choice.peer_metros.all())
        if peer_group is None and not peer_metros:  # their saved group was deleted
            peer_group = default_peer_group()
    return my_metro_report(
        metro=metro,
        indicators=headline_indicators(),
        peer_group=peer_group,
        peer_metros=peer_metros,
    )


def _home_metro(access) -> Metro | None:
    if access.home_metro_id is None:
        return None
    return Metro.objects.filter(pk=access.home_metro_id).first()


@require_http_methods(["GET", "POST"])
@member_tool
def my_metro(request, *, access):
    home_metro = _home_metro(access)
    choice = peer_choice_for(request.user)
    if request.method == "POST":
        form = PeerChoiceForm(request.POST, home_metro=home_metro)
        if form.is_valid():
            data = form.cleaned_data
            try:
                peer_choice_save(
                    user=request.user,
                    metro=data["metro"],
                    peer_group=data["peer_group"],
                    peer_metros=data["peer_metros"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Your metro and peers are saved.")
                return redirect("vitals:my_metro")
    else:
        form = PeerChoiceForm(initial=PeerChoiceForm.initial_for(choice), home_metro=home_metro)
    context = {
        "form": form,
        "report": _report(choice, home_metro),
        "scenarios": scenario_results(scenarios_of(request.user)),
        "max_scenarios": MAX_DIVIDEND_SCENARIOS,
        "crumbs": crumbs(),
    }
    return render(request, "vitals/my_metro.html", context, status=400 if form.is_bound else 200)


@require_GET
@member_tool
def my_metro_brief(request, *, access):
    report = _report(peer_choice_for(request.user), _home_metro(access))
    if report is None:
        messages.info(request, "Choose your metro first: the brief is of your My metro page.")
        return redirect("vitals:my_metro")
    page_url = request.build_absolute_uri(reverse("vitals:my_metro"))
    response = HttpResponse(brief_pdf(report, page_url=page_url), content_type="application/pdf")
    filename = f"civicnet-city-vitals-brief-{report['metro'].slug}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@member_tool
def figures_xlsx(request, *, access):
    today = timezone.localdate()
    return FileResponse(
        figures_workbook(today),
        as_attachment=True,
        filename=f"civicnet-city-vitals-{today:%Y-%m-%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- City Dividends scenarios ------------------------------------------------------------


def _scenario_refused(request, form, message: str = ""):
    """A scenario that cannot be saved: a 400 saying why, with the way back."""
    metro = form.cleaned_data.get("metro") if hasattr(form, "cleaned_data") else None
    return render(
        request,
        "vitals/dividend_scenario_refused.html",
        {"form": form, "message": message, "metro": metro, "crumbs": crumbs()},
        status=400,
    )


@require_POST
@member_tool
def scenario_save(request, *, access):
    form = ScenarioForm(request.POST)
    if not form.is_valid():
        return _scenario_refused(request, form)
    data = form.cleaned_data
    edition = data["edition"]
    constants = edition_constants(edition) if edition else current_constants()
    try:
        scenario = dividend_scenario_create(
            user=request.user,
            metro=data["metro"],
            steps=form.steps(constants),
            peer_group=data["peer"],
            edition=edition,
            name=data["name"],
        )
    except ValidationError as error:
        return _scenario_refused(request, form, " ".join(error.messages))
    messages.success(
        request,
        f"Scenario saved: {scenario.name or data['metro'].name}. It is listed below, with its "
        "PDF brief.",
    )
    return redirect(reverse("vitals:my_metro") + f"#scenario-{scenario.pk}")


@require_POST
@member_tool
def scenario_delete(request, pk, *, access):
    scenario = get_object_or_404(DividendScenario, pk=pk, user=request.user)
    dividend_scenario_delete(scenario=scenario)
    messages.success(request, "Scenario deleted.")
    return redirect(reverse("vitals:my_metro") + "#scenarios-heading")


@require_GET
@member_tool
def scenario_brief(request, pk, *, access):
    """A saved scenario as a one-page PDF brief, with the line to cite its page."""
    scenario = get_object_or_404(
        DividendScenario.objects.select_related(
            "metro", "peer_group", "edition__dividend_constants"
        ),
        pk=pk,
        user=request.user,
    )
    (result,) = scenario_results([scenario], with_inputs=True)
    if result.dividends is None:
        messages.info(request, "That metro is not in the scenario's edition: no brief to make.")
        return redirect("vitals:my_metro")
    page_url = request.build_absolute_uri(result.url)
    title = f"City Dividends for {scenario.metro.name}"
    if scenario.edition_id:
        citation = citation_text(edition=scenario.edition, url=page_url, title=title, frozen=True)
    else:
        citation = citation_text(edition=current_edition(), url=page_url, title=title)
    pdf = scenario_brief_pdf(result, page_url=page_url, citation=citation)
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = f"civicnet-city-dividends-{scenario.metro.slug}-{scenario.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
