"""Loading the State Council's holiday schedule (国务院办公厅 节假日安排) for a year.

Each December the State Council publishes next year's holidays and make-up
working days. A province admin types or uploads them in this format (console
or CLI) and deadlines stop being provisional, with no release::

    # 2027年节假日安排 (blank lines and lines starting with # are ignored)
    2027-01-01,holiday,元旦
    2027-02-06,2027-02-12,holiday,春节
    2027-02-14,workday,春节调休

A line is ``first[,last],kind,name``: one day or an inclusive range;
``kind`` is ``holiday`` (放假) or ``workday`` (上班, a make-up working day on
a weekend); full-width commas (，) are accepted. List only the days that
differ from Monday–Friday: a loaded year is complete.

::

    entries = parse_schedule(text, 2027)          # raises ScheduleError
    with engine.connect() as connection:          # commits by itself
        load_schedule(connection, 2027, entries, source="国办发明电〔2026〕N号")
    calendar = await load_calendar(database)
    calendar.has_official_data(2027)              # True

Inside a caller's transaction ``load_schedule`` uses a savepoint and leaves
the commit to the caller.

Recomputing the provisional deadlines of letters is the caller's job:
``compute_due(start, rule, calendar)`` with the new calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from leadermail.platform.clock import utcnow
from leadermail.platform.db import Database
from leadermail.platform.deadlines.calendar import DayKind, OfficialDay, WorkCalendar
from leadermail.platform.deadlines.models import HolidayDay

_KINDS: dict[str, DayKind] = {
    "holiday": "holiday",
    "放假": "holiday",
    "休": "holiday",
    "workday": "workday",
    "上班": "workday",
    "班": "workday",
}
#: The longest official holiday so far is 9 days (春节 2026); a longer range
#: is a typo such as 2027-02-06,2027-12-12.
MAX_RANGE_DAYS = 15
MAX_NAME_LENGTH = 40
#: A schedule may reach back into the previous December (2012's made
#: Saturday 2011-12-31 a working day); nothing earlier or later is accepted.
PREVIOUS_YEAR_FROM = (12, 20)


class ScheduleError(ValueError):
    """The schedule cannot be loaded; ``errors`` lists every problem, in Chinese."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("节假日安排有误：\n" + "\n".join(self.errors))


@dataclass(frozen=True)
class ScheduleEntry:
    day: date
    kind: DayKind
    name: str


def _parse_date(text: str, where: str, errors: list[str]) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors.append(f"{where}：日期“{text.strip()}”无效，应写成 YYYY-MM-DD，例如 2027-02-06")
        return None


def _in_schedule_year(day: date, year: int) -> bool:
    if day.year == year:
        return True
    month, first_day = PREVIOUS_YEAR_FROM
    return day.year == year - 1 and day >= date(year - 1, month, first_day)


