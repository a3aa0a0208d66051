"""The Wagtail admin's City Vitals editions: add a draft, publish it, keep its notes.

One screen, for staff with `vitals.publish_edition`. A draft's title, address and last data
year can be changed until it is published (by deleting it and adding it again); once
published, an edition is permanent and only its notes can change.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from core.staff import staff_tool

from .editions import EditionError, edition_delete, edition_notes_update, edition_publish
from .models import Edition


class EditionForm(forms.ModelForm):
    class Meta:
        model = Edition
        fields = ["title", "slug", "data_through", "notes"]

    def clean_data_through(self):
        year = self.cleaned_data["data_through"]
        if year is not None and not 1990 <= year <= 2100:
            raise forms.ValidationError("Give a year between 1990 and 2100, or leave it empty.")
        return year


class NotesForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


@staff_tool("vitals.publish_edition")
@require_http_methods(["GET", "POST"])
def editions(request):
    form = EditionForm(request.POST if request.POST.get("action") == "add" else None)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "add" and form.is_valid():
            edition = form.save()
            messages.success(request, f"Draft {edition.title} added. Publish it to freeze it.")
            return redirect("vitals_editions")
        if action in {"publish", "delete", "notes"}:
            pk = request.POST.get("edition", "")
            edition = get_object_or_404(Edition, pk=int(pk) if pk.isdigit() else 0)
            try:
                _act(request, action, edition)
            except EditionError as error:
                messages.error(request, str(error))
            return redirect("vitals_editions")
    return render(
        request,
        "vitals/admin/editions.html",
        {"form": form, "editions": Edition.objects.all()},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _act(request, action: str, edition: Edition) -> None:
    if action == "publish":
        edition_publish(edition=edition, user=request.user)
        messages.success(request, f"{edition.title} is published: its figures are frozen.")
    elif action == "delete":
        edition_delete(edition=edition)
        messages.success(request, f"Draft {edition.title} deleted.")
    else:
        notes = NotesForm(request.POST)
        notes.is_valid()
        edition_notes_update(edition=edition, notes=notes.cleaned_data.get("notes", ""))
        messages.success(request, f"Notes of {edition.title} saved.")
