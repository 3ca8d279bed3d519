"""Free appointment slots from schedules: pure arithmetic, no database, no I/O.

How one provider's free slots at one site are derived, for each local date d (in the site's zone)
that overlaps the window:

    d in closed_dates?  -> nothing that day
    weekly_hours[weekday(d)] + extra_hours[d]     the provider's working intervals, merged
                                                  (back-to-back intervals join into one)
        - time_off[d]                             a None entry means the whole day off
        & opening_hours[weekday(d)]               the site must be open
        |
        |  local wall clock -> absolute instants, with this date's UTC offset(s) in the zone
        v
    absolute working intervals [A, B)
        |
        |  starts on the step grid of local wall-clock time counted from local midnight,
        |  whose whole visit [start, start + duration) fits inside one interval
        v
    candidate starts
        - blocked [start - buffer_before, start + duration + buffer_after) overlaps a busy interval
          (half-open, so touching is fine; buffers may stick out of working hours)
        - start outside [window_start, window_end), before `earliest` or after `latest`
        v
    ascending UTC datetimes

Daylight saving. A local time that occurs twice (the fall-back hour) means its first occurrence,
for interval starts and ends alike, so adjacent intervals still tile exactly and 00:00-06:00 on a
fall-back day holds 7 real hours with both 01:00s as separate slots. A local time that does not
exist (the spring-forward gap) is clamped to the transition instant, so 02:30-04:00 starts at
03:00 and 00:00-06:00 holds 5 real hours. Slots are stepped in absolute time within each stretch
of constant UTC offset, so a gap produces no phantom slot and a repeated hour loses none. The
zone is assumed to change its offset at most once per local day (true of every US zone).

Callers: add durations to UTC datetimes, not to datetimes in a ZoneInfo zone; Python does aware
arithmetic in one zone on the wall clock: on spring-forward day 00:00 + 3 hours is 03:00 PDT, two
real hours later.

Cost. Everything runs on integer microseconds since the epoch. The zone is consulted only to build
one small frame per (zone, date), cached across calls; busy intervals are sorted and merged once
and swept with a single forward pointer, and each run of free starts between two busy intervals is
emitted in one go, so the work grows linearly with days x slots.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add
from zoneinfo import ZoneInfo

__all__ = [
    "LocalInterval",
    "ProviderSiteCalendar",
    "SlotRules",
    "blocked_interval",
    "free_slot_starts",
    "local_dates_between",
]

# Local wall-clock [start, end) within one day; end > start always (an interval never reaches midnight).
LocalInterval = tuple[time, time]


@dataclass(frozen=True)
class ProviderSiteCalendar:
    """Everything that decides when one provider can see patients at one site."""

    provider_id: int
    location_id: int
    zone: ZoneInfo  # the site's time zone
    # The provider's working intervals at this site per weekday (0 = Monday); several a day, so a
    # lunch break is a gap.
    weekly_hours: dict[int, list[LocalInterval]]
    opening_hours: dict[int, list[LocalInterval]]  # the site's, per weekday
    closed_dates: frozenset[date] = frozenset()  # site closures, whole local days
    extra_hours: dict[date, list[LocalInterval]] = field(default_factory=dict)
    time_off: dict[date, list[LocalInterval | None]] = field(default_factory=dict)  # None: the whole day
    # Aware [from, until) already blocked by active appointments and live holds, their buffers included;
    # any order, overlaps allowed.
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)


@dataclass(frozen=True)
class SlotRules:
    duration: timedelta
    step: timedelta = timedelta(minutes=15)  # on the local wall clock, counted from local midnight
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    earliest: datetime | None = None  # aware; no slot starts before it (now + minimum notice)
    latest: datetime | None = None  # aware; no slot starts after it (now + booking horizon)


_US = timedelta(microseconds=1)
_DAY = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Micro-of-day intervals [start, end) on one local date; sorted, disjoint, never touching.
_Walls = list[tuple[int, int]]
# (instant of the local midnight read as if it were UTC, ((from, until, utc_offset), ...)):
# the stretches of constant UTC offset that make up one local date, in absolute microseconds.
_DayFrame = tuple[int, tuple[tuple[int, int, int], ...]]


def blocked_interval(start: datetime, rules: SlotRules) -> tuple[datetime, datetime]:
    """[start - buffer_before, start + duration + buffer_after): what a booking at `start` occupies."""
    _require_aware(start, "start")
    return start - rules.buffer_before, start + rules.duration + rules.buffer_after


def local_dates_between(zone: ZoneInfo, window_start: datetime, window_end: datetime) -> list[date]:
    """Every local date in `zone` that overlaps [window_start, window_end)."""
    _require_aware(window_start, "window_start")
    _require_aware(window_end, "window_end")
    return _local_dates(zone, _to_us(window_start), _to_us(window_end))


def free_slot_starts(
    calendar: ProviderSiteCalendar, rules: SlotRules, window_start: datetime, window_end: datetime
) -> list[datetime]:
    """UTC-aware starts of every free slot with window_start <= start < window_end, ascending."""
    _require_aware(window_start, "window_start")
    _require_aware(window_end, "window_end")
    duration = rules.duration // _US
    step_delta = rules.step
    step = step_delta // _US
    before = rules.buffer_before // _US
    after = rules.buffer_after // _US
    if duration <= 0 or step <= 0:
        raise ValueError("duration and step must be positive")
    if before < 0 or after < 0:
        raise ValueError("buffers must not be negative")

    # Every start s must satisfy low <= s < high.
    low = _to_us(window_start)
    high = _to_us(window_end)
    if rules.earliest is not None:
        _require_aware(rules.earliest, "earliest")
        low = max(low, _to_us(rules.earliest))
    if rules.latest is not None:
        _require_aware(rules.latest, "latest")
        high = min(high, _to_us(rules.latest) + 1)
    busy_from, busy_until = _merged_busy(calendar.busy)
    if low >= high:
        return []

    zone = calendar.zone
    weekly: dict[int, _Walls] = {}
    busy_count = len(busy_from)
    b = 0
    starts: list[datetime] = []
    for day in _local_dates(zone, low, high):
        if day in calendar.closed_dates:
            continue
        walls = _working_walls(calendar, day, weekly)
        if not walls:
            continue
        frame = _day_frame(zone, day)
        wall_midnight, stretches = frame
        for wall_from, wall_until in walls:
            first = max(_instant(frame, wall_from), low)
            last = min(_instant(frame, wall_until) - duration, high - 1)
            if first > last:
                continue
            for stretch_from, stretch_until, offset in stretches:
                lo = max(first, stretch_from)
                hi = min(last, stretch_until - 1)
                if lo > hi:
                    continue
                # The grid is fixed on the wall clock, which within one stretch is the instant + offset.
                shift = offset - wall_midnight
                s = -(-(lo + shift) // step) * step - shift
                while s <= hi:
                    blocked_from = s - before
                    while b < busy_count and busy_until[b] <= blocked_from:
                        b += 1
                    # Busy intervals before b end before this start's buffer, so every start up to
                    # the one whose visit and buffer end exactly where busy b begins is free.
                    free_until = hi if b == busy_count else min(hi, busy_from[b] - duration - after)
                    if s <= free_until:
                        count = (free_until - s) // step + 1
                        # Adding the step to the previous datetime is ten times cheaper than building
                        # each one from an integer.
                        run_start = _EPOCH + timedelta(microseconds=s)
                        starts.extend(accumulate(repeat(step_delta, count - 1), add, initial=run_start))
                        s += count * step
                    else:
                        # Jump to the first grid start whose buffer clears busy b.
                        s = -(-(busy_until[b] + before + shift) // step) * step - shift
    return starts


# --- local wall-clock intervals -----------------------------------------------------------------


def _working_walls(calendar: ProviderSiteCalendar, day: date, weekly: dict[int, _Walls]) -> _Walls:
    weekday = day.weekday()
    extra = calendar.extra_hours.get(day)
    off = calendar.time_off.get(day)
    if not extra and not off:
        # Most days are plain weekdays: compute each weekday's result once per call.
        if weekday not in weekly:
            weekly[weekday] = _intersect(
                _merge(calendar.weekly_hours.get(weekday, ())),
                _merge(calendar.opening_hours.get(weekday, ())),
            )
        return weekly[weekday]
    if off and any(interval is None for interval in off):
        return []
    working = _merge([*calendar.weekly_hours.get(weekday, ()), *(extra or ())])
    if off:
        working = _subtract(working, _merge(interval for interval in off if interval is not None))
    return _intersect(working, _merge(calendar.opening_hours.get(weekday, ())))


def _wall(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000 + moment.microsecond


def _merge(intervals: Iterable[LocalInterval]) -> _Walls:
    walls = []
    for start, end in intervals:
        wall_start, wall_end = _wall(start), _wall(end)
        if wall_end <= wall_start:
            raise ValueError(f"interval {start}-{end} must end after it starts, on the same day")
        walls.append((wall_start, wall_end))
    walls.sort()
    merged: _Walls = []
    for start_us, end_us in walls:
        # Touching intervals join: a visit may run across the seam of two back-to-back shifts.
        if merged and start_us <= merged[-1][1]:
            if end_us > merged[-1][1]:
                merged[-1] = (merged[-1][0], end_us)
        else:
            merged.append((start_us, end_us))
    return merged


def _intersect(left: _Walls, right: _Walls) -> _Walls:
    result: _Walls = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


def _subtract(keep: _Walls, remove: _Walls) -> _Walls:
    result: _Walls = []
    j = 0
    for start, end in keep:
        while j < len(remove) and remove[j][1] <= start:
            j += 1
        k = j
        while k < len(remove) and remove[k][0] < end:
            if remove[k][0] > start:
                result.append((start, remove[k][0]))
            start = max(start, remove[k][1])
            k += 1
        if start < end:
            result.append((start, end))
    return result


# --- wall clock to absolute time ----------------------------------------------------------------


def _instant(frame: _DayFrame, wall: int) -> int:
    """The first instant of the day whose wall clock reads `wall` or later."""
    wall_midnight, stretches = frame
    for stretch_from, stretch_until, offset in stretches:
        candidate = wall_midnight + wall - offset
        if candidate < stretch_from:
            # The wall time fell in a gap before this stretch: clamp to where the clock jumped.
            return stretch_from
        if candidate < stretch_until:
            return candidate
    return stretches[-1][1] if stretches else wall_midnight


@lru_cache(maxsize=8192)
def _day_frame(zone: ZoneInfo, day: date) -> _DayFrame:
    wall_midnight = (day.toordinal() - _EPOCH_ORDINAL) * _DAY
    start = _midnight_instant(zone, day)
    end = _midnight_instant(zone, day + timedelta(days=1))
    if end <= start:  # a date the zone skipped entirely (Pacific/Apia, 2011-12-30)
        return wall_midnight, ()
    first_offset = _offset_at(zone, start)
    last_offset = _offset_at(zone, end - 1)
    if first_offset == last_offset:
        return wall_midnight, ((start, end, first_offset),)
    change = _first_instant_with_offset(zone, start, end - 1, last_offset)
    return wall_midnight, ((start, change, first_offset), (change, end, last_offset))


def _midnight_instant(zone: ZoneInfo, day: date) -> int:
    local = datetime.combine(day, time(0), tzinfo=zone)
    instant = _to_us(local)
    if (_EPOCH + timedelta(microseconds=instant)).astimezone(zone).replace(tzinfo=None) == local.replace(
        tzinfo=None
    ):
        return instant
    # Midnight does not exist that day (the clock jumped over it): the day starts at the jump.
    # With fold=1 zoneinfo applies the offset from after the jump, which lands before it.
    return _first_instant_with_offset(zone, _to_us(local.replace(fold=1)), instant, _offset_at(zone, instant))


def _offset_at(zone: ZoneInfo, instant: int) -> int:
    offset = (_EPOCH + timedelta(microseconds=instant)).astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always knows its offset for an aware instant
    return offset // _US


def _first_instant_with_offset(zone: ZoneInfo, low: int, high: int, offset: int) -> int:
    """The first instant in (low, high] with `offset`, given low lacks it and high has it."""
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(zone, middle) == offset:
            high = middle
        else:
            low = middle
    return high


# --- helpers --------------------------------------------------------------------------------------


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {moment.isoformat()}")


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _US


def _local_dates(zone: ZoneInfo, low: int, high: int) -> list[date]:
    if high <= low:
        return []
    first = (_EPOCH + timedelta(microseconds=low)).astimezone(zone).date()
    last = (_EPOCH + timedelta(microseconds=high - 1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _merged_busy(busy: list[tuple[datetime, datetime]]) -> tuple[list[int], list[int]]:
    """Busy intervals sorted and coalesced, so their ends ascend too and one pointer can sweep them."""
    intervals = []
    for busy_from, busy_until in busy:
        _require_aware(busy_from, "busy start")
        _require_aware(busy_until, "busy end")
        start, end = _to_us(busy_from), _to_us(busy_until)
        if end < start:
            raise ValueError(f"busy interval {busy_from.isoformat()} ends before it starts")
        if end > start:
            intervals.append((start, end))
    intervals.sort()
    starts: list[int] = []
    ends: list[int] = []
    for start, end in intervals:
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends
