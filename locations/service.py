"""The practice network's catalogue: service lines, services, sites and providers.

Read functions return API schemas (they know which relationships to load); write functions are
one unit of work each and commit it.
"""

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from core.database import MAX_ROW_ID
from core.errors import InvalidInputError
from locations.exceptions import (
    DuplicateCode,
    LocationNotFound,
    ProviderNotFound,
    ServiceLineNotFound,
    ServiceNotFound,
    UnknownReference,
)
from locations.geocoding import geocode_postal_code
from locations.models import (
    Address,
    Location,
    LocationAdmin,
    LocationCreate,
    LocationOpeningHours,
    LocationUpdate,
    OpeningHours,
    OpeningHoursInput,
    Provider,
    ProviderAdmin,
    ProviderCreate,
    ProviderUpdate,
    Service,
    ServiceAdmin,
    ServiceCreate,
    ServiceLine,
    ServiceLineAdmin,
    ServiceLineCreate,
    ServiceLineUpdate,
    ServiceUpdate,
    weekday_code,
    weekday_index,
)

# --- service lines ------------------------------------------------------------------------------


def present_service_line(line: ServiceLine) -> ServiceLineAdmin:
    return ServiceLineAdmin(code=line.code, name=line.name, description=line.description, active=line.active)


def list_service_lines(*, session: Session, include_inactive: bool = False) -> list[ServiceLineAdmin]:
    query = select(ServiceLine).order_by(ServiceLine.id)
    if not include_inactive:
        query = query.where(ServiceLine.active)
    return [present_service_line(line) for line in session.exec(query)]


def get_service_line(*, session: Session, code: str) -> ServiceLine:
    line = session.exec(select(ServiceLine).where(ServiceLine.code == code)).first()
    if line is None:
        raise ServiceLineNotFound(code)
    return line


def create_service_line(*, session: Session, data: ServiceLineCreate) -> ServiceLineAdmin:
    line = ServiceLine(**data.model_dump())
    _commit_unique(session, line, what="service line", field="code", value=data.code)
    return present_service_line(line)


def update_service_line(*, session: Session, code: str, data: ServiceLineUpdate) -> ServiceLineAdmin:
    line = get_service_line(session=session, code=code)
    for field, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(line, field, value)
    session.add(line)
    session.commit()
    return present_service_line(line)


# --- services -----------------------------------------------------------------------------------


def present_service(service: Service) -> ServiceAdmin:
    return ServiceAdmin(
        code=service.code,
        name=service.name,
        description=service.description,
        service_line=service.service_line.code,
        duration_minutes=service.duration_minutes,
        bookable_online=service.bookable_online,
        slot_step_minutes=service.slot_step_minutes,
        buffer_before_minutes=service.buffer_before_minutes,
        buffer_after_minutes=service.buffer_after_minutes,
        active=service.active,
    )


def list_services(
    *, session: Session, service_line: str | None = None, include_inactive: bool = False
) -> list[ServiceAdmin]:
    """Services, optionally of one service line (an unknown code is a 422 on `service_line`)."""
    query = select(Service).options(selectinload(Service.service_line)).order_by(Service.id)  # type: ignore[arg-type]
    if service_line is not None:
        line = _existing_service_line(
            session, service_line, field="service_line", location="query", active_only=not include_inactive
        )
        query = query.where(Service.service_line_id == line.id)
    if not include_inactive:
        # A deactivated line takes its visit types off the public pages with it.
        query = query.join(ServiceLine).where(Service.active, ServiceLine.active)
    return [present_service(service) for service in session.exec(query)]


def get_service(*, session: Session, code: str) -> Service:
    service = session.exec(select(Service).where(Service.code == code)).first()
    if service is None:
        raise ServiceNotFound(code)
    return service


def create_service(*, session: Session, data: ServiceCreate) -> ServiceAdmin:
    line = _existing_service_line(session, data.service_line, field="service_line")
    service = Service(**data.model_dump(exclude={"service_line"}), service_line_id=line.id)
    _commit_unique(session, service, what="service", field="code", value=data.code)
    return present_service(service)


def update_service(*, session: Session, code: str, data: ServiceUpdate) -> ServiceAdmin:
    service = get_service(session=session, code=code)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "service_line" in changes:
        service.service_line = _existing_service_line(
            session, changes.pop("service_line"), field="service_line"
        )
    for field, value in changes.items():
        setattr(service, field, value)
    session.add(service)
    session.commit()
    return present_service(service)


