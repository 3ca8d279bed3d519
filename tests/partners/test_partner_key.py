"""X-Partner-Key on the public booking API: who may use it, from where, and what it books."""

import pytest
from sqlmodel import select

from booking.models import Appointment, AuditEvent, IdempotencyRecord
from tests.partners.conftest import (
    CLINIC,
    ELSEWHERE,
    GYM,
    PATIENT,
    booking_body,
    first_slot,
    make_partner,
    partner_headers,
    slot_body,
)
from tests.problems import assert_problem

pytestmark = pytest.mark.usefixtures("network")


def public_calls(client, slot):
    """One call of each public endpoint that takes a partner key, as (name, function of headers)."""
    day = slot["start"][:10]
    return [
        (
            "availability",
            lambda h: client.get("/v1/availability", params={"service": "pt_evaluation"}, headers=h),
        ),
        ("locations", lambda h: client.get("/v1/locations", headers=h)),
        ("hold", lambda h: client.post("/v1/holds", json=slot_body(slot), headers=h)),
        ("release", lambda h: client.delete("/v1/holds/0123456789abcdef", headers=h)),
        ("book", lambda h: client.post("/v1/appointments", json=booking_body(slot), headers=h)),
        (
            "day",
            lambda h: client.get(
                "/v1/availability", params={"service": "pt_evaluation", "start": day}, headers=h
            ),
        ),
    ]


class TestKeyChecks:
    def test_an_unknown_key_is_401_everywhere_and_changes_nothing(self, client, session):
        slot = first_slot(client)

        for name, call in public_calls(client, slot):
            response = call({"X-Partner-Key": "pk_not-a-real-key"})
            problem = assert_problem(response, 401)
            assert problem["type"] == "/problems/invalid-partner-key", name
            assert "www-authenticate" not in response.headers
        assert session.exec(select(Appointment)).all() == []

    def test_an_inactive_partners_key_is_401(self, client, session):
        partner = make_partner(session, active=False)

        assert_problem(client.get("/v1/locations", headers=partner_headers(partner)), 401)

    def test_a_browser_on_another_origin_is_403_everywhere(self, client, session, partner):
        slot = first_slot(client)

        for _name, call in public_calls(client, slot):
            problem = assert_problem(call(partner_headers(partner, origin=ELSEWHERE)), 403)
            assert problem["type"] == "/problems/origin-not-allowed"
        assert session.exec(select(Appointment)).all() == []

    def test_an_opaque_origin_is_403(self, client, partner):
        # Sandboxed frames and file:// pages send `Origin: null`.
        assert_problem(client.get("/v1/locations", headers=partner_headers(partner, origin="null")), 403)

    def test_any_of_the_allowed_origins_may_call(self, client, session):
        partner = make_partner(session, allowed_origins=[GYM, CLINIC])

        for origin in (GYM, CLINIC):
            assert (
                client.get("/v1/locations", headers=partner_headers(partner, origin=origin)).status_code
                == 200
            )

    def test_a_server_without_an_origin_may_call(self, client, partner):
        assert client.get("/v1/locations", headers=partner_headers(partner, origin=None)).status_code == 200

    def test_our_own_pages_may_call_with_the_key(self, client, partner):
        # The /embed widget frame is served by us: its calls carry our own origin.
        headers = partner_headers(partner, origin="http://testserver")

        assert first_slot(client, headers=headers)

    def test_without_a_key_nothing_changes_for_patients(self, client, session):
        slot = first_slot(client, headers={"Origin": ELSEWHERE})

        response = client.post("/v1/appointments", json=booking_body(slot), headers={"Origin": ELSEWHERE})

        assert response.status_code == 201
        assert response.json()["channel"] == "online"
        assert session.get(Appointment, response.json()["id"]).partner_id is None


