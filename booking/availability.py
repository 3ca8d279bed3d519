"""Free slots: loads every calendar a query touches in a handful of queries, then lets the pure
slot arithmetic (booking/slots.py) derive the slots.

    service + sites (+ provider)  ->  (provider, site) pairs able to give that service
        weekly hours, opening hours, closures, exceptions, busy intervals: one query each
    -> ProviderSiteCalendar per pair -> free_slot_starts() -> merged, sorted, limited

Cost grows linearly with pairs x days; no query runs per pair or per day. The endpoint's body
(`free_slots_json`) is kept across requests in booking/slot_cache.py while the calendar revision
it was computed at is the database's; `search_free_slots` is the same search, never cached.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from booking import slot_cache
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
from core.errors import AppError, InvalidInputError
from core.settings import Settings, get_settings
from locations import service as locations_service
from locations.geocoding import GeoPoint, resolve_near
from locations.models import (
    Location,
    LocationOpeningHours,
    LocationService,
    Provider,
    ProviderLocation,
    ProviderServiceLine,
    Service,
    ServiceLine,
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
    scan = _free_starts(
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
    zones = scan.zones
    return [
        FoundSlot(slot_start, slot_start + duration, location_id, provider_id, zones[location_id])
        for slot_start, location_id, provider_id in scan.found
    ]


# (start, location id, provider id): plain tuples sort in C in the order the API promises, and
# cost a fraction of an object per slot when a call finds tens of thousands.
_FreeStart = tuple[datetime, int, int]


class _Scan(NamedTuple):
    found: list[_FreeStart]  # sorted by (start, location, provider)
    zones: dict[int, ZoneInfo]  # each location's
    # False when a limit stopped the scan: then `found` holds every start from the window's
    # beginning up to its last one, and none after.
    complete: bool
    first_hold_expiry: datetime | None  # the first live hold among the busy times to run out


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
    rules: SlotRules | None = None,
) -> _Scan:
    """Free starts sorted by (start, location, provider), and each location's zone; with a limit,
    the first `limit` of them (or a few more). `rules` default to the service's at `now`."""
    rules = rules or slot_rules_for(service, now=now)
    pairs = _provider_site_pairs(session, service=service, location_ids=location_ids, provider_id=provider_id)
    if not pairs:
        return _Scan([], {}, True, None)
    zones = {location_id: ZoneInfo(tz) for location_id, tz in {(p[1], p[2]) for p in pairs}}
    windows = {
        location_id: (start.resolve(zone, is_end=False), end.resolve(zone, is_end=True))
        for location_id, zone in zones.items()
    }
    overall_start = max(min(w[0] for w in windows.values()), rules.earliest or now)
    overall_end = min(max(w[1] for w in windows.values()), (rules.latest or now) + timedelta(seconds=1))
    if overall_start >= overall_end:
        return _Scan([], zones, True, None)
    calendars, first_hold_expiry = _load_calendars(
        session,
        pairs=pairs,
        zones=zones,
        window=(overall_start - timedelta(days=1), overall_end + timedelta(days=1)),
        now=now,
        include_busy=include_busy,
    )
    if limit is None:
        every = _starts_between(calendars, windows, rules, overall_start, overall_end)
        return _Scan(every, zones, True, first_hold_expiry)
    # A capped search stops once it has `limit` starts. It scans the window in consecutive passes,
    # one day first, then as many days as that day's yield says are still needed (doubling while
    # nothing is found), so 1,000 providers asked for 10,000 slots cost a day's work, not four
    # weeks'. Every start of a later pass is later than all of an earlier one's: passes concatenate.
    found: list[_FreeStart] = []
    pass_start, pass_end = overall_start, min(overall_end, overall_start + FIRST_PASS)
    while True:
        found.extend(_starts_between(calendars, windows, rules, pass_start, pass_end))
        if len(found) >= limit or pass_end >= overall_end:
            return _Scan(found, zones, pass_end >= overall_end, first_hold_expiry)
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
) -> tuple[list[ProviderSiteCalendar], datetime | None]:
    """Each pair's calendar, and the first live hold among the busy times to expire (if any)."""
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
    busy_query = select(
        Appointment.provider_id,
        Appointment.blocked_from,
        Appointment.blocked_until,
        Appointment.hold_expires_at,
    ).where(
        col(Appointment.provider_id).in_(provider_ids),
        col(Appointment.status).in_(BLOCKING_STATUSES),
        or_(Appointment.status != AppointmentStatus.held, col(Appointment.hold_expires_at) > now),
        Appointment.blocked_from < window[1],
        Appointment.blocked_until > window[0],
    )
    # A hold frees its time when it runs out, with no write: what was computed from it is good
    # until then. (Only held rows carry an expiry; booking one clears it.)
    first_hold_expiry: datetime | None = None
    for provider_id, blocked_from, blocked_until, hold_expires_at in (
        session.execute(busy_query) if include_busy else ()
    ):
        busy[provider_id].append((blocked_from, blocked_until))
        if hold_expires_at is not None and (first_hold_expiry is None or hold_expires_at < first_hold_expiry):
            first_hold_expiry = hold_expires_at

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
    return calendars, first_hold_expiry


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


