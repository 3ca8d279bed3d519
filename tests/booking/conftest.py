from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

LA = ZoneInfo("America/Los_Angeles")


def upcoming_weekday(weekday: int, *, at_least_days: int = 2) -> date:
    """The first date with this weekday (0 = Monday) at least `at_least_days` from today in Los Angeles."""
    day = datetime.now(LA).date() + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def la(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LA)


@pytest.fixture
def network(session: Session, demo: None) -> None:
    """The demo network with the demo providers' weekly hours."""
    from booking.demo import seed_demo_schedules

    seed_demo_schedules(session=session)


PATIENT = {
    "given_name": "Ana",
    "family_name": "Ruiz",
    "birth_date": "1980-02-03",
    "phone": "(626) 555-0101",
    "email": "ana.ruiz@example.org",
}
