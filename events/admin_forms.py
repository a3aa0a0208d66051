"""The admin form for events: times are typed and shown in the event's own time zone.

Reminders are ticked from a fixed list; none ticked means the default for the kind of event.

Django forms read and show datetimes in the site's zone (settings.TIME_ZONE); an editor
scheduling a Denver workshop thinks in Denver time. This form shows the stored UTC times in
the zone chosen on the event and reads what is typed in that zone, for the event and for
every session on its agenda.
"""

import zoneinfo

from django import forms
from django.utils import timezone
from wagtail.admin.forms import WagtailAdminModelForm

from .reminders import ReminderOffset

TIME_FIELDS = ("starts_at", "ends_at")


def _shown_in(value, zone):
    return timezone.localtime(value, zone).replace(tzinfo=None) if value else value


def _read_in(value, zone):
    """A datetime the form read in the site's zone, re-read as wall time in `zone`."""
    if value is None:
        return value
    wall = timezone.make_naive(value, timezone.get_current_timezone())
    return timezone.make_aware(wall, zone)


class EventAdminForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "reminder_offsets" in self.fields:
            self.fields["reminder_offsets"] = forms.MultipleChoiceField(
                label="Reminders",
                choices=ReminderOffset.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=(
                    "Which reminders registrants get. None ticked: the default for the kind "
                    "(7 days and 1 day before a National Meeting; 1 day and 1 hour before a "
                    "webinar or workshop)."
                ),
            )
            if self.instance.pk:
                self.initial["reminder_offsets"] = self.instance.reminders
        if "max_guests" in self.fields:
            self.fields["max_guests"].required = False  # empty: no guests
        if self.instance.pk and self.instance.time_zone:
            zone = zoneinfo.ZoneInfo(self.instance.time_zone)
            for name in TIME_FIELDS + ("registration_opens_at", "registration_closes_at"):
                if name in self.fields:
                    self.initial[name] = _shown_in(getattr(self.instance, name), zone)
            for form in self._session_forms():
                if form.instance.pk:
                    for name in TIME_FIELDS:
                        form.initial[name] = _shown_in(getattr(form.instance, name), zone)

    def _zone(self):
        try:
            return zoneinfo.ZoneInfo(self.cleaned_data.get("time_zone") or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def clean(self):
        cleaned = super().clean()
        zone = self._zone()
        for name in TIME_FIELDS + ("registration_opens_at", "registration_closes_at"):
            if cleaned.get(name):
                cleaned[name] = _read_in(cleaned[name], zone)
        if "reminder_offsets" in cleaned:
            cleaned["reminder_offsets"] = cleaned["reminder_offsets"] or None
        if "max_guests" in cleaned and cleaned["max_guests"] is None:
            cleaned["max_guests"] = 0
        return cleaned

    def _session_forms(self):
        formsets = getattr(self, "formsets", {})
        return formsets["sessions"].forms if "sessions" in formsets else []

    def save(self, commit=True):
        zone = self._zone()
        for form in self._session_forms():
            for name in TIME_FIELDS:
                value = getattr(form, "cleaned_data", {}).get(name)
                if value:
                    setattr(form.instance, name, _read_in(value, zone))
        return super().save(commit=commit)
