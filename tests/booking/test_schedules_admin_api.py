"""Admins set when providers work; the free slots follow."""

import pytest

from tests.booking.conftest import upcoming_weekday
from tests.booking.test_public_booking_api import first_slot

pytestmark = pytest.mark.usefixtures("network")


def slots_on(client, day, **params):
    response = client.get(
        "/v1/availability", params={"service": "pt_evaluation", "start": str(day), "end": str(day)} | params
    )
    return response.json()["slots"]


def provider_and_site(client, admin_headers):
    provider = next(
        p
        for p in client.get("/v1/admin/providers", headers=admin_headers).json()
        if p["display_name"] == "Priya Stonebridge"
    )
    return provider["id"], provider["location_ids"][0]


class TestWorkingHours:
    def test_replacing_the_week_changes_the_slots(self, client, admin_headers):
        provider_id, site = provider_and_site(client, admin_headers)
        hours = [
            {"location_id": site, "weekday": "tue", "starts": "09:00", "ends": "11:00"},
            {"location_id": site, "weekday": "tue", "starts": "14:00", "ends": "16:00"},
        ]
        response = client.put(
            f"/v1/admin/providers/{provider_id}/working-hours", json={"hours": hours}, headers=admin_headers
        )
        assert response.status_code == 200
        assert response.json()["hours"][0] == hours[0]
        tuesday = upcoming_weekday(1)
        starts = [s["start"][11:16] for s in slots_on(client, tuesday, provider=provider_id)]
        assert starts == [
            "09:00",
            "09:15",
            "09:30",
            "09:45",
            "10:00",
            "14:00",
            "14:15",
            "14:30",
            "14:45",
            "15:00",
        ]
        assert slots_on(client, upcoming_weekday(2), provider=provider_id) == []

    @pytest.mark.parametrize(
        "bad",
        [
            {"location_id": 999999, "weekday": "tue", "starts": "09:00", "ends": "11:00"},
            {"location_id": None, "weekday": "someday", "starts": "09:00", "ends": "11:00"},
            {"location_id": None, "weekday": "tue", "starts": "11:00", "ends": "09:00"},
        ],
    )
    def test_bad_hours_are_422(self, client, admin_headers, bad):
        provider_id, site = provider_and_site(client, admin_headers)
        bad = bad | {"location_id": bad["location_id"] or site}
        response = client.put(
            f"/v1/admin/providers/{provider_id}/working-hours", json={"hours": [bad]}, headers=admin_headers
        )
        assert response.status_code == 422

    def test_overlapping_intervals_are_422_and_change_nothing(self, client, admin_headers):
        provider_id, site = provider_and_site(client, admin_headers)
        before = client.get(f"/v1/admin/providers/{provider_id}/working-hours", headers=admin_headers).json()
        hours = [
            {"location_id": site, "weekday": "mon", "starts": "09:00", "ends": "12:00"},
            {"location_id": site, "weekday": "mon", "starts": "11:00", "ends": "13:00"},
        ]
        response = client.put(
            f"/v1/admin/providers/{provider_id}/working-hours", json={"hours": hours}, headers=admin_headers
        )
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "hours.1"
        after = client.get(f"/v1/admin/providers/{provider_id}/working-hours", headers=admin_headers).json()
        assert after == before

    def test_agents_may_not_change_schedules(self, client, agent_headers, admin_headers):
        provider_id, _ = provider_and_site(client, admin_headers)
        response = client.put(
            f"/v1/admin/providers/{provider_id}/working-hours", json={"hours": []}, headers=agent_headers
        )
        assert response.status_code == 403


class TestExceptionsAndClosures:
    def test_time_off_removes_slots_and_deleting_it_restores_them(self, client, admin_headers):
        provider_id, _ = provider_and_site(client, admin_headers)
        tuesday = upcoming_weekday(1)
        full = slots_on(client, tuesday, provider=provider_id)
        created = client.post(
            f"/v1/admin/providers/{provider_id}/exceptions",
            json={"on_date": str(tuesday), "kind": "time_off", "starts": "08:00", "ends": "12:00"},
            headers=admin_headers,
        )
        assert created.status_code == 201
        afternoon = slots_on(client, tuesday, provider=provider_id)
        assert afternoon and all(s["start"][11:16] >= "13:00" for s in afternoon)
        client.delete(f"/v1/admin/schedule-exceptions/{created.json()['id']}", headers=admin_headers)
        assert slots_on(client, tuesday, provider=provider_id) == full

    def test_extra_hours_add_slots_inside_opening_hours(self, client, admin_headers):
        provider_id, site = provider_and_site(client, admin_headers)
        tuesday = upcoming_weekday(1)
        client.post(
            f"/v1/admin/providers/{provider_id}/exceptions",
            json={
                "on_date": str(tuesday),
                "kind": "extra_hours",
                "location_id": site,
                "starts": "12:00",
                "ends": "13:00",
            },
            headers=admin_headers,
        )
        starts = [s["start"][11:16] for s in slots_on(client, tuesday, provider=provider_id)]
        assert "12:00" in starts

    def test_extra_hours_need_a_site_and_times(self, client, admin_headers):
        provider_id, _ = provider_and_site(client, admin_headers)
        response = client.post(
            f"/v1/admin/providers/{provider_id}/exceptions",
            json={"on_date": "2027-01-05", "kind": "extra_hours"},
            headers=admin_headers,
        )
        assert response.status_code == 422

    def test_a_closure_of_every_site_empties_the_day(self, client, admin_headers):
        tuesday = upcoming_weekday(1)
        assert slots_on(client, tuesday)
        created = client.post(
            "/v1/admin/closures", json={"on_date": str(tuesday), "reason": "Holiday"}, headers=admin_headers
        )
        assert created.status_code == 201
        assert slots_on(client, tuesday) == []
        assert [c["reason"] for c in client.get("/v1/admin/closures", headers=admin_headers).json()] == [
            "Holiday"
        ]

    def test_a_closure_of_one_site_keeps_the_others(self, client, admin_headers):
        tuesday = upcoming_weekday(1)
        slot = first_slot(client)
        client.post(
            "/v1/admin/closures",
            json={"on_date": str(tuesday), "location_id": slot["location_id"]},
            headers=admin_headers,
        )
        remaining = slots_on(client, tuesday)
        assert remaining and slot["location_id"] not in {s["location_id"] for s in remaining}
        again = client.post(
            "/v1/admin/closures",
            json={"on_date": str(tuesday), "location_id": slot["location_id"]},
            headers=admin_headers,
        )
        assert again.status_code == 409
