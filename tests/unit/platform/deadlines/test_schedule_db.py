"""Loading a schedule into core.holiday_days on the real (test) PostgreSQL.

Uses a far-future year so the rows never change other tests' deadlines, and
removes them afterwards (core tables are shared by the whole test run).
"""

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import delete, func, select

from leadermail.platform.context import AppContext
from leadermail.platform.deadlines.calendar import CalendarSource
from leadermail.platform.deadlines.models import HolidayDay
from leadermail.platform.deadlines.schedule import (
    ScheduleError,
    load_calendar,
    load_schedule,
    parse_schedule,
)

YEAR = 2091


@pytest.fixture
def engine(context: AppContext) -> Iterator:  # noqa: ANN001
    engine = context.database.sync_engine
    yield engine
    with engine.begin() as connection:
        connection.execute(delete(HolidayDay).where(HolidayDay.year.in_([YEAR, YEAR + 1])))


def _count(engine, year: int) -> int:  # noqa: ANN001
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(HolidayDay).where(HolidayDay.year == year)
        ).scalar_one()


async def test_load_replaces_the_year_and_feeds_the_calendar(
    engine,
    context: AppContext,  # noqa: ANN001
) -> None:
    first = parse_schedule(f"{YEAR}-02-05,{YEAR}-02-09,holiday,春节", YEAR)
    with engine.connect() as connection:
        assert load_schedule(connection, YEAR, first, source="第一版") == 5
    assert _count(engine, YEAR) == 5

    # Loading again replaces, not appends.
    second = parse_schedule(
        f"{YEAR}-02-06,{YEAR}-02-08,holiday,春节\n{YEAR}-02-10,workday,春节调休", YEAR
    )
    with engine.connect() as connection:
        load_schedule(connection, YEAR, second, source="国办发明电（测试）")
    assert _count(engine, YEAR) == 4

    calendar = await load_calendar(context.database)
    assert calendar.source_for(YEAR) is CalendarSource.LOADED
    assert calendar.holiday_name(date(YEAR, 2, 6)) == "春节"
    assert calendar.is_working_day(date(YEAR, 2, 5))  # was a holiday in the first version
    assert calendar.is_working_day(date(YEAR, 2, 10))  # a Saturday, make-up working day


def test_a_day_owned_by_another_year_rolls_the_whole_load_back(engine) -> None:  # noqa: ANN001
    with engine.connect() as connection:
        load_schedule(
            connection, YEAR, parse_schedule(f"{YEAR}-12-22,workday,调休", YEAR), source="a"
        )
    clashing = parse_schedule(f"{YEAR}-12-22,workday,元旦调休", YEAR + 1)
    with engine.connect() as connection, connection.begin():
        with pytest.raises(ScheduleError, match=f"已在{YEAR}年"):
            load_schedule(connection, YEAR + 1, clashing, source="b")
    assert _count(engine, YEAR) == 1
    assert _count(engine, YEAR + 1) == 0
