"""Shifts and rotas: who is on duty when, checked to cover every hour once.

The Hubei plan (seed 003) runs the mailbox around the clock: a day shift
8:00–17:30 and a night shift 17:30–8:00 on working days, a separate rota on
weekends and another on public holidays. Which day is which comes from the
deadline engine's :class:`WorkCalendar`, so 调休 Saturdays are working days
here exactly as they are for deadlines::

    teams = RotaTeams(workday=[zhang], night=[li], weekend=[wang], holiday=[zhao])
    entries = plan_rota(date(2026, 10, 1), date(2026, 10, 7), WorkCalendar(), teams)
    check_rota(entries)          # [] — or the Chinese description of each gap/overlap

A rota is a plain list of :class:`RotaEntry`; :func:`check_rota` refuses
gaps and overlaps inside the span it covers, naming the times.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from leadermail.platform.deadlines.calendar import SHANGHAI, WorkCalendar

DAY_STARTS = time(8, 0)
DAY_ENDS = time(17, 30)

KIND_LABELS = {"day": "白班", "night": "夜班", "full": "全天"}
ROTA_LABELS = {"workday": "工作日", "weekend": "双休日", "holiday": "节假日"}


@dataclass(frozen=True)
class StaffRef:
    """A person who can be put on the rota (``core.users`` id and name)."""

    user_id: int
    name: str


@dataclass(frozen=True)
class RotaEntry:
    user_id: int
    staff_name: str
    starts_at: datetime
    ends_at: datetime
    kind: str = "day"
    rota: str = "workday"
    holiday_name: str | None = None


@dataclass
class RotaTeams:
    """Who takes turns on each rota; an empty weekend/holiday team falls back
    to the night team (the seed: nights and weekends by the same 值班人员)."""

    workday: Sequence[StaffRef]
    night: Sequence[StaffRef]
    weekend: Sequence[StaffRef] = field(default_factory=list)
    holiday: Sequence[StaffRef] = field(default_factory=list)


class RotaError(ValueError):
    """The rota cannot be used; ``problems`` lists each gap or overlap in Chinese."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("；".join(problems))
        self.problems = list(problems)


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def show(moment: datetime) -> str:
    """``2026-10-01 17:30`` in Beijing time, as the refusals name times."""
    return local(moment).strftime("%Y-%m-%d %H:%M")


def at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=SHANGHAI).astimezone(UTC)


def rota_of(day: date, calendar: WorkCalendar) -> tuple[str, str | None]:
    """(``workday`` | ``weekend`` | ``holiday``, holiday name) of a local day."""
    name = calendar.holiday_name(day)
    if name is not None:
        return "holiday", name
    if calendar.is_working_day(day):
        return "workday", None
    return "weekend", None


def plan_rota(
    first_day: date, last_day: date, calendar: WorkCalendar, teams: RotaTeams
) -> list[RotaEntry]:
    """Day and night shifts from ``first_day`` 8:00 to the day after ``last_day`` 8:00.

    Each team takes turns in the order given; the night after a working day
    belongs to the night team, every shift of a weekend or holiday (and its
    night) to that rota's team.
    """
    if last_day < first_day:
        raise RotaError([f"结束日期 {last_day} 早于开始日期 {first_day}"])
    if not teams.workday or not teams.night:
        raise RotaError(["工作日白班和夜班都至少需要一名值班人员"])
    weekend = list(teams.weekend) or list(teams.night)
    holiday = list(teams.holiday) or weekend
    turns = {"workday": 0, "night": 0, "weekend": 0, "holiday": 0}
    pools: dict[str, Sequence[StaffRef]] = {
        "workday": teams.workday,
        "night": teams.night,
        "weekend": weekend,
        "holiday": holiday,
    }

    def take(pool: str) -> StaffRef:
        person = pools[pool][turns[pool] % len(pools[pool])]
        turns[pool] += 1
        return person

    entries: list[RotaEntry] = []
    day = first_day
    while day <= last_day:
        rota, holiday_name = rota_of(day, calendar)
        for kind, start, end in (
            ("day", at(day, DAY_STARTS), at(day, DAY_ENDS)),
            ("night", at(day, DAY_ENDS), at(day + timedelta(days=1), DAY_STARTS)),
        ):
            pool = rota if rota != "workday" else ("workday" if kind == "day" else "night")
            person = take(pool)
            entries.append(
                RotaEntry(person.user_id, person.name, start, end, kind, rota, holiday_name)
            )
        day += timedelta(days=1)
    return entries


