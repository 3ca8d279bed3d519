"""Admin management of when providers work: weekly hours per site, dated exceptions, closures."""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from booking.models import ProviderWorkingHours, ScheduleException, SiteClosure
from booking.schemas import (
    ScheduleExceptionInput,
    ScheduleExceptionPublic,
    SiteClosureInput,
    SiteClosurePublic,
    WeeklySchedule,
    WeeklyScheduleInput,
    WorkingHours,
)
from core.errors import ConflictError, InvalidInputError, NotFoundError
from locations import service as locations_service
from locations.models import Location, ProviderLocation, weekday_code, weekday_index


def get_weekly_schedule(*, session: Session, provider_id: int) -> WeeklySchedule:
    """A provider's weekly working hours at every site."""
    locations_service.get_provider(session=session, provider_id=provider_id)
    rows = session.execute(
        select(ProviderWorkingHours)
        .where(ProviderWorkingHours.provider_id == provider_id)
        .order_by(
            ProviderWorkingHours.location_id, ProviderWorkingHours.weekday, ProviderWorkingHours.starts_at
        )
    ).scalars()
    return WeeklySchedule(
        provider_id=provider_id,
        hours=[
            WorkingHours(
                location_id=row.location_id,
                weekday=weekday_code(row.weekday),  # type: ignore[arg-type]
                starts=row.starts_at,
                ends=row.ends_at,
            )
            for row in rows
        ],
    )


def replace_weekly_schedule(
    *, session: Session, provider_id: int, data: WeeklyScheduleInput
) -> WeeklySchedule:
    """Replace a provider's weekly hours; each interval must be at a site they work at, none overlapping."""
    locations_service.get_provider(session=session, provider_id=provider_id)
    sites = set(
        session.execute(
            select(ProviderLocation.location_id).where(ProviderLocation.provider_id == provider_id)
        )
        .scalars()
        .all()
    )
    by_day: dict[int, list[tuple[int, WorkingHours]]] = {}
    for index, hours in enumerate(data.hours):
        if hours.location_id not in sites:
            raise InvalidInputError.for_field(
                f"hours.{index}.location_id",
                f"the provider does not work at location {hours.location_id}; add the site to them first",
            )
        by_day.setdefault(weekday_index(hours.weekday), []).append((index, hours))
    for intervals in by_day.values():
        intervals.sort(key=lambda pair: pair[1].starts)
        for (_, earlier), (index, later) in zip(intervals, intervals[1:], strict=False):
            if later.starts < earlier.ends:
                raise InvalidInputError.for_field(
                    f"hours.{index}",
                    "overlaps another interval on the same day (a provider is in one place at a time)",
                )
    session.execute(delete(ProviderWorkingHours).where(ProviderWorkingHours.provider_id == provider_id))
    for hours in data.hours:
        session.add(
            ProviderWorkingHours(
                provider_id=provider_id,
                location_id=hours.location_id,
                weekday=weekday_index(hours.weekday),
                starts_at=hours.starts,
                ends_at=hours.ends,
            )
        )
    session.commit()
    return get_weekly_schedule(session=session, provider_id=provider_id)


def present_exception(row: ScheduleException) -> ScheduleExceptionPublic:
    return ScheduleExceptionPublic(
        id=row.id,  # type: ignore[arg-type]
        provider_id=row.provider_id,
        location_id=row.location_id,
        on_date=row.on_date,
        kind=row.kind,  # type: ignore[arg-type]
        starts=row.starts_at,
        ends=row.ends_at,
        note=row.note,
    )


def list_schedule_exceptions(*, session: Session, provider_id: int) -> list[ScheduleExceptionPublic]:
    locations_service.get_provider(session=session, provider_id=provider_id)
    rows = session.execute(
        select(ScheduleException)
        .where(ScheduleException.provider_id == provider_id)
        .order_by(ScheduleException.on_date, ScheduleException.starts_at)
    ).scalars()
    return [present_exception(row) for row in rows]


def add_schedule_exception(
    *, session: Session, provider_id: int, data: ScheduleExceptionInput
) -> ScheduleExceptionPublic:
    """Time off (whole or part of a day, one site or all) or extra hours at a site on a date."""
    locations_service.get_provider(session=session, provider_id=provider_id)
    if data.location_id is not None:
        _require_location(session, data.location_id)
    row = ScheduleException(
        provider_id=provider_id,
        location_id=data.location_id,
        on_date=data.on_date,
        kind=data.kind,
        starts_at=data.starts,
        ends_at=data.ends,
        note=data.note,
    )
    session.add(row)
    session.commit()
    return present_exception(row)


def delete_schedule_exception(*, session: Session, exception_id: int) -> None:
    row = session.get(ScheduleException, exception_id)
    if row is None:
        raise NotFoundError(f"No schedule exception with id {exception_id}.")
    session.delete(row)
    session.commit()


def present_closure(row: SiteClosure) -> SiteClosurePublic:
    return SiteClosurePublic(id=row.id, location_id=row.location_id, on_date=row.on_date, reason=row.reason)  # type: ignore[arg-type]


def list_closures(*, session: Session) -> list[SiteClosurePublic]:
    rows = session.execute(
        select(SiteClosure).order_by(SiteClosure.on_date, SiteClosure.location_id)
    ).scalars()
    return [present_closure(row) for row in rows]


def add_closure(*, session: Session, data: SiteClosureInput) -> SiteClosurePublic:
    """Close one site, or every site, for a whole local day (a holiday)."""
    if data.location_id is not None:
        _require_location(session, data.location_id)
    row = SiteClosure(location_id=data.location_id, on_date=data.on_date, reason=data.reason)
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError("That site is already closed on that date.", slug="duplicate-closure") from None
    return present_closure(row)


def delete_closure(*, session: Session, closure_id: int) -> None:
    row = session.get(SiteClosure, closure_id)
    if row is None:
        raise NotFoundError(f"No closure with id {closure_id}.")
    session.delete(row)
    session.commit()


def _require_location(session: Session, location_id: int) -> None:
    if session.get(Location, location_id) is None:
        raise InvalidInputError.for_field("location_id", f"no location with id {location_id}")
