"""Business-hours calendars (B13): opening hours in a time zone, public holidays, extra closed days.

Pure: no database. Hours are wall-clock times in the calendar's zone, so a day with a DST change
still opens at 08:00 local time (and a 24-hour day is 23 or 25 real hours long).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# a calendar that never opens would make a due time unreachable: search at most this far ahead
MAX_SEARCH_DAYS = 3 * 366


class CalendarError(ValueError):
    """A calendar definition that cannot be used (unknown zone or country, malformed hours)."""


@dataclass(frozen=True)
class Window:
    """One opening window of a weekday in minutes after local midnight (`end` may be 1440)."""

    start: int
    end: int


def _minutes(text: str) -> int:
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise CalendarError(f"time {text!r} is not HH:MM") from None
    if not 0 <= value <= 1440 or not 0 <= int(minutes) < 60:
        raise CalendarError(f"time {text!r} is outside 00:00-24:00")
    return value


def parse_hours(hours: Mapping[str, Sequence[Sequence[str]]]) -> dict[int, tuple[Window, ...]]:
    """`{"mon": [["08:00", "16:00"]], ...}` into windows per weekday (0 = Monday); missing days are closed."""
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise CalendarError(f"unknown weekday(s): {', '.join(sorted(unknown))}")
    result: dict[int, tuple[Window, ...]] = {}
    for day, spans in hours.items():
        windows = []
        for span in spans:
            if len(span) != 2:
                raise CalendarError(f"{day}: a window is [start, end]")
            start, end = _minutes(span[0]), _minutes(span[1])
            if end <= start:
                raise CalendarError(f"{day}: window {span[0]}-{span[1]} ends before it starts")
            windows.append(Window(start, end))
        windows.sort(key=lambda w: w.start)
        for before, after in pairwise(windows):
            if after.start < before.end:
                raise CalendarError(f"{day}: windows overlap")
        result[WEEKDAYS.index(day)] = tuple(windows)
    return result


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"unknown time zone {name!r}") from None


@lru_cache(maxsize=256)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())
    except NotImplementedError:
        raise CalendarError(f"no holiday data for country {country!r}") from None


def check_region(country: str | None, subdivision: str | None) -> None:
    """Raise CalendarError when `holidays` does not know the country or its subdivision."""
    if country is None:
        if subdivision is not None:
            raise CalendarError("a subdivision needs a country")
        return
    try:
        holidays.country_holidays(country, subdiv=subdivision, years=2026)
    except NotImplementedError:
        raise CalendarError(f"no holiday data for country {country!r}") from None
    except ValueError as exc:  # unknown subdivision
        raise CalendarError(str(exc)) from None


@dataclass(frozen=True)
class BusinessCalendar:
    """When the clock may run: windows per weekday in `tz`, minus holidays of `country` and `closed_dates`."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    windows: Mapping[int, tuple[Window, ...]] = field(default_factory=lambda: {d: (Window(0, 1440),) for d in range(7)})
    country: str | None = None
    subdivision: str | None = None
    closed_dates: frozenset[date] = frozenset()

    @classmethod
    def always_open(cls) -> BusinessCalendar:
        """24/7 in UTC: the calendar of a policy that names none."""
        return cls()

    @classmethod
    def build(
        cls,
        *,
        timezone: str,
        hours: Mapping[str, Sequence[Sequence[str]]],
        country: str | None = None,
        subdivision: str | None = None,
        closed_dates: Sequence[date] = (),
    ) -> BusinessCalendar:
        check_region(country, subdivision)
        return cls(
            tz=zone(timezone),
            windows=parse_hours(hours),
            country=country,
            subdivision=subdivision,
            closed_dates=frozenset(closed_dates),
        )

    def is_closed_day(self, day: date) -> bool:
        """A public holiday of the calendar's region or one of its extra closed dates."""
        if day in self.closed_dates:
            return True
        return self.country is not None and day in _holiday_dates(self.country, self.subdivision, day.year)

    def _local(self, day: date, minute: int) -> datetime:
        # wall-clock time in the zone (24:00 is the next midnight), as an aware UTC instant
        local = datetime.combine(day + timedelta(days=minute // 1440), time(minute % 1440 // 60, minute % 60))
        return local.replace(tzinfo=self.tz).astimezone(UTC)

    def open_spans(self, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        """The open spans (UTC) from `start` on, clipped to [start, end]; endless without `end`."""
        start = _utc(start)
        stop = _utc(end) if end is not None else None
        day = start.astimezone(self.tz).date() - timedelta(days=1)  # a window may start the day before
        last = day + timedelta(days=MAX_SEARCH_DAYS)
        while day <= last:
            if stop is not None and self._local(day, 0) >= stop:
                return
            if not self.is_closed_day(day):
                for window in self.windows.get(day.weekday(), ()):
                    lo, hi = max(self._local(day, window.start), start), self._local(day, window.end)
                    if stop is not None:
                        hi = min(hi, stop)
                    if hi > lo:
                        yield lo, hi
            day += timedelta(days=1)

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """Open time between two instants (zero when `end` is not after `start`)."""
        if _utc(end) <= _utc(start):
            return timedelta(0)
        return sum((hi - lo for lo, hi in self.open_spans(start, end)), timedelta(0))

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of open time has passed since `start`.

        Zero from a closed moment is `start` itself: a target already used up is due where it ran out.
        """
        start = _utc(start)
        if amount <= timedelta(0):
            return start
        left = amount
        for lo, hi in self.open_spans(start):
            if hi - lo >= left:
                return lo + left
            left -= hi - lo
        raise CalendarError(f"the calendar has no {amount} of open time within {MAX_SEARCH_DAYS} days")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
