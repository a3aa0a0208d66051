"""Dates for demo events that a reader would believe: on working days (no weekend, no U.S.
federal holiday, nothing between Christmas Eve and New Year), and National Meetings in the
season their names give (Spring in April, Fall in October)."""

from datetime import date, timedelta

SPRING, FALL = "Spring", "Fall"
# The season each name promises, as (first month, last month) of where its dates may fall.
SEASON_MONTHS = {"Spring": (3, 6), "Summer": (6, 9), "Fall": (9, 12), "Autumn": (9, 12)}
SEASON_MONTHS["Winter"] = (12, 3)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The nth (1-based; -1 for the last) given weekday (Monday is 0) of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    """A fixed-date holiday on a weekend is observed on the Friday before or Monday after."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def federal_holidays(year: int) -> set[date]:
    """The U.S. federal holidays (5 U.S.C. 6103) observed in a year."""
    mon, thu = 0, 3
    fixed = [(1, 1), (6, 19), (7, 4), (11, 11), (12, 25)]
    days = {_observed(date(year, month, day)) for month, day in fixed}
    days |= {
        _nth_weekday(year, 1, mon, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year, 2, mon, 3),  # Washington's Birthday
        _nth_weekday(year, 5, mon, -1),  # Memorial Day
        _nth_weekday(year, 9, mon, 1),  # Labor Day
        _nth_weekday(year, 10, mon, 2),  # Columbus Day
        _nth_weekday(year, 11, thu, 4),  # Thanksgiving Day
    }
    days.add(_observed(date(year + 1, 1, 1)))  # New Year's Day may be observed on 31 December
    return {day for day in days if day.year == year}


def is_working_day(day: date) -> bool:
    holiday_season = (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)
    thanksgiving_friday = _nth_weekday(day.year, 11, 3, 4) + timedelta(days=1)
    return (
        day.weekday() < 5
        and day not in federal_holidays(day.year)
        and not holiday_season
        and day != thanksgiving_friday
    )


def working_day_on_or_after(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def national_meeting_day(season: str, year: int) -> date:
    """National Meetings open on the third Tuesday of April (Spring) or October (Fall)."""
    return _nth_weekday(year, 4 if season == SPRING else 10, 1, 3)


def national_meetings_around(today: date, *, lead_days: int = 30) -> list[tuple[str, date]]:
    """The meetings before and after `today`, oldest first, ending with the next one at least
    `lead_days` away (so its registration is open for a while)."""
    meetings = sorted(
        (national_meeting_day(season, year), season)
        for year in range(today.year - 2, today.year + 2)
        for season in (SPRING, FALL)
    )
    upcoming = next(
        n for n, (day, _) in enumerate(meetings) if day >= today + timedelta(days=lead_days)
    )
    return [(season, day) for day, season in meetings[: upcoming + 1]]


def season_matches(title: str, day: date) -> bool:
    """A title that names a season is dated inside it (a title naming none always matches)."""
    for season, (first, last) in SEASON_MONTHS.items():
        if season.lower() in title.lower():
            if first <= last:
                return first <= day.month <= last
            return day.month >= first or day.month <= last
    return True
