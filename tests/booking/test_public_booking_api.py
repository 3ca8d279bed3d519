"""The patient's path through the public API: find a slot, hold it, book it, manage it."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from booking.models import Appointment, AuditEvent, IdempotencyRecord
from tests.booking.conftest import PATIENT, la, upcoming_weekday

pytestmark = pytest.mark.usefixtures("network")


def first_slot(client, service="pt_evaluation", **params):
    tuesday = upcoming_weekday(1)
    response = client.get(
        "/v1/availability", params={"service": service, "start": str(tuesday), "end": str(tuesday), **params}
    )
    assert response.status_code == 200, response.text
    slots = response.json()["slots"]
    assert slots, "the demo network should have free slots on a Tuesday"
    return slots[0]


def slot_body(slot):
    return {key: slot[key] for key in ("service", "location_id", "provider_id", "start")}


def book(client, slot, **extra):
    return client.post("/v1/appointments", json=slot_body(slot) | {"patient": PATIENT} | extra)


def is_offered(client, slot):
    day = slot["start"][:10]
    response = client.get(
        "/v1/availability",
        params={
            "service": slot["service"],
            "location": slot["location_id"],
            "provider": slot["provider_id"],
            "start": day,
            "end": day,
        },
    )
    return slot["start"] in [s["start"] for s in response.json()["slots"]]


class TestAvailability:
    def test_slots_are_in_the_sites_zone_sorted_and_inside_working_hours(self, client):
        tuesday = upcoming_weekday(1)
        response = client.get(
            "/v1/availability",
            params={"service": "pain_consultation", "start": str(tuesday), "end": str(tuesday)},
        )
        slots = response.json()["slots"]
        starts = [datetime.fromisoformat(s["start"]) for s in slots]
        assert starts == sorted(starts)
        assert {s["start"][-6:] for s in slots} <= {"-08:00", "-07:00"}
        local_times = {s.strftime("%H:%M") for s in starts}
        assert "08:00" in local_times and "12:00" not in local_times  # lunch is a gap
        assert max(local_times) <= "16:15"  # a 45-minute visit must end by 17:00

    def test_near_a_zip_gives_distances_and_only_sites_in_radius(self, client):
        tuesday = upcoming_weekday(2)  # a Wednesday: the Palmdale therapist is there
        response = client.get(
            "/v1/availability",
            params={
                "service": "pt_evaluation",
                "near": "93551",
                "radius_miles": 20,
                "start": str(tuesday),
                "end": str(tuesday),
            },
        )
        slots = response.json()["slots"]
        palmdale = client.get("/v1/locations/palmdale").json()["id"]
        assert slots and {s["location_id"] for s in slots} == {palmdale}  # the only site within 20 miles
        assert all(s["distance_miles"] is not None and s["distance_miles"] < 20 for s in slots)

    def test_staff_only_procedures_still_list_slots_for_staff_tools(self, client):
        assert first_slot(client, service="epidural_steroid_injection")

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"service": "no_such_service"}, "service"),
            ({"service": "pt_evaluation", "start": "next tuesday"}, "start"),
            ({"service": "pt_evaluation", "start": "2027-01-05T09:00:00"}, "start"),
            ({"service": "pt_evaluation", "start": "2027-01-05", "end": "2027-01-01"}, "end"),
            ({"service": "pt_evaluation", "start": "2027-01-05", "end": "2027-12-31"}, "end"),
            ({"service": "pt_evaluation", "near": "nowhere at all"}, "near"),
            ({"service": "pt_evaluation", "radius_miles": 10}, "radius_miles"),
            ({"service": "pt_evaluation", "limit": 0}, "limit"),
        ],
    )
    def test_bad_query_is_422_naming_the_field(self, client, params, field):
        response = client.get("/v1/availability", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in [e["field"] for e in response.json()["errors"]]

    def test_unknown_location_is_404(self, client):
        response = client.get("/v1/availability", params={"service": "pt_evaluation", "location": "nowhere"})
        assert response.status_code == 404


class TestHolds:
    def test_a_hold_blocks_the_slot_for_everyone_else(self, client):
        slot = first_slot(client)
        hold = client.post("/v1/holds", json=slot_body(slot))
        assert hold.status_code == 201
        assert datetime.fromisoformat(hold.json()["expires_at"]) > datetime.now(UTC) + timedelta(minutes=9)
        assert not is_offered(client, slot)
        second = client.post("/v1/holds", json=slot_body(slot))
        assert second.status_code == 409
        assert second.json()["type"] == "/problems/slot-unavailable"
        assert book(client, slot).status_code == 409

    def test_releasing_a_hold_frees_the_slot(self, client):
        slot = first_slot(client)
        hold_id = client.post("/v1/holds", json=slot_body(slot)).json()["id"]
        assert client.delete(f"/v1/holds/{hold_id}").status_code == 204
        assert is_offered(client, slot)
        assert client.get(f"/v1/holds/{hold_id}").status_code == 404
        assert client.delete(f"/v1/holds/{hold_id}").status_code == 404

    def test_an_expired_hold_frees_the_slot_by_itself(self, client, session):
        slot = first_slot(client)
        hold_id = client.post("/v1/holds", json=slot_body(slot)).json()["id"]
        session.execute(
            update(Appointment)
            .where(Appointment.id == hold_id)
            .values(hold_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        assert is_offered(client, slot)
        assert client.post("/v1/holds", json=slot_body(slot)).status_code == 201

    def test_booking_an_expired_hold_whose_time_was_taken_is_409(self, client, session):
        slot = first_slot(client)
        hold_id = client.post("/v1/holds", json=slot_body(slot)).json()["id"]
        session.execute(
            update(Appointment)
            .where(Appointment.id == hold_id)
            .values(hold_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        assert book(client, slot).status_code == 201  # someone else took it meanwhile
        response = client.post("/v1/appointments", json={"hold_id": hold_id, "patient": PATIENT})
        assert response.status_code == 409
        assert response.json()["type"] == "/problems/hold-expired"


class TestBookAppointment:
    def test_booking_a_hold_returns_code_token_and_times_with_offset(self, client, session):
        slot = first_slot(client)
        hold_id = client.post("/v1/holds", json=slot_body(slot)).json()["id"]
        response = client.post("/v1/appointments", json={"hold_id": hold_id, "patient": PATIENT})
        assert response.status_code == 201, response.text
        body = response.json()
        assert len(body["confirmation_code"]) == 8
        assert set(body["confirmation_code"]) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        assert len(body["manage_token"]) >= 22
        assert body["status"] == "booked" and body["channel"] == "online"
        assert body["start"] == slot["start"] and body["end"] == slot["end"]
        row = session.get(Appointment, body["id"])
        assert row.manage_token_hash and body["manage_token"] not in row.manage_token_hash
        assert [e.action for e in session.execute(select(AuditEvent)).scalars()] == ["appointment.booked"]

    def test_a_taken_slot_is_409_and_changes_nothing(self, client, session):
        slot = first_slot(client)
        assert book(client, slot).status_code == 201
        before = session.execute(select(Appointment)).scalars().all()
        response = book(client, slot)
        assert response.status_code == 409
        assert response.json()["type"] == "/problems/slot-unavailable"
        assert len(session.execute(select(Appointment)).scalars().all()) == len(before)

    def test_staff_only_procedures_cannot_be_booked_online(self, client):
        slot = first_slot(client, service="epidural_steroid_injection")
        response = book(client, slot)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "service"

    def test_a_time_off_the_schedule_is_422_naming_start(self, client):
        slot = first_slot(client)
        night = la(upcoming_weekday(1), 3).isoformat()
        sunday = la(upcoming_weekday(6), 10).isoformat()
        off_grid = (datetime.fromisoformat(slot["start"]) + timedelta(minutes=7)).isoformat()
        for start in (night, sunday, off_grid):
            response = book(client, slot | {"start": start})
            assert response.status_code == 422, start
            assert response.json()["errors"][0]["field"] == "start"

    def test_too_soon_is_422(self, client):
        soon = datetime.now(UTC) + timedelta(minutes=30)
        response = book(client, first_slot(client) | {"start": soon.isoformat()})
        assert response.status_code == 422

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"patient": PATIENT | {"email": "not-an-email"}}, "patient.email"),
            ({"patient": PATIENT | {"birth_date": "2999-01-01"}}, "patient"),
            ({"patient": {k: v for k, v in PATIENT.items() if k != "phone"}}, "patient.phone"),
            ({"start": "2027-01-05T09:00:00"}, "start"),
            ({"provider_id": 999999}, "provider_id"),
            ({"location_id": 999999}, "location_id"),
            ({"status": "fulfilled"}, "status"),
        ],
    )
    def test_bad_body_is_422_naming_the_field_and_books_nothing(self, client, session, change, field):
        slot = first_slot(client)
        response = client.post("/v1/appointments", json=slot_body(slot) | {"patient": PATIENT} | change)
        assert response.status_code == 422, response.text
        assert any(e["field"].startswith(field) for e in response.json()["errors"])
        assert session.execute(select(Appointment)).first() is None

    def test_provider_not_working_at_the_site_is_422(self, client):
        slot = first_slot(client)
        palmdale = client.get("/v1/locations/palmdale").json()["id"]
        response = book(client, slot | {"location_id": palmdale})  # the Tuesday therapist is in Glendale
        assert response.status_code == 422


class TestIdempotency:
    def test_a_retry_with_the_same_key_replays_the_first_response(self, client, session):
        slot = first_slot(client)
        headers = {"Idempotency-Key": "retry-123"}
        first = client.post("/v1/appointments", json=slot_body(slot) | {"patient": PATIENT}, headers=headers)
        again = client.post("/v1/appointments", json=slot_body(slot) | {"patient": PATIENT}, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == first.json()
        assert len(session.execute(select(Appointment)).scalars().all()) == 1
        stored = session.execute(select(IdempotencyRecord)).scalar_one()
        assert first.json()["manage_token"] not in stored.response_body  # encrypted at rest

    def test_the_same_key_with_another_body_is_422(self, client):
        slot = first_slot(client)
        headers = {"Idempotency-Key": "retry-456"}
        client.post("/v1/appointments", json=slot_body(slot) | {"patient": PATIENT}, headers=headers)
        other = client.post(
            "/v1/appointments",
            json=slot_body(slot) | {"patient": PATIENT | {"given_name": "Bea"}},
            headers=headers,
        )
        assert other.status_code == 422
        assert other.json()["errors"][0]["field"] == "Idempotency-Key"

    def test_a_retry_while_the_first_is_running_is_409(self, client, session):
        session.add(
            IdempotencyRecord(
                scope="public:online",
                key="in-flight",
                fingerprint="x" * 64,
                expires_at=datetime.now(UTC) + timedelta(hours=1),
            )
        )
        session.commit()
        slot = first_slot(client)
        from booking.idempotency import request_fingerprint
        from booking.schemas import AppointmentCreate

        data = AppointmentCreate.model_validate(slot_body(slot) | {"patient": PATIENT})
        record = session.execute(select(IdempotencyRecord)).scalar_one()
        record.fingerprint = request_fingerprint(
            "book_appointment", data.model_dump(mode="json") | {"patient_id": None}
        )
        session.commit()
        response = client.post(
            "/v1/appointments",
            json=slot_body(slot) | {"patient": PATIENT},
            headers={"Idempotency-Key": "in-flight"},
        )
        assert response.status_code == 409
        assert response.json()["type"] == "/problems/idempotent-request-in-progress"

    def test_a_failed_first_attempt_is_replayed_too(self, client):
        slot = first_slot(client)
        assert book(client, slot).status_code == 201
        headers = {"Idempotency-Key": "late"}
        first = client.post("/v1/appointments", json=slot_body(slot) | {"patient": PATIENT}, headers=headers)
        again = client.post("/v1/appointments", json=slot_body(slot) | {"patient": PATIENT}, headers=headers)
        assert first.status_code == again.status_code == 409
        assert again.headers["Idempotent-Replayed"] == "true"


class TestManageAppointment:
    def booked(self, client):
        slot = first_slot(client)
        body = book(client, slot).json()
        return slot, body["confirmation_code"], body["manage_token"]

    def test_the_code_and_token_open_the_appointment(self, client):
        slot, code, token = self.booked(client)
        by_header = client.get(f"/v1/appointments/{code}", headers={"X-Manage-Token": token})
        by_query = client.get(f"/v1/appointments/{code.lower()}", params={"token": token})
        assert by_header.status_code == by_query.status_code == 200
        assert by_header.json()["start"] == slot["start"]

    def test_a_wrong_pair_is_404_revealing_nothing(self, client):
        _, code, token = self.booked(client)
        other_last = "y" if token.endswith("x") else "x"  # a token ending in "x" would stay right
        wrong_token = client.get(
            f"/v1/appointments/{code}", headers={"X-Manage-Token": token[:-1] + other_last}
        )
        no_token = client.get(f"/v1/appointments/{code}")
        unknown_code = client.get("/v1/appointments/ZZZZZZZZ", headers={"X-Manage-Token": token})
        assert wrong_token.status_code == no_token.status_code == unknown_code.status_code == 404
        assert wrong_token.json()["detail"] == unknown_code.json()["detail"] == no_token.json()["detail"]
        for path in (f"/v1/appointments/{code}/cancel", f"/v1/appointments/{code}/reschedule"):
            assert client.post(path, json={"start": "2030-01-01T09:00:00Z"}).status_code in (404, 422)

    def test_cancelling_frees_the_slot(self, client):
        slot, code, token = self.booked(client)
        assert not is_offered(client, slot)
        response = client.post(f"/v1/appointments/{code}/cancel", headers={"X-Manage-Token": token})
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
        assert is_offered(client, slot)
        again = client.post(f"/v1/appointments/{code}/cancel", headers={"X-Manage-Token": token})
        assert again.status_code == 409

    def test_rescheduling_moves_the_booking_and_frees_the_old_time(self, client):
        slot, code, token = self.booked(client)
        new_start = (datetime.fromisoformat(slot["start"]) + timedelta(hours=2)).isoformat()
        response = client.post(
            f"/v1/appointments/{code}/reschedule",
            headers={"X-Manage-Token": token},
            json={"start": new_start},
        )
        assert response.status_code == 200, response.text
        assert response.json()["start"] == new_start and response.json()["confirmation_code"] == code
        assert is_offered(client, slot)

    def test_rescheduling_into_a_taken_time_keeps_the_old_booking(self, client):
        slot, code, token = self.booked(client)
        later = slot | {"start": (datetime.fromisoformat(slot["start"]) + timedelta(hours=2)).isoformat()}
        assert book(client, later).status_code == 201
        response = client.post(
            f"/v1/appointments/{code}/reschedule",
            headers={"X-Manage-Token": token},
            json={"start": later["start"]},
        )
        assert response.status_code == 409
        kept = client.get(f"/v1/appointments/{code}", headers={"X-Manage-Token": token}).json()
        assert kept["start"] == slot["start"] and kept["status"] == "booked"
        assert not is_offered(client, slot)

    def test_the_calendar_file_is_rfc5545_with_the_utc_times(self, client):
        slot, code, token = self.booked(client)
        response = client.get(f"/v1/appointments/{code}/ics", params={"token": token})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        from icalendar import Calendar

        event = Calendar.from_ical(response.content).walk("VEVENT")[0]
        assert event.decoded("dtstart") == datetime.fromisoformat(slot["start"])
        assert code in str(event.get("description"))
        assert str(event.get("status")) == "CONFIRMED"


class TestBookingFromTriage:
    ROUTINE = {"red_flags": ["none"], "pain_area": "joint", "duration": "under_6_weeks"}
    EMERGENCY = {"red_flags": ["saddle_numbness"], "pain_area": "low_back", "duration": "under_6_weeks"}

    def assess(self, client, answers):
        response = client.post("/v1/triage", json={"answers": answers})
        assert response.status_code == 201, response.text
        return response.json()

    def test_a_booking_carries_the_assessment_it_came_from(self, client, agent_headers):
        triage = self.assess(client, self.ROUTINE)
        slot = first_slot(client, service=triage["recommended_service"])
        response = book(client, slot, triage_id=triage["id"])
        assert response.status_code == 201
        staff_view = client.get(f"/v1/staff/appointments/{response.json()['id']}", headers=agent_headers)
        assert staff_view.json()["triage_id"] == triage["id"]

    def test_red_flag_answers_never_lead_to_a_routine_booking(self, client, session):
        triage = self.assess(client, self.EMERGENCY)
        assert triage["urgency"] == "emergency"
        response = book(client, first_slot(client), triage_id=triage["id"])
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "triage_id"
        assert "911" in response.json()["errors"][0]["message"]
        assert session.execute(select(Appointment)).first() is None

    def test_an_unknown_assessment_is_422(self, client):
        response = book(client, first_slot(client), triage_id="00000000-0000-4000-8000-000000000000")
        assert response.status_code == 422


class TestLocatorNextAvailable:
    def test_each_site_shows_its_first_free_start_for_the_service(self, client):
        results = client.get("/v1/locations", params={"near": "91204", "service": "pt_evaluation"}).json()[
            "results"
        ]
        assert results
        for match in results:
            site_id = match["location"]["id"]
            first = client.get(
                "/v1/availability", params={"service": "pt_evaluation", "location": site_id, "limit": 1}
            ).json()["slots"]
            assert match["next_available"] == (first[0]["start"] if first else None)

    def test_booking_the_first_free_time_moves_it_on(self, client):
        params = {"near": "91204", "service": "pt_evaluation", "limit": 1}
        before = client.get("/v1/locations", params=params).json()["results"][0]
        first = client.get(
            "/v1/availability",
            params={"service": "pt_evaluation", "location": before["location"]["id"], "limit": 5},
        ).json()["slots"]
        for slot in first:
            if slot["start"] == before["next_available"]:
                assert book(client, slot).status_code == 201
        after = client.get("/v1/locations", params=params).json()["results"][0]
        assert after["next_available"] > before["next_available"]

    def test_without_a_service_there_is_no_next_available(self, client):
        results = client.get("/v1/locations", params={"near": "91204"}).json()["results"]
        assert results and all(match["next_available"] is None for match in results)