# --- locations ----------------------------------------------------------------------------------


def _location_query() -> SelectOfScalar[Location]:
    return select(Location).options(
        selectinload(Location.services).selectinload(Service.service_line),  # type: ignore[arg-type]
        selectinload(Location.opening_hours),  # type: ignore[arg-type]
    )


def present_location(location: Location) -> LocationAdmin:
    services = sorted(
        (s for s in location.services if s.active and s.service_line.active), key=lambda s: s.code
    )
    return LocationAdmin(
        id=location.id,  # type: ignore[arg-type]
        slug=location.slug,
        name=location.name,
        address=Address(
            line1=location.address_line1,
            line2=location.address_line2,
            city=location.city,
            state=location.state,
            postal_code=location.postal_code,
        ),
        phone=location.phone,
        timezone=location.timezone,
        latitude=location.latitude,
        longitude=location.longitude,
        services=[s.code for s in services],
        service_lines=sorted({s.service_line.code for s in services}),
        opening_hours=[
            OpeningHours(weekday=weekday_code(h.weekday), opens=h.opens_at, closes=h.closes_at)  # type: ignore[arg-type]
            for h in sorted(location.opening_hours, key=lambda h: (h.weekday, h.opens_at))
        ],
        active=location.active,
    )


def list_locations(*, session: Session, include_inactive: bool = False) -> list[LocationAdmin]:
    query = _location_query().order_by(Location.name)
    if not include_inactive:
        query = query.where(Location.active)
    return [present_location(location) for location in session.exec(query)]


def get_location(*, session: Session, key: str | int, include_inactive: bool = False) -> Location:
    """A location by numeric id or by slug."""
    query = _location_query()
    # ASCII only: str.isdigit() also accepts "²" (which int() refuses) and other scripts' digits.
    if isinstance(key, int) or (key.isascii() and key.isdigit()):
        location_id = int(key)
        if not 1 <= location_id <= MAX_ROW_ID:
            raise LocationNotFound(key)
        query = query.where(Location.id == location_id)
    else:
        query = query.where(Location.slug == key)
    location = session.exec(query).first()
    if location is None or (not location.active and not include_inactive):
        raise LocationNotFound(key)
    return location


def create_location(*, session: Session, data: LocationCreate) -> LocationAdmin:
    """Create a site; without coordinates it is placed at its ZIP code's centroid."""
    _require_both_coordinates_or_neither(
        data.latitude, data.longitude, neither_means="place the site at its ZIP code's centroid"
    )
    latitude, longitude = data.latitude, data.longitude
    if latitude is None or longitude is None:
        point = geocode_postal_code(data.address.postal_code)
        if point is None:
            raise UnknownReference(
                "address.postal_code", "unknown ZIP code; give latitude and longitude instead"
            )
        latitude, longitude = point.latitude, point.longitude
    location = Location(
        slug=data.slug,
        name=data.name,
        phone=data.phone,
        timezone=data.timezone,
        latitude=latitude,
        longitude=longitude,
        active=data.active,
        **_address_columns(data.address),
    )
    location.services = _existing_services(session, data.services)
    location.opening_hours = _opening_hours_rows(data.opening_hours)
    _commit_unique(session, location, what="location", field="slug", value=data.slug)
    return present_location(location)


def update_location(*, session: Session, location_id: int, data: LocationUpdate) -> LocationAdmin:
    _require_both_coordinates_or_neither(
        data.latitude, data.longitude, neither_means="keep the site where it is"
    )
    location = get_location(session=session, key=location_id, include_inactive=True)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "address" in changes:
        changes.pop("address")
        for field, value in _address_columns(data.address).items():  # type: ignore[arg-type]
            setattr(location, field, value)
    if "services" in changes:
        location.services = _existing_services(session, changes.pop("services"))
    if "opening_hours" in changes:
        changes.pop("opening_hours")
        location.opening_hours = _opening_hours_rows(data.opening_hours or [])
    for field, value in changes.items():
        setattr(location, field, value)
    _commit_unique(session, location, what="location", field="slug", value=location.slug)
    return present_location(location)


def _require_both_coordinates_or_neither(
    latitude: float | None, longitude: float | None, *, neither_means: str
) -> None:
    """One coordinate alone is a 422 naming the missing one (a model validator could only say `body`)."""
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        raise InvalidInputError.for_field(
            missing, f"give latitude and longitude together, or neither to {neither_means}"
        )


