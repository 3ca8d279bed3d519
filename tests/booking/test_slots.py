"""Slot arithmetic as a specification: pure functions, no database.

Dates used: 2027-01-04 and 2027-07-05 are Mondays; America/Los_Angeles springs forward on Sunday
2027-03-14 (02:00 PST -> 03:00 PDT) and falls back on Sunday 2027-11-07 (02:00 PDT -> 01:00 PST).
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from booking.slots import (
    LocalInterval,
    ProviderSiteCalendar,
    SlotRules,
    blocked_interval,
    free_slot_starts,
    local_dates_between,
)

LA = ZoneInfo("America/Los_Angeles")
NEW_YORK = ZoneInfo("America/New_York")
PHOENIX = ZoneInfo("America/Phoenix")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # half-hour daylight saving shift

MONDAY = date(2027, 1, 4)
SPRING_FORWARD = date(2027, 3, 14)
FALL_BACK = date(2027, 11, 7)
WEEKDAYS = range(5)
ALL_DAYS = range(7)


def t(hh_mm: str) -> time:
    return time.fromisoformat(hh_mm)


def iv(start: str, end: str) -> LocalInterval:
    return t(start), t(end)


def minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


def make_calendar(
    weekly: dict[int, list[LocalInterval]] | None = None,
    opening: dict[int, list[LocalInterval]] | None = None,
    zone: ZoneInfo = LA,
    **extra: object,
) -> ProviderSiteCalendar:
    """By default a provider working 09:00-17:00 on weekdays at a site open 08:00-18:00 every day."""
    return ProviderSiteCalendar(
        provider_id=1,
        location_id=1,
        zone=zone,
        weekly_hours=weekly if weekly is not None else {day: [iv("09:00", "17:00")] for day in WEEKDAYS},
        opening_hours=opening if opening is not None else {day: [iv("08:00", "18:00")] for day in ALL_DAYS},
        **extra,
    )


def at(day: date, hh_mm: str, zone: ZoneInfo = LA, fold: int = 0) -> datetime:
    return datetime.combine(day, t(hh_mm), tzinfo=zone).replace(fold=fold)


def day_slots(
    calendar: ProviderSiteCalendar, rules: SlotRules, day: date, last_day: date | None = None
) -> list[datetime]:
    """Slots of whole local days, as the service asks for them."""
    zone = calendar.zone
    window_start = datetime.combine(day, time(0), tzinfo=zone)
    window_end = datetime.combine((last_day or day) + timedelta(days=1), time(0), tzinfo=zone)
    return free_slot_starts(calendar, rules, window_start, window_end)


def wall(slots: list[datetime], zone: ZoneInfo = LA) -> list[str]:
    return [slot.astimezone(zone).strftime("%H:%M") for slot in slots]


def wall_with_zone(slots: list[datetime], zone: ZoneInfo = LA) -> list[str]:
    return [slot.astimezone(zone).strftime("%H:%M %Z") for slot in slots]


def utc(slots: list[datetime]) -> list[str]:
    return [slot.strftime("%H:%MZ") for slot in slots]


HOURLY = SlotRules(duration=minutes(60), step=minutes(60))


class TestPlainDay:
    def test_hourly_visits_fill_the_working_day(self):
        slots = day_slots(make_calendar(), HOURLY, MONDAY)
        assert wall(slots) == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]

    def test_starts_are_utc_aware_and_ascending(self):
        slots = day_slots(
            make_calendar(), SlotRules(duration=minutes(30)), MONDAY, MONDAY + timedelta(days=4)
        )
        assert all(slot.tzinfo is UTC for slot in slots)
        assert slots == sorted(set(slots))
        assert len(slots) == 5 * 31  # 09:00 to 16:30 every 15 minutes, Monday to Friday

    def test_default_step_is_15_minutes(self):
        calendar = make_calendar({0: [iv("09:00", "10:00")]})
        assert wall(day_slots(calendar, SlotRules(duration=minutes(30)), MONDAY)) == [
            "09:00",
            "09:15",
            "09:30",
        ]

    def test_a_day_without_working_hours_has_no_slots(self):
        saturday = MONDAY + timedelta(days=5)
        assert day_slots(make_calendar(), HOURLY, saturday) == []


class TestWorkingIntervals:
    def test_lunch_break_is_a_gap_no_visit_runs_into(self):
        calendar = make_calendar({0: [iv("09:00", "12:00"), iv("13:00", "15:00")]})
        slots = day_slots(calendar, SlotRules(duration=minutes(60), step=minutes(30)), MONDAY)
        assert wall(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00", "13:00", "13:30", "14:00"]

    def test_several_intervals_in_any_order(self):
        calendar = make_calendar({0: [iv("15:00", "16:00"), iv("08:00", "09:00"), iv("11:00", "12:00")]})
        slots = day_slots(calendar, SlotRules(duration=minutes(30), step=minutes(30)), MONDAY)
        assert wall(slots) == ["08:00", "08:30", "11:00", "11:30", "15:00", "15:30"]

    def test_back_to_back_and_overlapping_intervals_join(self):
        calendar = make_calendar({0: [iv("09:00", "10:00"), iv("10:00", "11:00"), iv("10:30", "11:30")]})
        slots = day_slots(calendar, SlotRules(duration=minutes(90), step=minutes(30)), MONDAY)
        assert wall(slots) == ["09:00", "09:30", "10:00"]

    def test_visit_that_does_not_fit_at_the_end_of_an_interval_is_not_offered(self):
        calendar = make_calendar({0: [iv("09:00", "10:00")]})
        slots = day_slots(calendar, SlotRules(duration=minutes(45)), MONDAY)
        assert wall(slots) == ["09:00", "09:15"]

    def test_visit_longer_than_every_interval_has_no_slot(self):
        calendar = make_calendar({0: [iv("09:00", "10:00"), iv("10:30", "11:30")]})
        assert day_slots(calendar, SlotRules(duration=minutes(61)), MONDAY) == []

    def test_opening_hours_clip_the_providers_hours(self):
        calendar = make_calendar(
            {0: [iv("06:00", "20:00")]}, opening={0: [iv("08:00", "12:00"), iv("14:00", "16:00")]}
        )
        slots = day_slots(calendar, HOURLY, MONDAY)
        assert wall(slots) == ["08:00", "09:00", "10:00", "11:00", "14:00", "15:00"]

    def test_provider_hours_on_a_weekday_the_site_is_not_open_give_nothing(self):
        calendar = make_calendar({0: [iv("09:00", "17:00")]}, opening={1: [iv("08:00", "18:00")]})
        assert day_slots(calendar, HOURLY, MONDAY) == []

    def test_interval_that_ends_before_it_starts_is_rejected(self):
        calendar = make_calendar({0: [iv("17:00", "09:00")]})
        with pytest.raises(ValueError, match="must end after it starts"):
            day_slots(calendar, HOURLY, MONDAY)


class TestClosuresAndExceptions:
    def test_site_closure_removes_that_date_only(self):
        tuesday = MONDAY + timedelta(days=1)
        calendar = make_calendar(closed_dates=frozenset({tuesday}))
        slots = day_slots(calendar, HOURLY, MONDAY, tuesday + timedelta(days=1))
        assert {slot.astimezone(LA).date() for slot in slots} == {MONDAY, tuesday + timedelta(days=1)}
        assert len(slots) == 16

    def test_whole_day_off(self):
        calendar = make_calendar(time_off={MONDAY: [None]})
        assert day_slots(calendar, HOURLY, MONDAY) == []

    def test_whole_day_off_beside_partial_entries_still_means_the_whole_day(self):
        calendar = make_calendar(time_off={MONDAY: [iv("09:00", "10:00"), None]})
        assert day_slots(calendar, HOURLY, MONDAY) == []

    def test_partial_time_off_cuts_a_hole(self):
        calendar = make_calendar(time_off={MONDAY: [iv("10:30", "12:00"), iv("15:00", "18:00")]})
        slots = day_slots(calendar, HOURLY, MONDAY)
        assert wall(slots) == ["09:00", "12:00", "13:00", "14:00"]

    def test_time_off_applies_to_its_date_only(self):
        calendar = make_calendar(time_off={MONDAY: [None]})
        assert len(day_slots(calendar, HOURLY, MONDAY + timedelta(days=7))) == 8

    def test_extra_hours_on_a_free_day_are_clipped_by_opening_hours(self):
        saturday = MONDAY + timedelta(days=5)
        calendar = make_calendar(extra_hours={saturday: [iv("07:00", "11:00")]})
        assert wall(day_slots(calendar, HOURLY, saturday)) == ["08:00", "09:00", "10:00"]

    def test_extra_hours_extend_a_working_day(self):
        calendar = make_calendar(extra_hours={MONDAY: [iv("17:00", "19:00")]})
        slots = day_slots(calendar, SlotRules(duration=minutes(120), step=minutes(60)), MONDAY)
        assert wall(slots)[-2:] == ["15:00", "16:00"]  # the visit runs across 17:00 into the extra hours

    def test_time_off_wins_over_extra_hours(self):
        saturday = MONDAY + timedelta(days=5)
        calendar = make_calendar(
            extra_hours={saturday: [iv("09:00", "12:00")]}, time_off={saturday: [iv("10:00", "11:00")]}
        )
        assert wall(day_slots(calendar, HOURLY, saturday)) == ["09:00", "11:00"]


class TestBuffersAndBusy:
    def test_busy_interval_removes_overlapping_starts(self):
        calendar = make_calendar(busy=[(at(MONDAY, "10:30"), at(MONDAY, "11:15"))])
        slots = day_slots(calendar, SlotRules(duration=minutes(30), step=minutes(30)), MONDAY)
        assert "10:00" in wall(slots)
        assert not {"10:30", "11:00"} & set(wall(slots))
        assert "11:30" in wall(slots)

    def test_touching_a_busy_interval_is_allowed(self):
        calendar = make_calendar(busy=[(at(MONDAY, "10:00"), at(MONDAY, "11:00"))])
        assert wall(day_slots(calendar, HOURLY, MONDAY))[:3] == ["09:00", "11:00", "12:00"]

    def test_buffer_after_may_not_overlap_the_next_booking(self):
        rules = SlotRules(duration=minutes(60), step=minutes(60), buffer_after=minutes(10))
        calendar = make_calendar(busy=[(at(MONDAY, "10:00"), at(MONDAY, "11:00"))])
        assert wall(day_slots(calendar, rules, MONDAY))[:2] == ["11:00", "12:00"]

    def test_buffer_before_may_not_overlap_the_previous_booking(self):
        rules = SlotRules(duration=minutes(60), step=minutes(15), buffer_before=minutes(10))
        calendar = make_calendar(
            {0: [iv("09:00", "13:00")]}, busy=[(at(MONDAY, "10:00"), at(MONDAY, "11:00"))]
        )
        assert wall(day_slots(calendar, rules, MONDAY)) == ["09:00", "11:15", "11:30", "11:45", "12:00"]

    def test_buffers_may_stick_out_of_working_hours(self):
        rules = SlotRules(
            duration=minutes(60), step=minutes(60), buffer_before=minutes(30), buffer_after=minutes(30)
        )
        calendar = make_calendar({0: [iv("09:00", "10:00")]})
        assert wall(day_slots(calendar, rules, MONDAY)) == ["09:00"]

    def test_busy_intervals_in_any_order_and_overlapping_each_other(self):
        busy = [
            (at(MONDAY, "15:00"), at(MONDAY, "15:30")),
            (at(MONDAY, "09:00"), at(MONDAY, "12:00")),
            (at(MONDAY, "10:00"), at(MONDAY, "10:30")),  # inside the long one: must not stop the sweep
            (at(MONDAY, "13:00"), at(MONDAY, "13:05")),
        ]
        calendar = make_calendar(busy=busy)
        slots = day_slots(calendar, SlotRules(duration=minutes(30), step=minutes(30)), MONDAY)
        assert wall(slots) == ["12:00", "12:30", "13:30", "14:00", "14:30", "15:30", "16:00", "16:30"]
        assert day_slots(make_calendar(busy=sorted(busy)), SlotRules(duration=minutes(30)), MONDAY) == (
            day_slots(make_calendar(busy=busy[::-1]), SlotRules(duration=minutes(30)), MONDAY)
        )

    def test_busy_intervals_may_be_given_in_any_zone(self):
        busy = [(datetime(2027, 1, 4, 18, tzinfo=UTC), datetime(2027, 1, 4, 14, tzinfo=NEW_YORK))]
        slots = day_slots(make_calendar(busy=busy), HOURLY, MONDAY)
        assert "10:00" not in wall(slots)  # 18:00Z is 10:00 in Los Angeles
        assert len(slots) == 7

    def test_busy_interval_ending_before_it_starts_is_rejected(self):
        calendar = make_calendar(busy=[(at(MONDAY, "11:00"), at(MONDAY, "10:00"))])
        with pytest.raises(ValueError, match="ends before it starts"):
            day_slots(calendar, HOURLY, MONDAY)

    def test_blocked_interval_adds_both_buffers(self):
        rules = SlotRules(duration=minutes(45), buffer_before=minutes(5), buffer_after=minutes(10))
        start = datetime(2027, 1, 4, 17, tzinfo=UTC)
        assert blocked_interval(start, rules) == (
            datetime(2027, 1, 4, 16, 55, tzinfo=UTC),
            datetime(2027, 1, 4, 17, 55, tzinfo=UTC),
        )


class TestStepGrid:
    def test_interval_starting_off_the_15_minute_grid(self):
        calendar = make_calendar({0: [iv("09:05", "10:00")]})
        assert wall(day_slots(calendar, SlotRules(duration=minutes(15)), MONDAY)) == [
            "09:15",
            "09:30",
            "09:45",
        ]

    def test_20_minute_step_from_an_interval_starting_at_08_10(self):
        calendar = make_calendar({0: [iv("08:10", "10:00")]})
        slots = day_slots(calendar, SlotRules(duration=minutes(20), step=minutes(20)), MONDAY)
        assert wall(slots) == ["08:20", "08:40", "09:00", "09:20", "09:40"]

    def test_grid_counts_from_local_midnight_not_from_the_interval(self):
        calendar = make_calendar({0: [iv("09:00", "11:00")]})
        slots = day_slots(calendar, SlotRules(duration=minutes(25), step=minutes(25)), MONDAY)
        assert wall(slots) == [
            "09:10",
            "09:35",
            "10:00",
            "10:25",
        ]  # 550, 575, 600, 625 minutes after midnight

    def test_grid_holds_after_skipping_a_busy_interval(self):
        calendar = make_calendar(
            {0: [iv("09:00", "11:00")]}, busy=[(at(MONDAY, "09:00"), at(MONDAY, "09:50"))]
        )
        slots = day_slots(calendar, SlotRules(duration=minutes(20), step=minutes(20)), MONDAY)
        assert wall(slots) == ["10:00", "10:20", "10:40"]

    def test_zero_step_is_rejected(self):
        with pytest.raises(ValueError, match="positive"):
            day_slots(make_calendar(), SlotRules(duration=minutes(30), step=timedelta(0)), MONDAY)


class TestNoticeAndHorizon:
    def test_earliest_hides_starts_before_it_and_keeps_one_exactly_at_it(self):
        rules = SlotRules(duration=minutes(60), step=minutes(60), earliest=at(MONDAY, "13:00"))
        assert wall(day_slots(make_calendar(), rules, MONDAY)) == ["13:00", "14:00", "15:00", "16:00"]

    def test_earliest_between_grid_points_rounds_up_to_the_next_start(self):
        rules = SlotRules(duration=minutes(60), step=minutes(60), earliest=at(MONDAY, "13:01"))
        assert wall(day_slots(make_calendar(), rules, MONDAY)) == ["14:00", "15:00", "16:00"]

    def test_latest_keeps_a_start_exactly_at_it_and_hides_later_ones(self):
        rules = SlotRules(duration=minutes(60), step=minutes(60), latest=at(MONDAY, "11:00"))
        assert wall(day_slots(make_calendar(), rules, MONDAY)) == ["09:00", "10:00", "11:00"]

    def test_horizon_ends_a_multi_day_window(self):
        tuesday = MONDAY + timedelta(days=1)
        rules = SlotRules(duration=minutes(60), step=minutes(60), latest=at(tuesday, "09:30"))
        slots = day_slots(make_calendar(), rules, MONDAY, MONDAY + timedelta(days=27))
        assert len(slots) == 9
        assert slots[-1] == at(tuesday, "09:00")

    def test_notice_and_horizon_may_be_in_another_zone(self):
        rules = SlotRules(
            duration=minutes(60),
            step=minutes(60),
            earliest=datetime(2027, 1, 4, 13, tzinfo=NEW_YORK),  # 10:00 in Los Angeles
            latest=datetime(2027, 1, 4, 20, tzinfo=UTC),  # 12:00 in Los Angeles
        )
        assert wall(day_slots(make_calendar(), rules, MONDAY)) == ["10:00", "11:00", "12:00"]

    def test_earliest_after_latest_gives_nothing(self):
        rules = SlotRules(duration=minutes(60), earliest=at(MONDAY, "12:00"), latest=at(MONDAY, "11:00"))
        assert day_slots(make_calendar(), rules, MONDAY) == []


class TestWindow:
    def test_start_is_inclusive_and_end_exclusive(self):
        slots = free_slot_starts(make_calendar(), HOURLY, at(MONDAY, "10:00"), at(MONDAY, "13:00"))
        assert wall(slots) == ["10:00", "11:00", "12:00"]

    def test_window_end_may_cut_through_a_visit(self):
        slots = free_slot_starts(make_calendar(), HOURLY, at(MONDAY, "15:30"), at(MONDAY, "16:01"))
        assert wall(slots) == ["16:00"]

    def test_a_utc_day_spans_two_local_dates(self):
        window_start = datetime(2027, 1, 5, tzinfo=UTC)  # Monday 16:00 in Los Angeles
        slots = free_slot_starts(make_calendar(), HOURLY, window_start, window_start + timedelta(days=1))
        assert wall_with_zone(slots) == [
            "16:00 PST",
            "09:00 PST",
            "10:00 PST",
            "11:00 PST",
            "12:00 PST",
            "13:00 PST",
            "14:00 PST",
            "15:00 PST",
        ]
        assert slots[0].astimezone(LA).date() == MONDAY

    def test_empty_or_inverted_window_gives_nothing(self):
        assert free_slot_starts(make_calendar(), HOURLY, at(MONDAY, "12:00"), at(MONDAY, "12:00")) == []
        assert free_slot_starts(make_calendar(), HOURLY, at(MONDAY, "13:00"), at(MONDAY, "12:00")) == []

    def test_local_dates_between_follows_the_sites_zone(self):
        window_start = datetime(2027, 1, 5, tzinfo=UTC)
        window_end = datetime(2027, 1, 6, tzinfo=UTC)
        assert local_dates_between(LA, window_start, window_end) == [date(2027, 1, 4), date(2027, 1, 5)]
        assert local_dates_between(ZoneInfo("UTC"), window_start, window_end) == [date(2027, 1, 5)]
        assert local_dates_between(LA, window_end, window_start) == []

    def test_local_dates_between_an_exact_local_day(self):
        assert local_dates_between(
            LA, at(FALL_BACK, "00:00"), at(FALL_BACK + timedelta(days=1), "00:00")
        ) == [FALL_BACK]

    @pytest.mark.parametrize("which", ["window_start", "window_end", "earliest", "latest", "busy"])
    def test_naive_datetimes_are_rejected(self, which):
        naive = datetime(2027, 1, 4, 12)  # noqa: DTZ001 - the point of the test
        aware = at(MONDAY, "12:00")
        window = {"window_start": at(MONDAY, "00:00"), "window_end": at(MONDAY, "23:00")}
        rules = SlotRules(duration=minutes(30))
        calendar = make_calendar()
        if which in window:
            window[which] = naive
        elif which == "busy":
            calendar = make_calendar(busy=[(naive, aware)])
        else:
            rules = SlotRules(duration=minutes(30), **{which: naive})
        with pytest.raises(ValueError, match="timezone-aware"):
            free_slot_starts(calendar, rules, window["window_start"], window["window_end"])

    def test_naive_datetimes_are_rejected_by_the_helpers(self):
        naive = datetime(2027, 1, 4, 12)  # noqa: DTZ001 - the point of the test
        with pytest.raises(ValueError, match="timezone-aware"):
            blocked_interval(naive, HOURLY)
        with pytest.raises(ValueError, match="timezone-aware"):
            local_dates_between(LA, naive, at(MONDAY, "13:00"))


class TestTimeZones:
    def test_09_00_in_los_angeles_is_17_00_utc_in_january_and_16_00_utc_in_july(self):
        july = date(2027, 7, 5)
        assert utc(day_slots(make_calendar(), HOURLY, MONDAY))[0] == "17:00Z"
        assert utc(day_slots(make_calendar(), HOURLY, july))[0] == "16:00Z"

    def test_phoenix_keeps_09_00_at_16_00_utc_all_year(self):
        calendar = make_calendar(zone=PHOENIX)
        assert utc(day_slots(calendar, HOURLY, MONDAY))[0] == "16:00Z"
        assert utc(day_slots(calendar, HOURLY, date(2027, 7, 5)))[0] == "16:00Z"
        assert len(day_slots(calendar, HOURLY, SPRING_FORWARD - timedelta(days=6))) == 8

    def test_new_york_09_00_is_14_00_utc_in_january_and_13_00_utc_in_july(self):
        calendar = make_calendar(zone=NEW_YORK)
        assert utc(day_slots(calendar, HOURLY, MONDAY))[0] == "14:00Z"
        assert utc(day_slots(calendar, HOURLY, date(2027, 7, 5)))[0] == "13:00Z"

    def test_the_same_schedule_in_two_zones_gives_different_instants(self):
        los_angeles = day_slots(make_calendar(zone=LA), HOURLY, MONDAY)
        new_york = day_slots(make_calendar(zone=NEW_YORK), HOURLY, MONDAY)
        assert wall(los_angeles, LA) == wall(new_york, NEW_YORK)
        assert [b - a for a, b in zip(new_york, los_angeles, strict=True)] == [timedelta(hours=3)] * 8


SUNDAY_NIGHT = {6: [iv("00:00", "06:00")]}
OPEN_ALL_DAY = {day: [iv("00:00", "23:59")] for day in ALL_DAYS}


class TestSpringForward2027:
    """Los Angeles, Sunday 2027-03-14: at 02:00 PST the clock jumps to 03:00 PDT."""

    def test_00_00_to_06_00_holds_five_real_hours_and_no_phantom_02_00(self):
        calendar = make_calendar(SUNDAY_NIGHT, OPEN_ALL_DAY)
        slots = day_slots(calendar, HOURLY, SPRING_FORWARD)
        assert wall_with_zone(slots) == ["00:00 PST", "01:00 PST", "03:00 PDT", "04:00 PDT", "05:00 PDT"]
        assert utc(slots) == ["08:00Z", "09:00Z", "10:00Z", "11:00Z", "12:00Z"]

    def test_quarter_hours_from_01_00_to_04_00(self):
        calendar = make_calendar({6: [iv("01:00", "04:00")]}, OPEN_ALL_DAY)
        slots = day_slots(calendar, SlotRules(duration=minutes(15)), SPRING_FORWARD)
        assert wall(slots) == ["01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30", "03:45"]
        assert len(slots) == 8

    def test_a_visit_may_run_across_the_jump(self):
        calendar = make_calendar({6: [iv("01:00", "04:00")]}, OPEN_ALL_DAY)
        slots = day_slots(calendar, SlotRules(duration=minutes(60), step=minutes(30)), SPRING_FORWARD)
        # 01:30 PST plus one real hour is 03:30 PDT; 02:00 and 02:30 do not exist.
        assert wall_with_zone(slots) == ["01:00 PST", "01:30 PST", "03:00 PDT"]

    def test_interval_starting_inside_the_gap_starts_at_the_jump(self):
        calendar = make_calendar({6: [iv("02:30", "04:00")]}, OPEN_ALL_DAY)
        slots = day_slots(calendar, SlotRules(duration=minutes(30), step=minutes(30)), SPRING_FORWARD)
        assert wall_with_zone(slots) == ["03:00 PDT", "03:30 PDT"]

    def test_interval_ending_inside_the_gap_ends_at_the_jump(self):
        calendar = make_calendar({6: [iv("00:00", "02:30")]}, OPEN_ALL_DAY)
        slots = day_slots(calendar, HOURLY, SPRING_FORWARD)
        assert wall_with_zone(slots) == ["00:00 PST", "01:00 PST"]

    def test_interval_entirely_inside_the_gap_is_empty(self):
        calendar = make_calendar({6: [iv("02:00", "03:00")]}, OPEN_ALL_DAY)
        assert day_slots(calendar, SlotRules(duration=minutes(5), step=minutes(5)), SPRING_FORWARD) == []

    def test_days_either_side_use_their_own_offset(self):
        calendar = make_calendar({day: [iv("09:00", "10:00")] for day in ALL_DAYS})
        slots = day_slots(
            calendar, HOURLY, SPRING_FORWARD - timedelta(days=1), SPRING_FORWARD + timedelta(days=1)
        )
        assert [slot.isoformat() for slot in slots] == [
            "2027-03-13T17:00:00+00:00",
            "2027-03-14T16:00:00+00:00",
            "2027-03-15T16:00:00+00:00",
        ]


class TestFallBack2027:
    """Los Angeles, Sunday 2027-11-07: at 02:00 PDT the clock goes back to 01:00 PST."""

    def test_00_00_to_06_00_holds_seven_real_hours_with_both_01_00s(self):
        calendar = make_calendar(SUNDAY_NIGHT, OPEN_ALL_DAY)
        slots = day_slots(calendar, HOURLY, FALL_BACK)
        assert wall_with_zone(slots) == [
            "00:00 PDT",
            "01:00 PDT",
            "01:00 PST",
            "02:00 PST",
            "03:00 PST",
            "04:00 PST",
            "05:00 PST",
        ]
        assert utc(slots) == ["07:00Z", "08:00Z", "09:00Z", "10:00Z", "11:00Z", "12:00Z", "13:00Z"]

    def test_half_hours_from_01_00_to_04_00_repeat_the_repeated_hour(self):
        calendar = make_calendar({6: [iv("01:00", "04:00")]}, OPEN_ALL_DAY)
        slots = day_slots(calendar, SlotRules(duration=minutes(30), step=minutes(30)), FALL_BACK)
        assert wall_with_zone(slots) == [
            "01:00 PDT",
            "01:30 PDT",
            "01:00 PST",
            "01:30 PST",
            "02:00 PST",
            "02:30 PST",
            "03:00 PST",
            "03:30 PST",
        ]
        assert len(set(slots)) == 8
        assert all(b - a == minutes(30) for a, b in zip(slots, slots[1:], strict=False))

    def test_a_repeated_wall_time_means_its_first_occurrence(self):
        calendar = make_calendar({6: [iv("00:00", "01:30")]}, OPEN_ALL_DAY)
        slots = day_slots(calendar, SlotRules(duration=minutes(30), step=minutes(30)), FALL_BACK)
        assert wall_with_zone(slots) == ["00:00 PDT", "00:30 PDT", "01:00 PDT"]

    def test_a_45_minute_grid_is_kept_on_the_wall_clock_in_both_halves(self):
        calendar = make_calendar({6: [iv("00:00", "04:00")]}, OPEN_ALL_DAY)
        slots = day_slots(calendar, SlotRules(duration=minutes(30), step=minutes(45)), FALL_BACK)
        assert wall_with_zone(slots) == [
            "00:00 PDT",
            "00:45 PDT",
            "01:30 PDT",
            "01:30 PST",
            "02:15 PST",
            "03:00 PST",
        ]

    def test_busy_time_in_the_first_01_00_leaves_the_second_free(self):
        busy = [(at(FALL_BACK, "01:00", fold=0), at(FALL_BACK, "01:00", fold=1))]
        calendar = make_calendar(SUNDAY_NIGHT, OPEN_ALL_DAY, busy=busy)
        slots = day_slots(calendar, HOURLY, FALL_BACK)
        assert wall_with_zone(slots)[:3] == ["00:00 PDT", "01:00 PST", "02:00 PST"]
        assert len(slots) == 6

    def test_days_either_side_use_their_own_offset(self):
        calendar = make_calendar({day: [iv("09:00", "10:00")] for day in ALL_DAYS})
        slots = day_slots(calendar, HOURLY, FALL_BACK - timedelta(days=1), FALL_BACK + timedelta(days=1))
        assert utc(slots) == ["16:00Z", "17:00Z", "17:00Z"]

    def test_new_york_falls_back_on_the_same_sunday(self):
        calendar = make_calendar(SUNDAY_NIGHT, OPEN_ALL_DAY, zone=NEW_YORK)
        slots = day_slots(calendar, HOURLY, FALL_BACK)
        assert wall_with_zone(slots, NEW_YORK)[1:3] == ["01:00 EDT", "01:00 EST"]
        assert len(slots) == 7


class TestTransitionsAtMidnight:
    """Havana changes its clocks at midnight: 2027-03-14 has no 00:00, and 2027-11-07 has two."""

    HAVANA = ZoneInfo("America/Havana")

    def test_a_day_whose_midnight_does_not_exist_starts_at_01_00(self):
        calendar = make_calendar(SUNDAY_NIGHT, OPEN_ALL_DAY, zone=self.HAVANA)
        slots = day_slots(calendar, HOURLY, SPRING_FORWARD)
        assert wall_with_zone(slots, self.HAVANA) == [
            "01:00 CDT",
            "02:00 CDT",
            "03:00 CDT",
            "04:00 CDT",
            "05:00 CDT",
        ]
        assert local_dates_between(self.HAVANA, slots[0], slots[-1]) == [SPRING_FORWARD]

    def test_a_day_with_two_midnights_holds_both(self):
        calendar = make_calendar({6: [iv("00:00", "02:00")]}, OPEN_ALL_DAY, zone=self.HAVANA)
        slots = day_slots(calendar, HOURLY, FALL_BACK - timedelta(days=1), FALL_BACK)
        assert wall_with_zone(slots, self.HAVANA) == ["00:00 CDT", "00:00 CST", "01:00 CST"]


# --- property: a minute-by-minute brute force agrees ---------------------------------------------

PROPERTY_ZONES = [LA, NEW_YORK, PHOENIX, LORD_HOWE, ZoneInfo("UTC")]
PROPERTY_DATES = [
    date(2027, 3, 13),
    SPRING_FORWARD,
    FALL_BACK - timedelta(days=1),
    FALL_BACK,
    date(2027, 4, 4),  # Lord Howe goes back half an hour
    date(2027, 10, 3),  # Lord Howe goes forward half an hour
    date(2027, 6, 15),
]
DST_ZONES = [LA, NEW_YORK, LORD_HOWE]
DST_DATES = [SPRING_FORWARD, FALL_BACK, date(2027, 4, 4), date(2027, 10, 3)]
MINUTE = timedelta(minutes=1)


def _minute_interval(pair: list[int]) -> LocalInterval:
    start, end = sorted(pair)
    return time(start * 5 // 60, start * 5 % 60), time(end * 5 // 60, end * 5 % 60)


# Interval boundaries in five-minute units (0 = 00:00 ... 287 = 23:55), so every interval lies inside one
# day; often on half hours, so that intervals touch and boundaries sit on the grid.
ANY_TIME_OF_DAY = st.one_of(st.integers(0, 47).map(lambda n: n * 6), st.integers(0, 287))
# 00:00 to 06:00, where the DST jumps are, so that boundaries land in gaps and repeated hours.
SMALL_HOURS = st.one_of(st.integers(0, 12).map(lambda n: n * 6), st.integers(0, 72))


def _intervals(marks: st.SearchStrategy[int]) -> st.SearchStrategy[LocalInterval]:
    return st.lists(marks, min_size=2, max_size=2, unique=True).map(_minute_interval)


@st.composite
def scenarios(
    draw: st.DrawFn, dst_nights: bool = False
) -> tuple[ProviderSiteCalendar, SlotRules, datetime, datetime]:
    """Random calendars over one to three days; with `dst_nights`, one transition day's small hours."""
    local_interval = _intervals(SMALL_HOURS if dst_nights else ANY_TIME_OF_DAY)
    local_intervals = st.lists(local_interval, max_size=3)
    zone = draw(st.sampled_from(DST_ZONES if dst_nights else PROPERTY_ZONES))
    first_day = draw(st.sampled_from(DST_DATES if dst_nights else PROPERTY_DATES))
    days = [first_day + timedelta(days=n) for n in range(1 if dst_nights else draw(st.integers(1, 3)))]
    # Aware arithmetic in a ZoneInfo zone is wall-clock arithmetic; instants must step in UTC.
    midnight = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    last_midnight = datetime.combine(days[-1], time(0), tzinfo=zone).astimezone(UTC)
    window_start = midnight + draw(st.one_of(st.just(0), st.integers(-24, 72))) * 5 * MINUTE
    window_end = last_midnight + draw(st.integers(0, 300)) * 5 * MINUTE
    some_days = st.sets(st.sampled_from(days), max_size=2)
    time_off = {
        day: draw(st.lists(st.one_of(st.none(), local_interval), max_size=2)) for day in draw(some_days)
    }
    instants = st.one_of(st.integers(-10, 100).map(lambda n: n * 6), st.integers(-60, 600)).map(
        lambda n: midnight + n * 5 * MINUTE
    )
    busy = []
    for _ in range(draw(st.integers(0, 6))):
        busy_from = draw(instants)
        busy.append((busy_from, busy_from + draw(st.integers(1, 48)) * 5 * MINUTE))
    calendar = ProviderSiteCalendar(
        provider_id=1,
        location_id=1,
        zone=zone,
        weekly_hours={
            day: draw(st.lists(local_interval, min_size=dst_nights, max_size=3)) for day in ALL_DAYS
        },
        opening_hours={
            day: [iv("00:00", "23:55")]
            if dst_nights
            else draw(st.one_of(st.just([iv("00:00", "23:55")]), local_intervals))
            for day in ALL_DAYS
        },
        closed_dates=frozenset()
        if dst_nights
        else frozenset(draw(st.sets(st.sampled_from(days), max_size=1))),
        extra_hours={day: draw(local_intervals) for day in draw(some_days)},
        time_off=time_off,
        busy=draw(st.permutations(busy)),
    )
    rules = SlotRules(
        duration=draw(st.sampled_from([5, 15, 20, 30, 45, 60, 90])) * MINUTE,
        step=draw(st.sampled_from([5, 10, 15, 20, 25, 30, 45, 60])) * MINUTE,
        buffer_before=draw(st.sampled_from([0, 5, 15])) * MINUTE,
        buffer_after=draw(st.sampled_from([0, 10, 30])) * MINUTE,
        earliest=draw(st.one_of(st.none(), instants)),
        latest=draw(st.one_of(st.none(), instants)),
    )
    return calendar, rules, window_start, window_end


