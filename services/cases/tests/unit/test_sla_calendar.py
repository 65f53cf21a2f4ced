"""Business-hours arithmetic (B13): weekends, holidays, extra closed days, time zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from cases.sla.rules_calendar import BusinessCalendar, CalendarError, parse_hours

OFFICE = {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_always_open_adds_plain_time() -> None:
    cal = BusinessCalendar.always_open()
    start = _utc(2026, 11, 20, 23, 30)
    assert cal.add(start, timedelta(hours=2)) == _utc(2026, 11, 21, 1, 30)
    assert cal.business_time(start, _utc(2026, 11, 22, 23, 30)) == timedelta(days=2)


def test_office_hours_skip_the_weekend() -> None:
    cal = BusinessCalendar.build(timezone="UTC", hours=OFFICE)
    friday_afternoon = _utc(2026, 11, 20, 15, 0)  # Friday
    # one hour left on Friday, three more on Monday from 08:00
    assert cal.add(friday_afternoon, timedelta(hours=4)) == _utc(2026, 11, 23, 11, 0)
    assert cal.business_time(friday_afternoon, _utc(2026, 11, 23, 11, 0)) == timedelta(hours=4)
    # a start in the night counts from the next opening
    assert cal.add(_utc(2026, 11, 21, 12, 0), timedelta(minutes=30)) == _utc(2026, 11, 23, 8, 30)
    # exactly the rest of the day ends at closing time, not the next morning
    assert cal.add(_utc(2026, 11, 23, 8, 0), timedelta(hours=8)) == _utc(2026, 11, 23, 16, 0)


def test_public_holidays_of_the_country_are_closed() -> None:
    cal = BusinessCalendar.build(timezone="Europe/Oslo", hours=OFFICE, country="NO")
    # Wed 2026-12-23 15:00 Oslo (14:00 UTC): 1 h left; 24th is open? Christmas Eve is not a public holiday in NO,
    # but the 25th (Fri) is; so 2 h from Wed 15:00 = Thu 24th 09:00 Oslo
    assert cal.is_closed_day(date(2026, 12, 25)) and cal.is_closed_day(date(2026, 12, 26))
    assert not cal.is_closed_day(date(2026, 12, 24))
    assert cal.add(_utc(2026, 12, 23, 14, 0), timedelta(hours=2)) == _utc(2026, 12, 24, 8, 0)
    # Thursday 24th 15:00 Oslo + 2 h: Friday 25th is Christmas, then the weekend: Monday 28th 09:00 Oslo
    assert cal.add(_utc(2026, 12, 24, 14, 0), timedelta(hours=2)) == _utc(2026, 12, 28, 8, 0)
    # Easter: Maundy Thursday to Easter Monday closed in Norway
    wednesday_close = _utc(2026, 4, 1, 14, 0)  # 16:00 Oslo (summer time)
    assert cal.add(wednesday_close, timedelta(minutes=1)) == _utc(2026, 4, 7, 6, 1)


def test_subdivision_and_extra_closed_days() -> None:
    bavaria = BusinessCalendar.build(timezone="Europe/Berlin", hours=OFFICE, country="DE", subdivision="BY")
    berlin = BusinessCalendar.build(timezone="Europe/Berlin", hours=OFFICE, country="DE", subdivision="BE")
    assert bavaria.is_closed_day(date(2026, 1, 6)) and not berlin.is_closed_day(date(2026, 1, 6))  # Epiphany
    company = BusinessCalendar.build(timezone="UTC", hours=OFFICE, closed_dates=[date(2026, 11, 23)])
    assert company.add(_utc(2026, 11, 20, 16, 0), timedelta(hours=1)) == _utc(2026, 11, 24, 9, 0)


def test_time_zone_shifts_the_opening_hours() -> None:
    tokyo = BusinessCalendar.build(timezone="Asia/Tokyo", hours=OFFICE)
    # Monday 2026-11-23 00:00 UTC is 09:00 in Tokyo: one hour in, 7 h left, closes 07:00 UTC
    assert tokyo.add(_utc(2026, 11, 23, 0, 0), timedelta(hours=7)) == _utc(2026, 11, 23, 7, 0)
    # the eighth hour is Tuesday 08:00-09:00 Tokyo, which is Monday 23:00 to Tuesday 00:00 UTC
    assert tokyo.add(_utc(2026, 11, 23, 0, 0), timedelta(hours=8)) == _utc(2026, 11, 24, 0, 0)


def test_daylight_saving_change_keeps_wall_clock_hours() -> None:
    cal = BusinessCalendar.build(timezone="Europe/Oslo", hours=OFFICE)
    # Friday 2026-10-23 08:00 Oslo is 06:00 UTC (summer); the clocks go back on Sunday the 25th
    # Monday 26th 08:00 Oslo is 07:00 UTC (winter)
    assert cal.add(_utc(2026, 10, 23, 6, 0), timedelta(hours=9)) == _utc(2026, 10, 26, 8, 0)
    # a 24/7 calendar in Oslo: the night of the change is 25 real hours of Sunday
    always = BusinessCalendar.build(timezone="Europe/Oslo", hours={d: [["00:00", "24:00"]] for d in ("sun",)})
    assert always.business_time(_utc(2026, 10, 24, 0, 0), _utc(2026, 10, 27, 0, 0)) == timedelta(hours=25)
    # spring forward: Sunday 2026-03-29 is 23 hours long
    assert always.business_time(_utc(2026, 3, 28, 0, 0), _utc(2026, 3, 31, 0, 0)) == timedelta(hours=23)


def test_bad_definitions_are_refused() -> None:
    with pytest.raises(CalendarError, match="weekday"):
        parse_hours({"monday": [["08:00", "16:00"]]})
    with pytest.raises(CalendarError, match="ends before"):
        parse_hours({"mon": [["16:00", "08:00"]]})
    with pytest.raises(CalendarError, match="overlap"):
        parse_hours({"mon": [["08:00", "12:00"], ["11:00", "13:00"]]})
    with pytest.raises(CalendarError, match="HH:MM"):
        parse_hours({"mon": [["8", "12:00"]]})
    with pytest.raises(CalendarError, match="time zone"):
        BusinessCalendar.build(timezone="Mars/Olympus", hours=OFFICE)
    with pytest.raises(CalendarError, match="country"):
        BusinessCalendar.build(timezone="UTC", hours=OFFICE, country="XX")
    with pytest.raises(CalendarError):
        BusinessCalendar.build(timezone="UTC", hours=OFFICE, country="DE", subdivision="ZZ")


def test_a_calendar_that_never_opens_cannot_reach_a_due_time() -> None:
    closed = BusinessCalendar.build(timezone="UTC", hours={})
    with pytest.raises(CalendarError, match="open time"):
        closed.add(_utc(2026, 1, 1), timedelta(minutes=1))
