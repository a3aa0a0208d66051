"""The Wagtail admin's City Vitals import: upload, preview what will change, confirm."""

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.body_limit import request_body_limit
from core.staff import staff_tool

from .services import import_stage, staged_files, vitals_import
from .tasks import import_staged_vitals, progress_key

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data] if data else single(None, initial)
        return [single(data, initial)]


class ImportForm(forms.Form):
    files = MultipleFileField(
        label="CSV files",
        widget=MultipleFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text="One or more of sources.csv, indicators.csv, metros.csv and observations.csv "
        "(the format of vitals/data/ in the code). Nothing changes until you confirm.",
    )

    def clean_files(self):
        uploads = self.cleaned_data["files"]
        total = sum(upload.size for upload in uploads)
        if total > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The files are larger than 50 MB together.")
        contents = []
        for upload in uploads:
            content = upload.read()
            try:
                content.decode("utf-8")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(f"{upload.name} is not UTF-8 text.") from error
            contents.append((upload.name, content))
        return contents


@staff_tool("vitals.import_vitals")
@require_http_methods(["GET", "POST"])
@request_body_limit(MAX_UPLOAD_BYTES + 1024 * 1024)  # the CSV files and the form
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        files = form.cleaned_data["files"]
        token = import_stage(files=files)
        report = vitals_import(files=staged_files(token), dry_run=True)
        return render(
            request,
            "vitals/admin/import_preview.html",
            {"report": report, "token": token, "names": [name for name, _ in files]},
        )
    return render(request, "vitals/admin/import_upload.html", {"form": form})


@staff_tool("vitals.import_vitals")
@require_http_methods(["POST"])
def import_confirm(request):
    token = request.POST.get("token", "")
    if not staged_files(token):
        messages.error(request, "Those uploaded files are gone; upload them again.")
        return redirect("vitals_import")
    cache.set(progress_key(token), {"state": "queued"}, 3600)
    who = request.user.get_username()
    transaction.on_commit(lambda: import_staged_vitals.delay(token, who))
    return redirect(reverse("vitals_import_status", args=[token]))


@staff_tool("vitals.import_vitals")
def import_status(request, token):
    status = cache.get(progress_key(token))
    if status is None:
        raise Http404("No import with that token is running.")
    percent = 100 * status.get("done", 0) // status["total"] if status.get("total") else 0
    return render(
        request,
        "vitals/admin/import_status.html",
        {"status": status, "percent": percent, "token": token},
    )
