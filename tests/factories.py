"""Small factories for test data; each returns the created row."""

import itertools
from datetime import time

from sqlmodel import Session, select

from accounts import service as accounts_service
from accounts.models import StaffRole, StaffUser
from locations.models import Location, LocationOpeningHours, Provider, Service, ServiceLine

_sequence = itertools.count(1)
TEST_PASSWORD = "correct horse battery staple"


def make_service_line(session: Session, code: str | None = None, **fields: object) -> ServiceLine:
    existing = session.exec(select(ServiceLine).where(ServiceLine.code == code)).first() if code else None
    if existing:
        return existing
    line = ServiceLine(code=code or f"line_{next(_sequence)}", name=str(fields.pop("name", "Line")), **fields)
    session.add(line)
    session.commit()
    return line


def make_service(session: Session, line: ServiceLine | None = None, **fields: object) -> Service:
    line = line or make_service_line(session)
    values: dict[str, object] = {
        "code": f"service_{next(_sequence)}",
        "name": "Visit",
        "duration_minutes": 30,
        "bookable_online": True,
    } | fields
    service = Service(service_line_id=line.id, **values)  # type: ignore[arg-type]
    session.add(service)
    session.commit()
    return service


def make_location(
    session: Session,
    *,
    latitude: float = 34.14,
    longitude: float = -118.03,
    services: list[Service] = (),  # type: ignore[assignment]
    **fields: object,
) -> Location:
    n = next(_sequence)
    values: dict[str, object] = {
        "slug": f"site-{n}",
        "name": f"Site {n}",
        "address_line1": f"{n} Main St",
        "city": "Arcadia",
        "state": "CA",
        "postal_code": "91006",
        "phone": "(626) 555-0100",
        "timezone": "America/Los_Angeles",
    } | fields
    location = Location(latitude=latitude, longitude=longitude, **values)  # type: ignore[arg-type]
    location.services = list(services)
    location.opening_hours = [
        LocationOpeningHours(weekday=day, opens_at=time(8), closes_at=time(17)) for day in range(5)
    ]
    session.add(location)
    session.commit()
    return location


def make_provider(
    session: Session, *, lines: list[ServiceLine], locations: list[Location], **fields: object
) -> Provider:
    provider = Provider(display_name=str(fields.pop("display_name", f"Dr. Test {next(_sequence)}")), **fields)
    provider.service_lines = lines
    provider.locations = locations
    session.add(provider)
    session.commit()
    return provider


def make_staff_user(session: Session, *, role: str = "agent", active: bool = True) -> StaffUser:
    user = StaffUser(
        email=f"staff{next(_sequence)}@example.org",
        full_name="Test Staff",
        role=StaffRole(role),
        password_hash=accounts_service.hash_password(TEST_PASSWORD),
        active=active,
    )
    session.add(user)
    session.commit()
    return user


def auth_headers(user: StaffUser) -> dict[str, str]:
    return {"Authorization": f"Bearer {accounts_service.issue_access_token(user).access_token}"}