def parse_schedule(text: str, year: int) -> list[ScheduleEntry]:
    """Parse and validate a schedule; one entry per day, sorted by day."""
    errors: list[str] = []
    lines: list[tuple[int, date, date, DayKind, str]] = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        where = f"第{number}行"
        fields = [field.strip() for field in line.replace("，", ",").split(",")]
        if len(fields) == 3:
            fields.insert(1, fields[0])
        if len(fields) != 4:
            errors.append(
                f"{where}：“{line}”格式不对，应为“日期,类型,名称”或“开始日期,结束日期,类型,名称”"
            )
            continue
        first_text, last_text, kind_text, name = fields
        first = _parse_date(first_text, where, errors)
        last = first if last_text == first_text else _parse_date(last_text, where, errors)
        kind = _KINDS.get(kind_text.lower())
        if kind is None:
            errors.append(f"{where}：类型“{kind_text}”无效，应为 holiday（放假）或 workday（上班）")
        if not name:
            errors.append(f"{where}：缺少名称，例如“春节”或“春节调休”")
        elif len(name) > MAX_NAME_LENGTH:
            errors.append(f"{where}：名称过长（最多{MAX_NAME_LENGTH}字）")
        if first is None or last is None or kind is None:
            continue
        if last < first:
            errors.append(f"{where}：结束日期 {last} 早于开始日期 {first}")
            continue
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            errors.append(f"{where}：{first} 至 {last} 超过{MAX_RANGE_DAYS}天，请检查日期")
            continue
        outside = [d for d in (first, last) if not _in_schedule_year(d, year)]
        if outside:
            errors.append(f"{where}：日期 {outside[0]} 不属于{year}年的节假日安排")
            continue
        lines.append((number, first, last, kind, name))

    entries: dict[date, tuple[int, ScheduleEntry]] = {}
    for number, first, last, kind, name in lines:
        day = first
        while day <= last:
            if kind == "workday" and day.weekday() < 5:
                errors.append(f"第{number}行：{day} 是工作日（周一至周五），无需调休上班")
            elif day in entries:
                errors.append(f"第{number}行：{day} 与第{entries[day][0]}行重复")
            else:
                entries[day] = (number, ScheduleEntry(day, kind, name))
            day += timedelta(days=1)
    if not errors and not entries:
        errors.append(f"没有任何{year}年的节假日安排")
    if errors:
        raise ScheduleError(errors)
    return [entry for _, entry in sorted(entries.values(), key=lambda item: item[1].day)]


def load_schedule(
    connection: Connection,
    year: int,
    entries: Iterable[ScheduleEntry],
    *,
    source: str,
    loaded_at: datetime | None = None,
) -> int:
    """Replace ``year``'s rows in ``core.holiday_days`` with ``entries``; return the count.

    Atomic: inside the caller's transaction a savepoint is used, otherwise a
    transaction of its own (committed here). The entries are validated again
    (they may not come from :func:`parse_schedule`).
    """
    entries = list(entries)
    errors = [
        f"日期 {entry.day} 不属于{year}年的节假日安排"
        for entry in entries
        if not _in_schedule_year(entry.day, year)
    ]
    days = [entry.day for entry in entries]
    if len(set(days)) != len(days):
        errors.append("同一日期出现了两次")
    if not entries:
        errors.append(f"没有任何{year}年的节假日安排")
    if not source.strip():
        errors.append("请注明来源，例如“国办发明电〔2026〕7号”")
    if errors:
        raise ScheduleError(errors)
    moment = loaded_at or utcnow()
    transaction = connection.begin_nested() if connection.in_transaction() else connection.begin()
    with transaction:
        taken = connection.execute(
            select(HolidayDay.day, HolidayDay.year).where(
                HolidayDay.day.in_(days), HolidayDay.year != year
            )
        ).all()
        if taken:
            raise ScheduleError(
                [f"日期 {day} 已在{other}年的节假日安排中" for day, other in sorted(taken)]
            )
        connection.execute(delete(HolidayDay).where(HolidayDay.year == year))
        connection.execute(
            insert(HolidayDay),
            [
                {
                    "day": entry.day,
                    "year": year,
                    "kind": entry.kind,
                    "name": entry.name,
                    "source": source.strip()[:200],
                    "loaded_at": moment,
                }
                for entry in entries
            ],
        )
    return len(entries)


def calendar_from_rows(rows: Iterable[Any]) -> WorkCalendar:
    """A calendar from ``HolidayDay`` objects or rows with day, kind, name, year."""
    return WorkCalendar(
        OfficialDay(day=row.day, kind=row.kind, name=row.name, year=row.year) for row in rows
    )


def calendar_from_schedule(year: int, entries: Iterable[ScheduleEntry]) -> WorkCalendar:
    """A calendar as it will be once ``entries`` are loaded (previews, tests)."""
    return WorkCalendar(OfficialDay(e.day, e.kind, e.name, year) for e in entries)


async def load_calendar(database: Database) -> WorkCalendar:
    """The current calendar: every loaded schedule plus the library and fallback."""
    async with database.core_session() as session:
        result = await session.execute(
            select(HolidayDay.day, HolidayDay.kind, HolidayDay.name, HolidayDay.year)
        )
        return calendar_from_rows(result.all())