def _local_minute_set(intervals: list[LocalInterval | None]) -> set[int]:
    minutes_of_day: set[int] = set()
    for interval in intervals:
        assert interval is not None
        start, end = interval
        minutes_of_day.update(range(start.hour * 60 + start.minute, end.hour * 60 + end.minute))
    return minutes_of_day


def _day_instants(zone: ZoneInfo, day: date) -> list[tuple[datetime, int]]:
    """Every whole-minute instant whose local date is `day`, with its wall-clock minute of day."""
    around = datetime.combine(day, time(0), tzinfo=UTC)
    instants = []
    for n in range(-15 * 60, 39 * 60):
        instant = around + n * MINUTE
        local = instant.astimezone(zone)
        if local.date() == day:
            instants.append((instant, local.hour * 60 + local.minute))
    return instants


def _absolute_runs(
    instants: list[tuple[datetime, int]], allowed: set[int]
) -> list[tuple[datetime, datetime]]:
    """Each run [a, b) of allowed wall minutes as [first instant reading >= a, first instant reading >= b)."""

    def first_reading(wall_minute: int) -> datetime:
        return next(instant for instant, reading in instants if reading >= wall_minute)

    runs = []
    for minute in sorted(allowed):
        if minute - 1 not in allowed:
            end = minute
            while end in allowed:
                end += 1
            runs.append((first_reading(minute), first_reading(end)))
    return [(start, end) for start, end in runs if start < end]


