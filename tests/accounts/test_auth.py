"""Staff logins (OAuth2 password flow, bearer tokens) and admin management of staff accounts."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from core.settings import get_settings
from tests.factories import TEST_PASSWORD, make_staff_user
from tests.problems import assert_problem


def log_in(client, email: str, password: str = TEST_PASSWORD):
    return client.post("/v1/auth/token", data={"username": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed(claims: dict, key: str | None = None) -> str:
    return jwt.encode(claims, key or get_settings().secret_key.get_secret_value(), algorithm="HS256")


class TestLogIn:
    def test_right_password_gives_a_bearer_token_that_works(self, client, session):
        user = make_staff_user(session, role="agent")

        response = log_in(client, user.email)

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == get_settings().access_token_minutes * 60
        me = client.get("/v1/auth/me", headers=bearer(body["access_token"]))
        assert me.json()["email"] == user.email

    def test_email_is_not_case_sensitive(self, client, session):
        user = make_staff_user(session)

        assert log_in(client, f"  {user.email.upper()} ").status_code == 200

    def test_wrong_password_and_unknown_email_get_the_same_401(self, client, session):
        user = make_staff_user(session)

        wrong_password = log_in(client, user.email, "not the password at all")
        unknown_email = log_in(client, "nobody@example.org")

        assert_problem(wrong_password, 401)
        assert_problem(unknown_email, 401)
        assert wrong_password.json()["detail"] == unknown_email.json()["detail"]

    def test_inactive_account_cannot_log_in(self, client, session):
        user = make_staff_user(session, active=False)

        response = log_in(client, user.email)

        assert_problem(response, 401)
        assert "access_token" not in response.json()

    @pytest.mark.parametrize("missing", ["username", "password"])
    def test_missing_form_field_is_a_422_naming_it(self, client, missing):
        form = {"username": "someone@example.org", "password": "whatever"}
        del form[missing]

        assert_problem(client.post("/v1/auth/token", data=form), 422, field=missing, location="body")

    def test_json_instead_of_a_form_is_a_422(self, client, session):
        user = make_staff_user(session)

        response = client.post("/v1/auth/token", json={"username": user.email, "password": TEST_PASSWORD})

        assert_problem(response, 422)


class TestWhoAmI:
    def test_shows_the_account_without_its_password_hash(self, client, session, agent_headers):
        body = client.get("/v1/auth/me", headers=agent_headers).json()

        assert body["role"] == "agent" and body["active"] is True
        assert set(body) == {"id", "email", "full_name", "role", "active"}

    def test_without_a_token_is_a_401_asking_for_a_bearer_token(self, client):
        response = client.get("/v1/auth/me")

        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        "authorization",
        ["Bearer garbage", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a.b.c", "bearer"],
    )
    def test_garbage_credentials_are_a_401(self, client, authorization):
        response = client.get("/v1/auth/me", headers={"Authorization": authorization})

        assert_problem(response, 401)

    def test_expired_token_is_a_401_saying_so(self, client, session):
        user = make_staff_user(session)
        token = signed({"sub": str(user.id), "exp": datetime.now(UTC) - timedelta(minutes=1)})

        problem = assert_problem(client.get("/v1/auth/me", headers=bearer(token)), 401)

        assert "expired" in problem["detail"]

    def test_token_signed_with_another_key_is_a_401(self, client, session):
        user = make_staff_user(session, role="admin")
        forged = signed({"sub": str(user.id), "exp": datetime.now(UTC) + timedelta(hours=1)}, key="x" * 32)

        assert_problem(client.get("/v1/auth/me", headers=bearer(forged)), 401)

    def test_unsigned_token_is_a_401(self, client, session):
        user = make_staff_user(session, role="admin")
        unsigned = jwt.encode({"sub": str(user.id)}, key=None, algorithm="none")

        assert_problem(client.get("/v1/admin/staff", headers=bearer(unsigned)), 401)

    @pytest.mark.parametrize("sub", ["999999", "not-a-number", "99999999999999999999999"])
    def test_token_for_no_such_account_is_a_401(self, client, sub):
        token = signed({"sub": sub, "exp": datetime.now(UTC) + timedelta(hours=1)})

        assert_problem(client.get("/v1/auth/me", headers=bearer(token)), 401)


NEW_AGENT = {
    "email": "Casey.Agent@Example.org",
    "full_name": "Casey Agent",
    "role": "agent",
    "password": "a long enough passphrase",
}


class TestAdminStaff:
    def test_admin_creates_an_agent_who_can_then_log_in(self, client, admin_headers):
        response = client.post("/v1/admin/staff", json=NEW_AGENT, headers=admin_headers)

        assert response.status_code == 201, response.text
        created = response.json()
        assert created["email"] == "casey.agent@example.org"
        assert created["role"] == "agent" and created["active"] is True
        assert "password" not in created and "password_hash" not in created
        assert log_in(client, "casey.agent@example.org", NEW_AGENT["password"]).status_code == 200

    def test_new_agent_cannot_reach_admin_endpoints(self, client, admin_headers):
        client.post("/v1/admin/staff", json=NEW_AGENT, headers=admin_headers)
        token = log_in(client, NEW_AGENT["email"], NEW_AGENT["password"]).json()["access_token"]

        assert_problem(client.get("/v1/admin/staff", headers=bearer(token)), 403)
        assert_problem(client.get("/v1/admin/locations", headers=bearer(token)), 403)

    @pytest.mark.parametrize("email", [NEW_AGENT["email"], NEW_AGENT["email"].upper()])
    def test_duplicate_email_is_a_409(self, client, admin_headers, email):
        client.post("/v1/admin/staff", json=NEW_AGENT, headers=admin_headers)

        response = client.post("/v1/admin/staff", json=NEW_AGENT | {"email": email}, headers=admin_headers)

        assert_problem(response, 409)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"password": "too short"}, "password"),
            ({"email": "not-an-email"}, "email"),
            ({"role": "superuser"}, "role"),
            ({"full_name": ""}, "full_name"),
            ({"active": False}, "active"),
            ({"password_hash": "x"}, "password_hash"),
        ],
    )
    def test_bad_field_is_a_422_naming_it(self, client, admin_headers, change, field):
        response = client.post("/v1/admin/staff", json=NEW_AGENT | change, headers=admin_headers)

        assert_problem(response, 422, field=field, location="body")

    def test_list_shows_every_account(self, client, session, admin_headers):
        inactive = make_staff_user(session, active=False)

        listed = {u["email"]: u for u in client.get("/v1/admin/staff", headers=admin_headers).json()}

        assert listed[inactive.email]["active"] is False
        assert all("password_hash" not in u for u in listed.values())

    def test_deactivating_an_account_stops_its_token_at_once(self, client, session, admin_headers):
        agent = make_staff_user(session, role="agent")
        token = log_in(client, agent.email).json()["access_token"]

        response = client.patch(f"/v1/admin/staff/{agent.id}", json={"active": False}, headers=admin_headers)

        assert response.status_code == 200 and response.json()["active"] is False
        assert_problem(client.get("/v1/auth/me", headers=bearer(token)), 401)
        assert_problem(log_in(client, agent.email), 401)

    def test_new_password_replaces_the_old(self, client, session, admin_headers):
        agent = make_staff_user(session)

        client.patch(
            f"/v1/admin/staff/{agent.id}", json={"password": "a brand new passphrase"}, headers=admin_headers
        )

        assert_problem(log_in(client, agent.email), 401)
        assert log_in(client, agent.email, "a brand new passphrase").status_code == 200

    def test_promoted_agent_reaches_admin_endpoints_with_the_same_token(self, client, session, admin_headers):
        agent = make_staff_user(session, role="agent")
        token = log_in(client, agent.email).json()["access_token"]

        client.patch(f"/v1/admin/staff/{agent.id}", json={"role": "admin"}, headers=admin_headers)

        assert client.get("/v1/admin/staff", headers=bearer(token)).status_code == 200

    def test_short_new_password_is_a_422_naming_it(self, client, session, admin_headers):
        agent = make_staff_user(session)

        response = client.patch(
            f"/v1/admin/staff/{agent.id}", json={"password": "short"}, headers=admin_headers
        )

        assert_problem(response, 422, field="password")

    def test_unknown_id_is_a_404(self, client, admin_headers):
        assert_problem(
            client.patch("/v1/admin/staff/999999", json={"active": False}, headers=admin_headers), 404
        )

    def test_agent_cannot_manage_staff(self, client, session, agent_headers):
        other = make_staff_user(session)

        assert_problem(client.get("/v1/admin/staff", headers=agent_headers), 403)
        assert_problem(client.post("/v1/admin/staff", json=NEW_AGENT, headers=agent_headers), 403)
        assert_problem(
            client.patch(f"/v1/admin/staff/{other.id}", json={"active": False}, headers=agent_headers), 403
        )
        assert log_in(client, other.email).status_code == 200


class TestLastAdmin:
    def test_the_last_active_admin_cannot_be_demoted_or_deactivated(self, client, session, admin_headers):
        from sqlmodel import select

        from accounts.models import StaffUser

        admin = session.exec(select(StaffUser).where(StaffUser.role == "admin")).one()
        for change in ({"role": "agent"}, {"active": False}):
            response = client.patch(f"/v1/admin/staff/{admin.id}", json=change, headers=admin_headers)
            assert response.status_code == 409
            assert response.json()["type"] == "/problems/last-admin"
        assert client.get("/v1/auth/me", headers=admin_headers).json()["role"] == "admin"

    def test_with_a_second_admin_one_may_step_down(self, client, session, admin_headers):
        from tests.factories import make_staff_user

        make_staff_user(session, role="admin")
        me = client.get("/v1/auth/me", headers=admin_headers).json()
        response = client.patch(f"/v1/admin/staff/{me['id']}", json={"role": "agent"}, headers=admin_headers)
        assert response.status_code == 200 and response.json()["role"] == "agent"
