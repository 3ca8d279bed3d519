"""Free slots: loads every calendar a query touches in a handful of queries, then lets the pure
slot arithmetic (booking/slots.py) derive the slots.

    service + sites (+ provider)  ->  (provider, site) pairs able to give that service
        weekly hours, opening hours, closures, exceptions, busy intervals: one query each
    -> ProviderSiteCalendar per pair -> free_slot_starts() -> merged, sorted, limited

Cost grows linearly with pairs x days; no query runs per pair or per day.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from booking.models import (
    BLOCKING_STATUSES,
    Appointment,
    AppointmentStatus,
    ExceptionKind,
    ProviderWorkingHours,
    ScheduleException,
    SiteClosure,
)
from booking.slots import LocalInterval, ProviderSiteCalendar, SlotRules, free_slot_starts
from core.database import utc_now
from core.errors import InvalidInputError
from core.settings import get_settings
from locations import service as locations_service
from locations.geocoding import resolve_near
from locations.models import (
    Location,
    LocationOpeningHours,
    LocationService,
    Provider,
    ProviderLocation,
    ProviderServiceLine,
    Service,
)
from locations.nearest import SiteFilter, nearest_site_ids
from partners import service as partners_service
from partners.models import Partner

MAX_WINDOW_DAYS = 120


@dataclass(frozen=True)
class TimeBound:
    """A query's `start` or `end`: an instant, or a local date read in each site's own zone."""

    instant: datetime | None = None
    local_date: date | None = None

    def resolve(self, zone: ZoneInfo, *, is_end: bool) -> datetime:
        if self.instant is not None:
            return self.instant
        assert self.local_date is not None
        day = self.local_date + timedelta(days=1) if is_end else self.local_date
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


class FoundSlot(NamedTuple):  # built by the hundred thousand: a tuple costs a third of a dataclass
    start: datetime
    end: datetime
    location_id: int
    provider_id: int
    zone: ZoneInfo


def slot_rules_for(service: Service, *, now: datetime | None = None) -> SlotRules:
    settings = get_settings()
    now = now or utc_now()
    return SlotRules(
        duration=timedelta(minutes=service.duration_minutes),
        step=timedelta(minutes=service.slot_step_minutes),
        buffer_before=timedelta(minutes=service.buffer_before_minutes),
        buffer_after=timedelta(minutes=service.buffer_after_minutes),
        earliest=now + timedelta(minutes=settings.min_notice_minutes),
        latest=now + timedelta(days=settings.booking_horizon_days),
    )


def find_free_slots(
    session: Session,
    *,
    service: Service,
    location_ids: list[int] | None,
    provider_id: int | None,
    start: TimeBound,
    end: TimeBound,
    include_busy: bool = True,
    now: datetime | None = None,
) -> list[FoundSlot]:
    """Every free slot of `service` in the window at the given sites (all when None), by start."""
    found, zones = _free_starts(
        session,
        service=service,
        location_ids=location_ids,
        provider_id=provider_id,
        start=start,
        end=end,
        include_busy=include_busy,
        now=now or utc_now(),
    )
    duration = timedelta(minutes=service.duration_minutes)
    return [
        FoundSlot(slot_start, slot_start + duration, location_id, provider_id, zones[location_id])
        for slot_start, location_id, provider_id in found
    ]


# (start, location id, provider id): plain tuples sort in C in the order the API promises, and
# cost a fraction of an object per slot when a call finds tens of thousands.
_FreeStart = tuple[datetime, int, int]


def _free_starts(
    session: Session,
    *,
    service: Service,
    location_ids: list[int] | None,
    provider_id: int | None,
    start: TimeBound,
    end: TimeBound,
    include_busy: bool,
    now: datetime,
    limit: int | None = None,
) -> tuple[list[_FreeStart], dict[int, ZoneInfo]]:
    """Free starts sorted by (start, location, provider), and each location's zone; with a limit,
    the first `limit` of them (or a few more)."""
    rules = slot_rules_for(service, now=now)
    pairs = _provider_site_pairs(session, service=service, location_ids=location_ids, provider_id=provider_id)
    if not pairs:
        return [], {}
    zones = {location_id: ZoneInfo(tz) for location_id, tz in {(p[1], p[2]) for p in pairs}}
    windows = {
        location_id: (start.resolve(zone, is_end=False), end.resolve(zone, is_end=True))
        for location_id, zone in zones.items()
    }
    overall_start = max(min(w[0] for w in windows.values()), rules.earliest or now)
    overall_end = min(max(w[1] for w in windows.values()), (rules.latest or now) + timedelta(seconds=1))
    if overall_start >= overall_end:
        return [], zones
    calendars = _load_calendars(
        session,
        pairs=pairs,
        zones=zones,
        window=(overall_start - timedelta(days=1), overall_end + timedelta(days=1)),
        now=now,
        include_busy=include_busy,
    )
    if limit is None:
        return _starts_between(calendars, windows, rules, overall_start, overall_end), zones
    # A capped search stops once it has `limit` starts. It scans the window in consecutive passes,
    # one day first, then as many days as that day's yield says are still needed (doubling while
    # nothing is found), so 1,000 providers asked for 10,000 slots cost a day's work, not four
    # weeks'. Every start of a later pass is later than all of an earlier one's: passes concatenate.
    found: list[_FreeStart] = []
    pass_start, pass_end = overall_start, min(overall_end, overall_start + FIRST_PASS)
    while True:
        found.extend(_starts_between(calendars, windows, rules, pass_start, pass_end))
        if len(found) >= limit or pass_end >= overall_end:
            return found, zones
        scanned = (pass_end - overall_start).total_seconds()
        wanted = scanned * (limit - len(found)) / len(found) * 1.25 if found else scanned
        length = max(FIRST_PASS.total_seconds(), wanted)
        remaining = (overall_end - pass_end).total_seconds()
        pass_start = pass_end
        pass_end = overall_end if length >= remaining else pass_end + timedelta(seconds=length)


FIRST_PASS = timedelta(days=1)


def _starts_between(
    calendars: list[ProviderSiteCalendar],
    windows: dict[int, tuple[datetime, datetime]],
    rules: SlotRules,
    low: datetime,
    high: datetime,
) -> list[_FreeStart]:
    """Every calendar's free starts in its own window and in [low, high), sorted."""
    found: list[_FreeStart] = []
    for calendar in calendars:
        window_start, window_end = windows[calendar.location_id]
        window_start, window_end = max(window_start, low), min(window_end, high)
        if window_start >= window_end:
            continue
        location_id, provider_id = calendar.location_id, calendar.provider_id
        found.extend(
            [
                (slot_start, location_id, provider_id)
                for slot_start in free_slot_starts(calendar, rules, window_start, window_end)
            ]
        )
    found.sort()
    return found