@dataclass(frozen=True)
class _Search:
    """A free-slot query checked and resolved against the database: what to scan."""

    service: Service
    start: TimeBound
    end: TimeBound
    location_ids: list[int] | None  # None: every site
    distances: dict[int, float]  # miles to each site, with `near`


def _resolve_search(
    session: Session,
    *,
    service_code: str,
    location: str | None,
    near: str | None,
    origin: GeoPoint | None,
    start: str | None,
    end: str | None,
    radius_miles: float | None,
    partner: Partner | None,
    now: datetime,
) -> _Search:
    """The query's service, window and sites; the first thing wrong with it as a domain error.
    `origin` is `near` already resolved, if the caller has done that."""
    service = session.execute(select(Service).where(Service.code == service_code)).scalar()
    if service is None or not service.active:
        raise InvalidInputError.for_field("service", f"unknown service '{service_code}'", location="query")
    partners_service.check_service_allowed(
        session=session, partner=partner, service=service, location="query"
    )
    start_bound, end_bound = _window_bounds(start, end, now=now)

    location_ids: list[int] | None = None
    distances: dict[int, float] = {}
    if location is not None:
        location_ids = [locations_service.get_location(session=session, key=location).id]  # type: ignore[list-item]
    if near is not None:
        nearest = nearest_site_ids(
            session,
            origin or resolve_near(near),
            site_filter=SiteFilter(service_id=service.id),
            radius_miles=radius_miles or DEFAULT_RADIUS_MILES,
            limit=NEAREST_SITES_FOR_SLOTS,
        )
        distances = {site_id: round(miles, 1) for site_id, miles in nearest}
        location_ids = [i for i in distances if location_ids is None or i in location_ids]
    elif radius_miles is not None:
        raise InvalidInputError.for_field("radius_miles", "needs `near`", location="query")
    return _Search(service, start_bound, end_bound, location_ids, distances)


def _window_bounds(start: str | None, end: str | None, *, now: datetime) -> tuple[TimeBound, TimeBound]:
    start_bound = parse_time_bound(start, field="start", default=now)
    end_bound = parse_time_bound(
        end, field="end", default=(start_bound.instant or now) + timedelta(days=DEFAULT_WINDOW_DAYS)
    )
    _check_window(start_bound, end_bound)
    return start_bound, end_bound


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
    now = utc_now()
    search = _resolve_search(
        session,
        service_code=service_code,
        location=location,
        near=near,
        origin=None,
        start=start,
        end=end,
        radius_miles=radius_miles,
        partner=partner,
        now=now,
    )
    scan = _free_starts(
        session,
        service=search.service,
        location_ids=search.location_ids,
        provider_id=provider_id,
        start=search.start,
        end=search.end,
        include_busy=True,
        now=now,
        limit=limit,
    )
    return _slot_dicts(search, scan.zones, _by_distance(scan.found, search.distances)[:limit])


def _by_distance(found: list[_FreeStart], distances: dict[int, float]) -> list[_FreeStart]:
    if distances:
        found.sort(key=lambda s: (s[0], distances[s[1]], s[1], s[2]))
    return found


def _slot_dicts(search: _Search, zones: dict[int, ZoneInfo], found: list[_FreeStart]) -> list[dict[str, Any]]:
    code = search.service.code
    duration = timedelta(minutes=search.service.duration_minutes)
    distances = search.distances
    return [
        {
            "start": _local_iso(slot_start, zones[location_id]),
            "end": _local_iso(slot_start + duration, zones[location_id]),
            "service": code,
            "location_id": location_id,
            "provider_id": provider_id,
            "distance_miles": distances.get(location_id),
        }
        for slot_start, location_id, provider_id in found
    ]


