"""The call-center console's API: book for a caller, find patients, day sheets, outcomes, history."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from booking.models import Appointment
from tests.booking.conftest import PATIENT, upcoming_weekday
from tests.booking.test_public_booking_api import book, first_slot, slot_body

pytestmark = pytest.mark.usefixtures("network")


def staff_book(client, headers, slot, **extra):
    return client.post("/v1/staff/appointments", json=slot_body(slot) | extra, headers=headers)


class TestStaffAccess:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", "/v1/staff/patients?name=ruiz"),
            ("post", "/v1/staff/appointments"),
            ("get", "/v1/staff/locations/glendale/day-sheet?date=2027-01-05"),
            ("post", "/v1/staff/appointments/abc/cancel"),
        ],
    )
    def test_without_a_login_is_401(self, client, method, path):
        response = client.request(method, path, json={})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


class TestBookForCaller:
    def test_agent_books_any_visit_type_by_phone_and_is_recorded(self, client, agent_headers):
        slot = first_slot(client, service="epidural_steroid_injection")
        response = staff_book(client, agent_headers, slot, patient=PATIENT, reason="after consult")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["channel"] == "phone" and body["confirmation_code"]
        audit = client.get(f"/v1/staff/appointments/{body['id']}/audit", headers=agent_headers).json()
        assert audit[0]["action"] == "appointment.booked"
        assert audit[0]["channel"] == "phone" and audit[0]["actor"].startswith("staff:")

    def test_booking_for_an_existing_patient_by_id(self, client, agent_headers):
        first = book(client, first_slot(client)).json()
        patient = client.get("/v1/staff/patients", params={"name": "ana ruiz"}, headers=agent_headers).json()[
            0
        ]
        slot = first_slot(client, service="pain_consultation")
        response = staff_book(client, agent_headers, slot, patient_id=patient["id"])
        assert response.status_code == 201
        appointments = client.get(
            f"/v1/staff/patients/{patient['id']}/appointments", headers=agent_headers
        ).json()
        assert {a["id"] for a in appointments} == {first["id"], response.json()["id"]}

    def test_patient_and_patient_id_together_is_422(self, client, agent_headers):
        response = staff_book(client, agent_headers, first_slot(client), patient=PATIENT, patient_id=1)
        assert response.status_code == 422


class TestFindPatients:
    def test_by_name_birth_date_or_phone_ending(self, client, agent_headers):
        book(client, first_slot(client))
        for params in ({"name": "RUIZ"}, {"name": "an"}, {"birth_date": "1980-02-03"}, {"phone": "0101"}):
            found = client.get("/v1/staff/patients", params=params, headers=agent_headers).json()
            assert [p["family_name"] for p in found] == ["Ruiz"], params
        none = client.get(
            "/v1/staff/patients", params={"name": "ruiz", "birth_date": "1990-01-01"}, headers=agent_headers
        )
        assert none.json() == []

    def test_without_criteria_is_422(self, client, agent_headers):
        assert client.get("/v1/staff/patients", headers=agent_headers).status_code == 422

    def test_a_returning_patient_is_one_record(self, client, agent_headers):
        book(client, first_slot(client))
        book(client, first_slot(client, service="pain_consultation"))
        found = client.get("/v1/staff/patients", params={"name": "ruiz"}, headers=agent_headers).json()
        assert len(found) == 1


class TestDaySheet:
    def test_lists_the_days_appointments_by_provider(self, client, agent_headers):
        slot = first_slot(client)
        booked = book(client, slot).json()
        day = slot["start"][:10]
        response = client.get(
            f"/v1/staff/locations/{slot['location_id']}/day-sheet",
            params={"date": day},
            headers=agent_headers,
        )
        assert response.status_code == 200
        sheet = response.json()
        ids = [a["id"] for entry in sheet["providers"] for a in entry["appointments"]]
        assert ids == [booked["id"]]
        assert sheet["providers"][0]["appointments"][0]["patient"]["family_name"] == "Ruiz"
        other_day = client.get(
            f"/v1/staff/locations/{slot['location_id']}/day-sheet",
            params={"date": str(upcoming_weekday(1, at_least_days=9))},
            headers=agent_headers,
        )
        assert other_day.json()["providers"] == []


class TestCancelRescheduleOutcome:
    def test_agent_cancels_and_reschedules_with_history(self, client, agent_headers):
        slot = first_slot(client)
        appointment = book(client, slot).json()
        later = (datetime.fromisoformat(slot["start"]) + timedelta(hours=1)).isoformat()
        moved = client.post(
            f"/v1/staff/appointments/{appointment['id']}/reschedule",
            json={"start": later},
            headers=agent_headers,
        )
        assert moved.status_code == 200 and moved.json()["start"] == later
        cancelled = client.post(f"/v1/staff/appointments/{appointment['id']}/cancel", headers=agent_headers)
        assert cancelled.json()["status"] == "cancelled"
        actions = [
            e["action"]
            for e in client.get(
                f"/v1/staff/appointments/{appointment['id']}/audit", headers=agent_headers
            ).json()
        ]
        assert actions == ["appointment.booked", "appointment.rescheduled", "appointment.cancelled"]

    def test_outcome_only_after_the_visit_started(self, client, session, agent_headers):
        appointment = book(client, first_slot(client)).json()
        path = f"/v1/staff/appointments/{appointment['id']}/outcome"
        early = client.post(path, json={"status": "fulfilled"}, headers=agent_headers)
        assert early.status_code == 422
        past = datetime.now(UTC) - timedelta(hours=1)
        session.execute(
            update(Appointment)
            .where(Appointment.id == appointment["id"])
            .values(
                starts_at=past,
                ends_at=past + timedelta(hours=1),
                blocked_from=past,
                blocked_until=past + timedelta(hours=1),
            )
        )
        done = client.post(path, json={"status": "noshow"}, headers=agent_headers)
        assert done.status_code == 200 and done.json()["status"] == "noshow"
        assert client.post(path, json={"status": "fulfilled"}, headers=agent_headers).status_code == 409
        assert client.post(path, json={"status": "booked"}, headers=agent_headers).status_code == 422