@lru_cache(maxsize=1 << 16)
def _local_iso(instant: datetime, zone: ZoneInfo) -> str:
    """An instant in ISO 8601 with the zone's offset. Slots of many providers share their starts
    and ends, and the same calls repeat, so each is formatted once rather than once per slot."""
    return instant.astimezone(zone).isoformat()


def _provider_site_pairs(
    session: Session, *, service: Service, location_ids: list[int] | None, provider_id: int | None
) -> list[tuple[int, int, str]]:
    """(provider id, location id, site zone) of active providers able to give `service` there."""
    query = (
        select(ProviderLocation.provider_id, ProviderLocation.location_id, Location.timezone)
        .join(Provider, Provider.id == ProviderLocation.provider_id)
        .join(Location, Location.id == ProviderLocation.location_id)
        .join(
            ProviderServiceLine,
            and_(
                ProviderServiceLine.provider_id == ProviderLocation.provider_id,
                ProviderServiceLine.service_line_id == service.service_line_id,
            ),
        )
        .join(
            LocationService,
            and_(
                LocationService.location_id == ProviderLocation.location_id,
                LocationService.service_id == service.id,
            ),
        )
        .where(Provider.active, Location.active)
        .order_by(ProviderLocation.location_id, ProviderLocation.provider_id)
    )
    if location_ids is not None:
        query = query.where(col(ProviderLocation.location_id).in_(location_ids))
    if provider_id is not None:
        query = query.where(ProviderLocation.provider_id == provider_id)
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def _load_calendars(
    session: Session,
    *,
    pairs: list[tuple[int, int, str]],
    zones: dict[int, ZoneInfo],
    window: tuple[datetime, datetime],
    now: datetime,
    include_busy: bool,
) -> list[ProviderSiteCalendar]:
    provider_ids = sorted({p[0] for p in pairs})
    location_ids = sorted(zones)
    first_date, last_date = window[0].date() - timedelta(days=1), window[1].date() + timedelta(days=1)

    weekly: dict[tuple[int, int], dict[int, list[LocalInterval]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(
        select(
            ProviderWorkingHours.provider_id,
            ProviderWorkingHours.location_id,
            ProviderWorkingHours.weekday,
            ProviderWorkingHours.starts_at,
            ProviderWorkingHours.ends_at,
        ).where(
            col(ProviderWorkingHours.provider_id).in_(provider_ids),
            col(ProviderWorkingHours.location_id).in_(location_ids),
        )
    ):
        weekly[(row[0], row[1])][row[2]].append((row[3], row[4]))

    opening: dict[int, dict[int, list[LocalInterval]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(
        select(
            LocationOpeningHours.location_id,
            LocationOpeningHours.weekday,
            LocationOpeningHours.opens_at,
            LocationOpeningHours.closes_at,
        ).where(col(LocationOpeningHours.location_id).in_(location_ids))
    ):
        opening[row[0]][row[1]].append((row[2], row[3]))

    closed_everywhere: set[date] = set()
    closed: dict[int, set[date]] = defaultdict(set)
    for location_id, on_date in session.execute(
        select(SiteClosure.location_id, SiteClosure.on_date).where(
            or_(col(SiteClosure.location_id).in_(location_ids), col(SiteClosure.location_id).is_(None)),
            col(SiteClosure.on_date).between(first_date, last_date),
        )
    ):
        (closed_everywhere if location_id is None else closed[location_id]).add(on_date)

    extra: dict[tuple[int, int], dict[date, list[LocalInterval]]] = defaultdict(lambda: defaultdict(list))
    time_off: dict[tuple[int, int | None], dict[date, list[LocalInterval | None]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for exception in session.execute(
        select(ScheduleException).where(
            col(ScheduleException.provider_id).in_(provider_ids),
            col(ScheduleException.on_date).between(first_date, last_date),
        )
    ).scalars():
        interval = (
            (exception.starts_at, exception.ends_at)
            if exception.starts_at is not None and exception.ends_at is not None
            else None
        )
        if exception.kind == ExceptionKind.extra_hours and interval and exception.location_id:
            extra[(exception.provider_id, exception.location_id)][exception.on_date].append(interval)
        elif exception.kind == ExceptionKind.time_off:
            time_off[(exception.provider_id, exception.location_id)][exception.on_date].append(interval)

    busy: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    busy_query = select(Appointment.provider_id, Appointment.blocked_from, Appointment.blocked_until).where(
        col(Appointment.provider_id).in_(provider_ids),
        col(Appointment.status).in_(BLOCKING_STATUSES),
        or_(Appointment.status != AppointmentStatus.held, col(Appointment.hold_expires_at) > now),
        Appointment.blocked_from < window[1],
        Appointment.blocked_until > window[0],
    )
    for provider_id, blocked_from, blocked_until in session.execute(busy_query) if include_busy else ():
        busy[provider_id].append((blocked_from, blocked_until))

    calendars = []
    for provider_id, location_id, _tz in pairs:
        provider_off: dict[date, list[LocalInterval | None]] = defaultdict(list)
        for key in ((provider_id, location_id), (provider_id, None)):
            for day, intervals in time_off.get(key, {}).items():
                provider_off[day].extend(intervals)
        calendars.append(
            ProviderSiteCalendar(
                provider_id=provider_id,
                location_id=location_id,
                zone=zones[location_id],
                weekly_hours=dict(weekly.get((provider_id, location_id), {})),
                opening_hours=dict(opening.get(location_id, {})),
                closed_dates=frozenset(closed_everywhere | closed.get(location_id, set())),
                extra_hours=dict(extra.get((provider_id, location_id), {})),
                time_off=dict(provider_off),
                busy=busy.get(provider_id, []),
            )
        )
    return calendars


def parse_time_bound(value: str | None, *, field: str, default: datetime) -> TimeBound:
    """A query parameter that is a date (YYYY-MM-DD, in each site's zone) or an instant with offset."""
    if value is None:
        return TimeBound(instant=default)
    text = value.strip()
    try:
        if len(text) == 10:
            return TimeBound(local_date=date.fromisoformat(text))
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError.for_field(
            field,
            "use a date (2027-01-15) or a time with offset (2027-01-15T09:00:00-08:00)",
            location="query",
        ) from None
    if instant.tzinfo is None:
        raise InvalidInputError.for_field(
            field, "add a UTC offset (e.g. -08:00 or Z) or give a date only", location="query"
        )
    return TimeBound(instant=instant.astimezone(UTC))


DEFAULT_WINDOW_DAYS = 7
DEFAULT_RADIUS_MILES = 50.0
NEAREST_SITES_FOR_SLOTS = 25


def search_free_slots(
    session: Session,
    *,
    service_code: str,
    location: str | None = None,
    near: str | None = None,
    provider_id: int | None = None,
    start: str | None = None,
    end: str | None = None,
    radius_miles: float | None = None,
    limit: int = 500,
    partner: Partner | None = None,
) -> list[dict[str, Any]]:
    """Free slots of a service as JSON-ready dicts: sorted by start, then distance when `near` is given."""
    service = session.execute(select(Service).where(Service.code == service_code)).scalar()
    if service is None or not service.active:
        raise InvalidInputError.for_field("service", f"unknown service '{service_code}'", location="query")
    partners_service.check_service_allowed(
        session=session, partner=partner, service=service, location="query"
    )
    now = utc_now()
    start_bound = parse_time_bound(start, field="start", default=now)
    end_bound = parse_time_bound(
        end, field="end", default=(start_bound.instant or now) + timedelta(days=DEFAULT_WINDOW_DAYS)
    )
    _check_window(start_bound, end_bound)

    location_ids: list[int] | None = None
    distances: dict[int, float] = {}
    if location is not None:
        location_ids = [locations_service.get_location(session=session, key=location).id]  # type: ignore[list-item]
    if near is not None:
        origin = resolve_near(near)
        nearest = nearest_site_ids(
            session,
            origin,
            site_filter=SiteFilter(service_id=service.id),
            radius_miles=radius_miles or DEFAULT_RADIUS_MILES,
            limit=NEAREST_SITES_FOR_SLOTS,
        )
        distances = {site_id: round(miles, 1) for site_id, miles in nearest}
        location_ids = [i for i in distances if location_ids is None or i in location_ids]
    elif radius_miles is not None:
        raise InvalidInputError.for_field("radius_miles", "needs `near`", location="query")

    found, zones = _free_starts(
        session,
        service=service,
        location_ids=location_ids,
        provider_id=provider_id,
        start=start_bound,
        end=end_bound,
        include_busy=True,
        now=now,
        limit=limit,
    )
    if distances:
        found.sort(key=lambda s: (s[0], distances[s[1]], s[1], s[2]))
    code = service.code
    duration = timedelta(minutes=service.duration_minutes)
    return [
        {
            "start": _local_iso(slot_start, zones[location_id]),
            "end": _local_iso(slot_start + duration, zones[location_id]),
            "service": code,
            "location_id": location_id,
            "provider_id": slot_provider_id,
            "distance_miles": distances.get(location_id),
        }
        for slot_start, location_id, slot_provider_id in found[:limit]
    ]


def _check_window(start: TimeBound, end: TimeBound) -> None:
    first = start.instant.date() if start.instant else start.local_date
    last = end.instant.date() if end.instant else end.local_date
    assert first is not None and last is not None
    if last < first or (start.instant and end.instant and end.instant <= start.instant):
        raise InvalidInputError.for_field("end", "must be after start", location="query")
    if (last - first).days > MAX_WINDOW_DAYS:
        raise InvalidInputError.for_field(
            "end", f"a window may span at most {MAX_WINDOW_DAYS} days", location="query"
        )


# Widening windows: most sites have a slot within a week, so the common case scans 7 days.
NEXT_AVAILABLE_WINDOWS_DAYS = (7, 28)


def next_available_by_location(
    session: Session, *, service_code: str, location_ids: list[int], now: datetime | None = None
) -> dict[int, datetime]:
    """The first free start of a service at each of these sites (in the site's zone), if any."""
    service = session.execute(select(Service).where(Service.code == service_code)).scalar()
    if service is None or not location_ids:
        return {}
    now = now or utc_now()
    horizon_days = get_settings().booking_horizon_days
    found: dict[int, datetime] = {}
    window_start = now
    for days in (*NEXT_AVAILABLE_WINDOWS_DAYS, horizon_days):
        missing = [i for i in location_ids if i not in found]
        window_end = now + timedelta(days=min(days, horizon_days) + 1)
        if not missing or window_start >= window_end:
            break
        for slot in find_free_slots(
            session,
            service=service,
            location_ids=missing,
            provider_id=None,
            start=TimeBound(instant=window_start),
            end=TimeBound(instant=window_end),
            now=now,
        ):
            found.setdefault(slot.location_id, slot.start.astimezone(slot.zone))
        window_start = window_end
    return found