def _json_bytes(value: Any) -> bytes:
    """`value` encoded exactly as Starlette's JSONResponse encodes it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode(
        "utf-8"
    )


def free_slots_json(
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
) -> bytes:
    """`{"slots": search_free_slots(...)}` encoded, byte for byte; kept across requests while no
    write has changed the calendar revision and no hold among its busy times has run out."""
    query = {
        "service_code": service_code,
        "location": location,
        "near": near,
        "provider_id": provider_id,
        "start": start,
        "end": end,
        "radius_miles": radius_miles,
        "partner": partner,
    }
    cache = slot_cache.cache_for(session)
    if cache is None:
        return _json_bytes({"slots": search_free_slots(session, limit=limit, **query)})
    settings = get_settings()
    now = utc_now()
    try:
        # What the key needs, checked first; anything wrong is raised by the uncached search instead,
        # after whatever it checks before (an unknown service, a location that is not there).
        origin = resolve_near(near) if near is not None else None
        start_bound, end_bound = _window_bounds(start, end, now=now)
    except AppError:
        return _json_bytes({"slots": search_free_slots(session, limit=limit, **query)})
    # Everything else the slots depend on is in the database (the revision) or the clock (`now`).
    key = (
        service_code,
        location,
        provider_id,
        start,
        end,
        radius_miles,
        (origin.latitude, origin.longitude) if origin is not None else None,
        settings.min_notice_minutes,
        settings.booking_horizon_days,
        settings.slot_cache_max_age_seconds,
    )
    service_lines = partner.service_lines if partner is not None else ()

    def cached(now: datetime) -> bytes | None:
        low, high = _serving_bounds(start_bound, end_bound, now=now, settings=settings)
        revision = slot_cache.current_revision(session)
        return cache.serve(
            key, revision=revision, now=now, low=low, high=high, limit=limit, service_lines=service_lines
        )

    body = cached(now)
    if body is not None:
        return body
    with cache.computing(key):
        now = utc_now()
        body = cached(now)  # computed meanwhile by the request this one waited for
        if body is None:
            entry = _compute_entry(
                session, query=query, origin=origin, limit=limit, now=now, settings=settings
            )
            cache.put(key, entry)
            body = entry.body(*_serving_bounds(start_bound, end_bound, now=now, settings=settings), limit)
    assert body is not None, "an entry computed for this limit serves it"
    return body


def _serving_bounds(
    start: TimeBound, end: TimeBound, *, now: datetime, settings: Settings
) -> tuple[datetime, datetime]:
    """[low, high) for slot starts at `now`: the minimum notice and the horizon (which a cache entry
    does not apply), and the window when its ends are instants (dates are per site: applied already)."""
    low = now + timedelta(minutes=settings.min_notice_minutes)
    high = now + timedelta(days=settings.booking_horizon_days) + timedelta(microseconds=1)
    if start.instant is not None:
        low = max(low, start.instant)
    if end.instant is not None:
        high = min(high, end.instant)
    return low, high


def _compute_entry(
    session: Session,
    *,
    query: dict[str, Any],
    origin: GeoPoint | None,
    limit: int,
    now: datetime,
    settings: Settings,
) -> slot_cache.CachedSlots:
    """The search's slots for the cache: everything it could be asked for until the entry expires."""
    # First, so that what follows is at least as new as the revision it is filed under.
    revision = slot_cache.revision_in_transaction(session)
    search = _resolve_search(
        session,
        origin=origin,
        now=now,
        **{name: value for name, value in query.items() if name != "provider_id"},
    )
    max_age = timedelta(seconds=settings.slot_cache_max_age_seconds)
    rules = slot_rules_for(search.service, now=now)
    assert rules.latest is not None
    # The minimum notice only moves later, so slots from today's earliest on serve every later
    # request; the horizon moves later too, so take it as far as the entry can live.
    rules = replace(rules, latest=rules.latest + max_age)
    end = search.end
    if query["end"] is None and (query["start"] is None or search.start.instant is None):
        assert end.instant is not None
        end = TimeBound(instant=end.instant + max_age)  # "a week from now" moves with the clock too
    scan = _free_starts(
        session,
        service=search.service,
        location_ids=search.location_ids,
        provider_id=query["provider_id"],
        start=search.start,
        end=end,
        include_busy=True,
        now=now,
        limit=limit,
        rules=rules,
    )
    found = _by_distance(scan.found, search.distances)
    service_line = session.get(ServiceLine, search.service.service_line_id)
    assert service_line is not None
    expires_at = now + max_age
    if scan.first_hold_expiry is not None:
        expires_at = min(expires_at, scan.first_hold_expiry)
    return slot_cache.new_entry(
        revision=revision,
        computed_at=now,
        expires_at=expires_at,
        starts=[slot[0] for slot in found],
        slots_json=_json_bytes(_slot_dicts(search, scan.zones, found)),
        complete=scan.complete,
        service_line=service_line.code,
    )


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
