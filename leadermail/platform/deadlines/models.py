"""The State Council's holiday schedules, loaded by a province admin.

One row per day that differs from Monday–Friday: a day off (``holiday``) or
a make-up working day on a weekend (``workday``, 调休). A year with rows is
complete; see :mod:`leadermail.platform.deadlines.schedule` for loading and
:class:`leadermail.platform.deadlines.calendar.WorkCalendar` for use.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from leadermail.platform.clock import utcnow
from leadermail.platform.db import CoreBase


class HolidayDay(CoreBase):
    __tablename__ = "holiday_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    #: The schedule the day comes from: usually ``day.year``, but a schedule
    #: may reach into the previous December (2012's made 2011-12-31 a workday).
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(40))  # 春节, 国庆节, 春节调休 ...
    #: Where the schedule came from, e.g. 国办发明电〔2026〕7号 or the file name.
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
