"""Webinar series: a rule ("first Thursday monthly, until June") that staff turn into
occurrences, each an ordinary Event with its own page, capacity and join link."""

import zoneinfo
from datetime import date, datetime, timedelta

from dateutil import rrule
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.search import index

from .events import TIME_ZONE_CHOICES, Event

# However the rule is written, a series makes at most this many occurrences.
MOST_OCCURRENCES = 60


class EventSeries(index.Indexed, models.Model):
    """A webinar (or workshop) series. Staff set the rule and the defaults here, preview the
    dates and create the occurrences; each occurrence is then an event of its own, edited
    on its own without touching the others."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", "Monthly, on a weekday of the month (e.g. first Thursday)"
        WEEKLY = "weekly", "Weekly, on a weekday (e.g. every 2 weeks on Tuesday)"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    class WeekOfMonth(models.IntegerChoices):
        FIRST = 1, "First"
        SECOND = 2, "Second"
        THIRD = 3, "Third"
        FOURTH = 4, "Fourth"
        LAST = -1, "Last"

    title = models.CharField(max_length=160, help_text="e.g. 'Data for Better Streets'.")
    slug = models.SlugField(
        max_length=80,
        unique=True,
        help_text="The address: /events/series/<slug>/; occurrences are <slug>-<date>.",
    )
    summary = models.CharField(max_length=300, help_text="One or two sentences for listings.")
    body = RichTextField(blank=True, help_text="What the series covers and who it is for.")
    kind = models.CharField(
        max_length=20,
        choices=[(k, label) for k, label in Event.Kind.choices if k != "national_meeting"],
        default=Event.Kind.WEBINAR,
    )
    time_zone = models.CharField(
        max_length=40,
        choices=TIME_ZONE_CHOICES,
        default="America/New_York",
        help_text="The rule's times are wall-clock times here, summer and winter alike.",
    )
    start_time = models.TimeField(help_text="Local start time of every occurrence, e.g. 14:00.")
    duration_minutes = models.PositiveSmallIntegerField(
        default=60, validators=[MinValueValidator(5), MaxValueValidator(12 * 60)]
    )
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    interval = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="Every how many months (monthly) or weeks (weekly): 1 is every one.",
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.THURSDAY)
    week_of_month = models.SmallIntegerField(
        choices=WeekOfMonth.choices,
        default=WeekOfMonth.FIRST,
        help_text="Monthly series only: which of the month's weekdays.",
    )
    starts_on = models.DateField(help_text="No occurrence before this date.")
    ends_on = models.DateField(
        null=True, blank=True, help_text="Until this date (inclusive). Or give a number below."
    )
    count = models.PositiveSmallIntegerField(
        "Number of occurrences",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MOST_OCCURRENCES)],
        help_text="N times. Or give an end date above.",
    )
    skip_dates = models.TextField(
        blank=True,
        help_text="Dates the rule would give but that should not happen (holidays), "
        "one per line as YYYY-MM-DD.",
    )
    # Defaults for new occurrences: each occurrence keeps its own copy, edited on its own.
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Places per occurrence; empty for no limit."
    )
    join_url = models.URLField(blank=True, help_text="Online meeting link of new occurrences.")
    is_published = models.BooleanField(default=True, help_text="Unpublished series are hidden.")
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        FieldPanel("title"),
        FieldPanel("slug"),
        FieldPanel("kind"),
        FieldPanel("summary"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("frequency"),
                FieldRowPanel(
                    [FieldPanel("interval"), FieldPanel("week_of_month"), FieldPanel("weekday")]
                ),
                FieldRowPanel([FieldPanel("start_time"), FieldPanel("duration_minutes")]),
                FieldPanel("time_zone"),
                FieldRowPanel(
                    [FieldPanel("starts_on"), FieldPanel("ends_on"), FieldPanel("count")]
                ),
                FieldPanel("skip_dates"),
            ],
            heading="When: the rule (preview and create the dates from the series list)",
        ),
        MultiFieldPanel(
            [FieldPanel("capacity"), FieldPanel("join_url")],
            heading="Defaults for new occurrences",
        ),
        FieldPanel("is_published"),
    ]
    search_fields = [index.SearchField("title"), index.AutocompleteField("title")]

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "event series"

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("events:series", kwargs={"slug": self.slug})

    def clean(self):
        errors = {}
        if not self.ends_on and not self.count:
            errors["ends_on"] = "Give an end date or a number of occurrences."
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "The end date must come after the first date."
        try:
            self.skipped_dates()
        except ValueError:
            errors["skip_dates"] = "Write one date per line as YYYY-MM-DD, e.g. 2030-07-04."
        if errors:
            raise ValidationError(errors)

    @property
    def url(self):
        return self.get_absolute_url()

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.time_zone)

    def skipped_dates(self) -> set[date]:
        """The skip list; ValueError on a line that is not a date."""
        return {
            date.fromisoformat(line.strip())
            for line in self.skip_dates.splitlines()
            if line.strip()
        }

    def rule_dates(self) -> list[date]:
        """The dates the rule gives, in order, without the skipped ones (never more than
        MOST_OCCURRENCES). Dates, not times: each becomes start_time in the series' zone."""
        first = self.starts_on
        if self.frequency == self.Frequency.MONTHLY:
            by_weekday = rrule.weekday(self.weekday, self.week_of_month)
            rule_frequency = rrule.MONTHLY
        else:
            by_weekday = rrule.weekday(self.weekday)
            rule_frequency = rrule.WEEKLY
            # "Every 2 weeks on Tuesday from the 1st" starts on the first Tuesday from the
            # 1st: rrule would count the fortnights from the week of the 1st instead.
            first += timedelta(days=(self.weekday - first.weekday()) % 7)
        rule = rrule.rrule(
            rule_frequency,
            dtstart=datetime.combine(first, datetime.min.time()),
            interval=self.interval or 1,
            byweekday=by_weekday,
            until=datetime.combine(self.ends_on, datetime.min.time()) if self.ends_on else None,
        )
        # "N times" counts the occurrences that happen: a skipped date is not one of them.
        most = min(self.count or MOST_OCCURRENCES, MOST_OCCURRENCES)
        skipped = self.skipped_dates()
        days = []
        for moment in rule:
            if moment.date() not in skipped:
                days.append(moment.date())
            if len(days) >= most:
                break
        return days

    def occurrence_times(self, day: date) -> tuple[datetime, datetime]:
        """Start and end of the occurrence on `day`: start_time on the wall clock of the
        series' zone that day (so 14:00 stays 14:00 across a change to or from summer time)."""
        starts_at = datetime.combine(day, self.start_time, tzinfo=self.zone)
        return starts_at, starts_at + timedelta(minutes=self.duration_minutes)