def _within(start: datetime, end: datetime, runs: list[tuple[datetime, datetime]]) -> bool:
    return any(run_start <= start and end <= run_end for run_start, run_end in runs)


def _brute_force(
    calendar: ProviderSiteCalendar, rules: SlotRules, window_start: datetime, window_end: datetime
) -> tuple[list[datetime], dict[date, tuple[list, list, list]]]:
    """The expected slots by walking every minute, and per date the (working, opening, both) runs."""
    zone = calendar.zone
    step_minutes = rules.step // MINUTE
    expected = []
    runs_by_date = {}
    last_day = (window_end - MINUTE).astimezone(zone).date()
    day = window_start.astimezone(zone).date()
    while day <= last_day and window_start < window_end:
        off = calendar.time_off.get(day, [])
        working: set[int] = set()
        if day not in calendar.closed_dates and None not in off:
            working = _local_minute_set([*calendar.weekly_hours.get(day.weekday(), [])])
            working |= _local_minute_set([*calendar.extra_hours.get(day, [])])
            working -= _local_minute_set(off)
        opening = _local_minute_set([*calendar.opening_hours.get(day.weekday(), [])])
        instants = _day_instants(zone, day)
        both = _absolute_runs(instants, working & opening)
        runs_by_date[day] = (_absolute_runs(instants, working), _absolute_runs(instants, opening), both)
        for start, reading in instants:
            end = start + rules.duration
            blocked_from, blocked_until = start - rules.buffer_before, end + rules.buffer_after
            if (
                reading % step_minutes == 0
                and window_start <= start < window_end
                and (rules.earliest is None or start >= rules.earliest)
                and (rules.latest is None or start <= rules.latest)
                and _within(start, end, both)
                and not any(
                    b_from < blocked_until and blocked_from < b_until for b_from, b_until in calendar.busy
                )
            ):
                expected.append(start)
        day += timedelta(days=1)
    return expected, runs_by_date


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_every_slot_obeys_the_rules_and_none_is_missing(scenario):
    check_against_brute_force(*scenario)


