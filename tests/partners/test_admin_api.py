"""Admins create partners, change them, deactivate them and rotate their keys."""

import pytest
from sqlmodel import select

from partners.models import Partner
from tests.partners.conftest import GYM, first_slot, partner_headers
from tests.problems import assert_problem

URL = "/v1/admin/partners"


def create(client, headers, **fields):
    body = {"name": "Example Gym", "allowed_origins": [GYM]} | fields
    return client.post(URL, json=body, headers=headers)


class TestCreatePartner:
    def test_returns_the_key_and_webhook_secret(self, client, admin_headers, demo):
        response = create(
            client,
            admin_headers,
            allowed_origins=[
                "HTTPS://WWW.Example-Gym.com/",
                "http://localhost:5173",
                "https://a.example:443",
            ],
            webhook_url="https://hooks.example-gym.com/booking",
            service_lines=["physical_therapy"],
        )

        assert response.status_code == 201, response.text
        partner = response.json()
        assert partner["publishable_key"].startswith("pk_") and len(partner["publishable_key"]) >= 32
        assert partner["webhook_secret"].startswith("whsec_")
        assert partner["allowed_origins"] == [GYM, "http://localhost:5173", "https://a.example"]
        assert partner["webhook_url"] == "https://hooks.example-gym.com/booking"
        assert partner["service_lines"] == ["physical_therapy"]
        assert partner["active"] is True
        assert {"id", "name"} <= partner.keys()

    def test_each_partner_gets_its_own_key(self, client, admin_headers):
        first = create(client, admin_headers).json()
        second = create(client, admin_headers).json()

        assert first["publishable_key"] != second["publishable_key"]
        assert first["webhook_secret"] != second["webhook_secret"]

    @pytest.mark.parametrize(
        "origin",
        [
            "https://example.com/widget",
            "https://example.com?x=1",
            "https://*.example.com",
            "ftp://example.com",
            "example.com",
            "https://user:pw@example.com",
            "https://example.com:99999",
            "https://",
            "null",
        ],
    )
    def test_a_bad_origin_is_422_naming_the_field(self, client, admin_headers, session, origin):
        response = create(client, admin_headers, allowed_origins=[GYM, origin])

        assert_problem(response, 422, field="allowed_origins")
        assert session.exec(select(Partner)).all() == []

    def test_an_unknown_service_line_is_422_naming_the_field(self, client, admin_headers, demo):
        response = create(client, admin_headers, service_lines=["physical_therapy", "chiropractic"])

        problem = assert_problem(response, 422, field="service_lines")
        assert "chiropractic" in problem["detail"]

    @pytest.mark.parametrize("url", ["ftp://hooks.example.com", "not a url", "https://"])
    def test_a_bad_webhook_url_is_422(self, client, admin_headers, url):
        assert_problem(create(client, admin_headers, webhook_url=url), 422, field="webhook_url")

    def test_clients_cannot_choose_the_key_or_secret(self, client, admin_headers):
        response = create(client, admin_headers, publishable_key="pk_mine")

        assert_problem(response, 422, field="publishable_key")


class TestRoles:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", URL),
            ("post", URL),
            ("get", f"{URL}/1"),
            ("patch", f"{URL}/1"),
            ("post", f"{URL}/1/rotate-key"),
            ("get", f"{URL}/1/webhook-deliveries"),
        ],
    )
    def test_anonymous_is_401_and_agents_403(self, client, agent_headers, method, path):
        body = {"json": {"name": "x", "allowed_origins": []}} if method != "get" else {}

        assert_problem(client.request(method, path, **body), 401)
        assert_problem(client.request(method, path, headers=agent_headers, **body), 403)

    def test_a_publishable_key_opens_no_admin_route(self, client, partner):
        response = client.get(URL, headers=partner_headers(partner))

        assert_problem(response, 401)


class TestReadPartners:
    def test_list_and_get(self, client, admin_headers):
        created = create(client, admin_headers).json()

        listed = client.get(URL, headers=admin_headers).json()
        one = client.get(f"{URL}/{created['id']}", headers=admin_headers)

        assert [p["id"] for p in listed] == [created["id"]]
        assert one.status_code == 200
        assert one.json() == created

    def test_an_unknown_partner_is_404(self, client, admin_headers):
        assert_problem(client.get(f"{URL}/999999", headers=admin_headers), 404)


class TestUpdatePartner:
    def test_changes_only_what_is_given(self, client, admin_headers, demo):
        created = create(client, admin_headers, webhook_url="https://hooks.example.com/x").json()

        response = client.patch(
            f"{URL}/{created['id']}",
            json={"allowed_origins": ["https://New.example.com/"], "service_lines": ["physiatry"]},
            headers=admin_headers,
        )

        assert response.status_code == 200, response.text
        updated = response.json()
        assert updated["allowed_origins"] == ["https://new.example.com"]
        assert updated["service_lines"] == ["physiatry"]
        assert updated["name"] == created["name"]
        assert updated["webhook_url"] == "https://hooks.example.com/x"
        assert updated["publishable_key"] == created["publishable_key"]

    def test_null_webhook_url_removes_the_webhook(self, client, admin_headers):
        created = create(client, admin_headers, webhook_url="https://hooks.example.com/x").json()

        response = client.patch(f"{URL}/{created['id']}", json={"webhook_url": None}, headers=admin_headers)

        assert response.json()["webhook_url"] is None

    def test_bad_input_is_422_naming_the_field(self, client, admin_headers):
        created = create(client, admin_headers).json()

        for body, field in [
            ({"allowed_origins": ["https://x.example/path"]}, "allowed_origins"),
            ({"service_lines": ["nope"]}, "service_lines"),
            ({"status": "active"}, "status"),
        ]:
            response = client.patch(f"{URL}/{created['id']}", json=body, headers=admin_headers)
            assert_problem(response, 422, field=field)

    def test_deactivating_stops_the_key_at_once(self, client, admin_headers, network):
        created = create(client, admin_headers).json()
        headers = {"X-Partner-Key": created["publishable_key"], "Origin": GYM}
        assert client.get("/v1/locations", headers=headers).status_code == 200

        response = client.patch(f"{URL}/{created['id']}", json={"active": False}, headers=admin_headers)

        assert response.json()["active"] is False
        assert_problem(client.get("/v1/locations", headers=headers), 401)

    def test_an_unknown_partner_is_404(self, client, admin_headers):
        assert_problem(client.patch(f"{URL}/999999", json={"name": "x"}, headers=admin_headers), 404)


class TestRotateKey:
    def test_the_old_key_stops_working_and_the_new_one_works(self, client, admin_headers, network):
        created = create(client, admin_headers).json()

        response = client.post(f"{URL}/{created['id']}/rotate-key", headers=admin_headers)

        assert response.status_code == 200
        new_key = response.json()["publishable_key"]
        assert new_key != created["publishable_key"]
        assert response.json()["webhook_secret"] == created["webhook_secret"]
        old = client.get("/v1/locations", headers={"X-Partner-Key": created["publishable_key"]})
        assert_problem(old, 401)
        assert first_slot(client, headers={"X-Partner-Key": new_key, "Origin": GYM})

    def test_an_unknown_partner_is_404(self, client, admin_headers):
        assert_problem(client.post(f"{URL}/999999/rotate-key", headers=admin_headers), 404)