class TestBookingThroughAPartner:
    def test_a_booking_carries_channel_partner_the_partner_and_its_audit_actor(
        self, client, session, partner
    ):
        slot = first_slot(client, headers=partner_headers(partner))

        response = client.post("/v1/appointments", json=booking_body(slot), headers=partner_headers(partner))

        assert response.status_code == 201, response.text
        booked = response.json()
        assert booked["channel"] == "partner"
        row = session.get(Appointment, booked["id"])
        assert row.partner_id == partner.id and row.channel == "partner"
        audit = session.exec(select(AuditEvent).where(AuditEvent.appointment_id == booked["id"])).one()
        assert audit.actor == f"partner:{partner.id} Example Gym"
        assert audit.channel == "partner" and audit.staff_user_id is None

    def test_a_hold_and_the_booking_made_from_it_carry_the_partner(self, client, session, partner):
        slot = first_slot(client)

        hold = client.post("/v1/holds", json=slot_body(slot), headers=partner_headers(partner))
        assert hold.status_code == 201, hold.text
        assert session.get(Appointment, hold.json()["id"]).partner_id == partner.id
        booked = client.post(
            "/v1/appointments",
            json={"hold_id": hold.json()["id"], "patient": PATIENT},
            headers=partner_headers(partner),
        )

        assert booked.status_code == 201, booked.text
        row = session.get(Appointment, booked.json()["id"])
        assert (row.channel, row.partner_id) == ("partner", partner.id)

    def test_a_partner_may_release_a_hold(self, client, partner):
        slot = first_slot(client)
        hold_id = client.post("/v1/holds", json=slot_body(slot), headers=partner_headers(partner)).json()[
            "id"
        ]

        assert client.delete(f"/v1/holds/{hold_id}", headers=partner_headers(partner)).status_code == 204

    def test_idempotency_keys_are_scoped_to_the_partner(self, client, session, partner):
        slot = first_slot(client)
        headers = partner_headers(partner) | {"Idempotency-Key": "retry-1"}

        first = client.post("/v1/appointments", json=booking_body(slot), headers=headers)
        again = client.post("/v1/appointments", json=booking_body(slot), headers=headers)

        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        scopes = session.exec(select(IdempotencyRecord.scope)).all()
        assert scopes == [f"partner:{partner.id}"]

    def test_the_response_is_the_same_as_a_patients(self, client, partner):
        slot = first_slot(client)

        booked = client.post(
            "/v1/appointments", json=booking_body(slot), headers=partner_headers(partner)
        ).json()

        # The patient who booked gets their manage token, as on our own page.
        assert booked["manage_token"] and booked["confirmation_code"]


class TestAKeyNeverReadsBookings:
    def test_a_booking_cannot_be_read_with_the_key_alone(self, client, partner):
        slot = first_slot(client)
        booked = client.post(
            "/v1/appointments", json=booking_body(slot), headers=partner_headers(partner)
        ).json()
        code = booked["confirmation_code"]

        assert_problem(client.get(f"/v1/appointments/{code}", headers=partner_headers(partner)), 404)
        assert_problem(client.post(f"/v1/appointments/{code}/cancel", headers=partner_headers(partner)), 404)
        assert_problem(client.get(f"/v1/appointments/{code}/ics", headers=partner_headers(partner)), 404)

    @pytest.mark.parametrize("path", ["/v1/staff/patients?q=Ruiz", "/v1/admin/partners", "/v1/auth/me"])
    def test_staff_and_admin_routes_ignore_the_key(self, client, partner, path):
        assert_problem(client.get(path, headers=partner_headers(partner)), 401)


class TestServiceLineRestriction:
    @pytest.fixture
    def pt_only(self, session):
        return make_partner(session, name="PT Partner", service_lines=["physical_therapy"])

    def test_its_own_lines_can_be_searched_held_and_booked(self, client, pt_only):
        slot = first_slot(client, service="pt_evaluation", headers=partner_headers(pt_only))
        hold = client.post("/v1/holds", json=slot_body(slot), headers=partner_headers(pt_only))
        assert hold.status_code == 201, hold.text

        booked = client.post(
            "/v1/appointments",
            json={"hold_id": hold.json()["id"], "patient": PATIENT},
            headers=partner_headers(pt_only),
        )

        assert booked.status_code == 201, booked.text

    def test_searching_another_line_is_422_naming_service(self, client, pt_only):
        response = client.get(
            "/v1/availability", params={"service": "pain_consultation"}, headers=partner_headers(pt_only)
        )

        assert_problem(response, 422, field="service", location="query")

    def test_holding_or_booking_another_line_is_422_naming_service_and_changes_nothing(
        self, client, session, pt_only
    ):
        slot = first_slot(client, service="pain_consultation")

        hold = client.post("/v1/holds", json=slot_body(slot), headers=partner_headers(pt_only))
        booked = client.post("/v1/appointments", json=booking_body(slot), headers=partner_headers(pt_only))

        assert_problem(hold, 422, field="service", location="body")
        assert_problem(booked, 422, field="service", location="body")
        assert session.exec(select(Appointment)).all() == []

    def test_booking_someone_elses_hold_of_another_line_is_422(self, client, session, pt_only):
        slot = first_slot(client, service="pain_consultation")
        hold_id = client.post("/v1/holds", json=slot_body(slot)).json()["id"]

        response = client.post(
            "/v1/appointments",
            json={"hold_id": hold_id, "patient": PATIENT},
            headers=partner_headers(pt_only),
        )

        assert_problem(response, 422, field="service")
        assert session.get(Appointment, hold_id).status == "held"

    def test_a_partner_without_lines_may_book_every_line(self, client, partner):
        for service in ("pt_evaluation", "pain_consultation", "physiatry_consultation"):
            assert first_slot(client, service=service, headers=partner_headers(partner))