def _address_columns(address: Address) -> dict[str, str]:
    return {
        "address_line1": address.line1,
        "address_line2": address.line2,
        "city": address.city,
        "state": address.state,
        "postal_code": address.postal_code,
    }


def _opening_hours_rows(hours: list[OpeningHoursInput]) -> list[LocationOpeningHours]:
    return [
        LocationOpeningHours(weekday=weekday_index(h.weekday), opens_at=h.opens, closes_at=h.closes)
        for h in hours
    ]


# --- providers ----------------------------------------------------------------------------------


def present_provider(provider: Provider) -> ProviderAdmin:
    return ProviderAdmin(
        id=provider.id,  # type: ignore[arg-type]
        display_name=provider.display_name,
        credentials=provider.credentials,
        service_lines=sorted(line.code for line in provider.service_lines),
        location_ids=sorted(location.id for location in provider.locations),  # type: ignore[misc]
        active=provider.active,
    )


def list_providers(
    *, session: Session, location_id: int | None = None, include_inactive: bool = False
) -> list[ProviderAdmin]:
    query = (
        select(Provider)
        .options(selectinload(Provider.service_lines), selectinload(Provider.locations))  # type: ignore[arg-type]
        .order_by(Provider.id)
    )
    if not include_inactive:
        query = query.where(Provider.active)
    providers = [present_provider(p) for p in session.exec(query)]
    if location_id is not None:
        providers = [p for p in providers if location_id in p.location_ids]
    return providers


def get_provider(*, session: Session, provider_id: int) -> Provider:
    provider = session.get(Provider, provider_id)
    if provider is None:
        raise ProviderNotFound(provider_id)
    return provider


def create_provider(*, session: Session, data: ProviderCreate) -> ProviderAdmin:
    provider = Provider(display_name=data.display_name, credentials=data.credentials)
    provider.service_lines = _existing_service_lines(session, data.service_lines)
    provider.locations = _existing_locations(session, data.location_ids)
    session.add(provider)
    session.commit()
    return present_provider(provider)


def update_provider(*, session: Session, provider_id: int, data: ProviderUpdate) -> ProviderAdmin:
    provider = get_provider(session=session, provider_id=provider_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "service_lines" in changes:
        provider.service_lines = _existing_service_lines(session, changes.pop("service_lines"))
    if "location_ids" in changes:
        provider.locations = _existing_locations(session, changes.pop("location_ids"))
    for field, value in changes.items():
        setattr(provider, field, value)
    session.add(provider)
    session.commit()
    return present_provider(provider)


# --- shared helpers -----------------------------------------------------------------------------


def _commit_unique(session: Session, entity: object, *, what: str, field: str, value: str) -> None:
    """Commit; a unique-constraint violation becomes a 409 naming the field (race-safe)."""
    session.add(entity)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise DuplicateCode(what, field, value) from None


def _existing_service_line(
    session: Session, code: str, *, field: str, location: str = "body", active_only: bool = False
) -> ServiceLine:
    """The line with this code, or a 422 on `field` listing the known codes (only active ones publicly)."""
    query = select(ServiceLine).where(ServiceLine.code == code)
    known_query = select(ServiceLine.code).order_by(ServiceLine.id)
    if active_only:
        query, known_query = query.where(ServiceLine.active), known_query.where(ServiceLine.active)
    line = session.exec(query).first()
    if line is None:
        known = ", ".join(session.exec(known_query))
        raise UnknownReference(field, f"unknown service line '{code}'; known: {known}", location=location)
    return line


def _existing_service_lines(session: Session, codes: list[str]) -> list[ServiceLine]:
    return [_existing_service_line(session, code, field="service_lines") for code in dict.fromkeys(codes)]


def _existing_services(session: Session, codes: list[str]) -> list[Service]:
    wanted = list(dict.fromkeys(codes))
    found = {s.code: s for s in session.exec(select(Service).where(Service.code.in_(wanted)))}  # type: ignore[attr-defined]
    missing = [code for code in wanted if code not in found]
    if missing:
        raise UnknownReference("services", f"unknown service codes: {', '.join(missing)}")
    return [found[code] for code in wanted]


def _existing_locations(session: Session, location_ids: list[int]) -> list[Location]:
    wanted = list(dict.fromkeys(location_ids))
    found = {loc.id: loc for loc in session.exec(select(Location).where(Location.id.in_(wanted)))}  # type: ignore[union-attr]
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise UnknownReference("location_ids", f"unknown location ids: {', '.join(missing)}")
    return [found[i] for i in wanted]
