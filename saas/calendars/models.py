"""Tables of the service calendars (§2.1.1, §4.1): weekly working hours, holidays and make-up days."""

from datetime import date

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from saas.core.tenancy import TenantScoped
from saas.extensions import db


class ServiceCalendar(TenantScoped, db.Model):
    """When SLA clocks run (§2.1.1, §4.1): around the clock, or business hours with holidays and make-up days."""

    __tablename__ = "service_calendar"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    #: §2.1.1 7x24: every hour counts; weekly hours and days are then ignored.
    always: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Working windows per weekday, Monday "0": {"0": [["09:00", "12:00"], ["13:00", "18:00"]], ...}.
    weekly: Mapped[dict] = mapped_column(JSON, default=dict)

    days: Mapped[list["CalendarDay"]] = relationship(
        back_populates="calendar", order_by="CalendarDay.day", cascade="all, delete-orphan"
    )


class CalendarDay(TenantScoped, db.Model):
    """A holiday (no working time) or a make-up working day (调休, worked with the calendar's Monday hours)."""

    __tablename__ = "calendar_day"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("service_calendar.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    #: "holiday" or "workday".
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(120), default="")

    calendar: Mapped[ServiceCalendar] = relationship(back_populates="days")