def check_rota(entries: Sequence[RotaEntry]) -> list[str]:
    """Every gap and overlap between the first start and the last end, in Chinese."""
    problems: list[str] = []
    for entry in entries:
        if entry.ends_at <= entry.starts_at:
            problems.append(
                f"{entry.staff_name} 的班次 {show(entry.starts_at)} 至 {show(entry.ends_at)} "
                "结束时间不晚于开始时间"
            )
    if problems or not entries:
        return problems or ["值班表是空的"]
    ordered = sorted(entries, key=lambda e: (e.starts_at, e.ends_at))
    covered_until = ordered[0].ends_at
    last = ordered[0]
    for entry in ordered[1:]:
        if entry.starts_at > covered_until:
            problems.append(f"{show(covered_until)} 至 {show(entry.starts_at)} 无人值班")
        elif entry.starts_at < covered_until:
            problems.append(
                f"{last.staff_name} 与 {entry.staff_name} 的班次在 {show(entry.starts_at)} 至 "
                f"{show(min(covered_until, entry.ends_at))} 重叠"
            )
        if entry.ends_at > covered_until:
            covered_until = entry.ends_at
            last = entry
    return problems


# --- the rota as text (the console's editable form) ------------------------------

_LINE = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*(?:-|—|至|~)\s*"
    r"(?:(\d{4}-\d{2}-\d{2})\s+)?(\d{1,2}:\d{2})\s+(\S.*?)\s*$"
)


def format_rota(entries: Sequence[RotaEntry]) -> str:
    """One line per shift, ``2026-10-01 08:00 - 2026-10-01 17:30 张三``."""
    return "\n".join(
        f"{show(e.starts_at)} - {show(e.ends_at)} {e.staff_name}"
        for e in sorted(entries, key=lambda e: e.starts_at)
    )


def parse_rota(text: str, staff: Sequence[StaffRef], calendar: WorkCalendar) -> list[RotaEntry]:
    """Read :func:`format_rota`'s lines back; names must be on the staff list.

    Raises :class:`RotaError` naming each line that cannot be read.
    """
    by_name = {s.name: s for s in staff}
    entries: list[RotaEntry] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            problems.append(
                f"第 {number} 行格式不对，应为“2026-10-01 08:00 - 2026-10-01 17:30 姓名”"
            )
            continue
        start_day, start_clock, end_day, end_clock, name = match.groups()
        person = by_name.get(name)
        if person is None:
            problems.append(f"第 {number} 行的“{name}”不是本单位的工作人员")
            continue
        try:
            starts_at = _parse_local(start_day, start_clock)
            ends_at = _parse_local(end_day or start_day, end_clock)
        except ValueError:
            problems.append(f"第 {number} 行的日期或时间无效")
            continue
        if end_day is None and ends_at <= starts_at:
            ends_at += timedelta(days=1)  # "17:30 - 08:00" runs into the next morning
        rota, holiday_name = rota_of(local(starts_at).date(), calendar)
        kind = "day" if local(starts_at).time() == DAY_STARTS else "night"
        if ends_at - starts_at >= timedelta(hours=24):
            kind = "full"
        entries.append(
            RotaEntry(person.user_id, person.name, starts_at, ends_at, kind, rota, holiday_name)
        )
    if problems:
        raise RotaError(problems)
    return entries


def _parse_local(day: str, clock: str) -> datetime:
    hours, minutes = (int(part) for part in clock.split(":"))
    return at(date.fromisoformat(day), time(hours, minutes))
