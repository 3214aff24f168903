"""Which days are working days in mainland China, and counting them.

Three sources, in order of priority, decide whether a day is worked:

1. the State Council's schedule loaded by a province admin into
   ``core.holiday_days`` (see :mod:`leadermail.platform.deadlines.schedule`);
   a loaded year is complete: its listed days are holidays or make-up working
   days (调休), every other day follows Monday–Friday;
2. the ``chinesecalendar`` package, for the years it ships data for;
3. plain Monday–Friday, for any other year. A deadline that depends on such a
   year is *provisional* and is recomputed once the schedule is loaded.

Counting follows 《民法典》 art. 201: the day a period starts on is not
counted; counting begins the next day. ``add_working_days(start, n)``
therefore counts the *n* working days strictly after the local (Shanghai)
day of ``start`` and returns the very end of the *n*-th::

    calendar = WorkCalendar()
    friday_evening = datetime(2026, 3, 6, 19, 30, tzinfo=SHANGHAI)
    calendar.add_working_days(friday_evening, 3)
    # -> 2026-03-11 23:59:59 Shanghai (Wednesday), returned in UTC

A letter received on a holiday or a weekend is thus counted from the first
working day after it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A deadline ends at the last second of its local day.
END_OF_DAY = time(23, 59, 59)

DayKind = Literal["holiday", "workday"]
DAY_KINDS: tuple[DayKind, ...] = ("holiday", "workday")


class CalendarSource(enum.StrEnum):
    LOADED = "loaded"  # the State Council schedule stored in core.holiday_days
    LIBRARY = "library"  # the chinesecalendar package
    FALLBACK = "fallback"  # Monday–Friday, provisional


@dataclass(frozen=True)
class OfficialDay:
    """One line of a loaded schedule: a day off or a make-up working day.

    ``year`` is the schedule the day belongs to; it is normally ``day.year``,
    but a schedule may reach back into the previous December (the 2012
    schedule made Saturday 2011-12-31 a working day).
    """

    day: date
    kind: DayKind
    name: str
    year: int


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value!r}")
    return value


def local_day(moment: datetime) -> date:
    """The Shanghai calendar day of an aware datetime."""
    return require_aware(moment).astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in Shanghai, as an aware UTC datetime."""
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI).astimezone(UTC)


#: The library names holidays in English; staff see the Chinese names.
_LIBRARY_NAMES: dict[str, str] = {h.value: h.chinese for h in chinese_calendar.Holiday}
#: Bound on each memo of a WorkCalendar (a few years of days; it stays tiny in
#: practice, but a long-lived calendar must not grow without limit).
_MEMO_LIMIT = 4096


@cache
def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Working days and holidays, from loaded schedules, the library or Mon–Fri.

    Build one per request or job from the table (``await load_calendar(db)``)
    or, in tests, from :class:`OfficialDay` values; it is immutable, cheap, and
    remembers the days it has already looked up.
    """

    def __init__(self, official_days: Iterable[OfficialDay] = ()) -> None:
        self._official: dict[date, OfficialDay] = {}
        for official in official_days:
            if official.kind not in DAY_KINDS:
                raise ValueError(f"unknown day kind {official.kind!r}")
            self._official[official.day] = official
        self._loaded_years = frozenset(o.year for o in self._official.values())
        # Answers already worked out. The calendar never changes once built,
        # and one is shared by every letter written in the minute it is
        # cached for (public_site/routes/writing.py): without these, each
        # letter walked ~40 days through chinese_calendar's validating
        # look-up for its two deadlines (~7 % of the write request's CPU).
        self._working: dict[date, bool] = {}
        self._after: dict[tuple[date, int], date] = {}

    @property
    def loaded_years(self) -> frozenset[int]:
        return self._loaded_years

    def source_for(self, year: int) -> CalendarSource:
        if year in self._loaded_years:
            return CalendarSource.LOADED
        if _library_knows(year):
            return CalendarSource.LIBRARY
        return CalendarSource.FALLBACK

    def has_official_data(self, year: int) -> bool:
        """False when ``year`` is only guessed as Monday–Friday."""
        return self.source_for(year) is not CalendarSource.FALLBACK

    def covers(self, first: date, last: date) -> bool:
        """True when every year from ``first`` to ``last`` has official data."""
        return all(self.has_official_data(y) for y in range(first.year, last.year + 1))

    def is_working_day(self, day: date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = self._working_day_uncached(day)
            if len(self._working) < _MEMO_LIMIT:
                self._working[day] = known
        return known

    def _working_day_uncached(self, day: date) -> bool:
        official = self._official.get(day)
        if official is not None:
            return official.kind == "workday"
        if self.source_for(day.year) is CalendarSource.LIBRARY:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def is_holiday(self, day: date) -> bool:
        """True on a public-holiday day off (春节, 国庆节...), weekend or not.

        An ordinary weekend is not a holiday; use ``not is_working_day`` for
        "no work today".
        """
        return self.holiday_name(day) is not None

    def holiday_name(self, day: date) -> str | None:
        official = self._official.get(day)
        if official is not None:
            return official.name if official.kind == "holiday" else None
        if self.source_for(day.year) is CalendarSource.LIBRARY:
            # The library also names make-up working days, with on_holiday False.
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            if on_holiday and name is not None:
                return _LIBRARY_NAMES.get(name, str(name))
        return None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        candidate = day + timedelta(days=1)
        # A real calendar has at most a couple of weeks off in a row; a year
        # loaded as "all holidays" must fail loudly, not loop forever.
        for _ in range(366):
            if self.is_working_day(candidate):
                return candidate
            candidate += timedelta(days=1)
        raise ValueError(f"no working day within a year after {day.isoformat()}")

    def working_day_after(self, day: date, n: int) -> date:
        """The ``n``-th working day strictly after ``day`` (n ≥ 1)."""
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        known = self._after.get((day, n))
        if known is not None:
            return known
        current = day
        for _ in range(n):
            current = self.next_working_day(current)
        if len(self._after) < _MEMO_LIMIT:
            self._after[(day, n)] = current
        return current

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """End (23:59:59 Shanghai, as UTC) of the ``n``-th working day after ``start``'s day."""
        return end_of_day(self.working_day_after(local_day(start), n))