@settings(max_examples=150, deadline=None)
@given(scenarios(dst_nights=True))
def test_every_slot_obeys_the_rules_and_none_is_missing_on_dst_nights(scenario):
    check_against_brute_force(*scenario)


def check_against_brute_force(
    calendar: ProviderSiteCalendar, rules: SlotRules, window_start: datetime, window_end: datetime
) -> None:
    slots = free_slot_starts(calendar, rules, window_start, window_end)
    expected, runs_by_date = _brute_force(calendar, rules, window_start, window_end)

    assert all(a < b for a, b in zip(slots, slots[1:], strict=False)), "strictly increasing"
    for start in slots:
        assert start.tzinfo is UTC
        local = start.astimezone(calendar.zone)
        end = start + rules.duration
        working, opening, _ = runs_by_date[local.date()]
        assert local.date() not in calendar.closed_dates
        assert _within(start, end, working), f"{local} outside working hours"
        assert _within(start, end, opening), f"{local} outside opening hours"
        assert (local.hour * 60 + local.minute) % (rules.step // MINUTE) == 0 and local.second == 0, (
            "off grid"
        )
        blocked_from, blocked_until = blocked_interval(start, rules)
        for busy_from, busy_until in calendar.busy:
            assert not (busy_from < blocked_until and blocked_from < busy_until), f"{local} overlaps busy"
    assert slots == expected
