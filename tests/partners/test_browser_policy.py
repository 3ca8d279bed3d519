"""CORS for partner origins, who may frame /embed, and the headers every response carries."""

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from partners import service as partners_service
from partners.middleware import BrowserPolicyMiddleware
from tests.partners.conftest import CLINIC, ELSEWHERE, GYM, make_partner, partner_headers
from tests.problems import assert_problem


def preflight(client, path="/v1/appointments", origin=GYM, method="POST"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type,x-partner-key,idempotency-key",
        },
    )


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("vary", "").split(",") if part.strip()}


class TestPreflight:
    def test_an_active_partners_origin_gets_the_grant(self, client, partner):
        response = preflight(client)

        assert response.status_code == 204
        assert response.headers["access-control-allow-origin"] == GYM
        assert {"GET", "POST", "DELETE"} <= {
            m.strip() for m in response.headers["access-control-allow-methods"].split(",")
        }
        allowed_headers = response.headers["access-control-allow-headers"].lower()
        for header in ("content-type", "x-partner-key", "idempotency-key", "x-manage-token"):
            assert header in allowed_headers
        assert int(response.headers["access-control-max-age"]) > 0
        assert "origin" in vary(response)

    @pytest.mark.parametrize("path", ["/v1/availability", "/v1/holds/abc", "/v1/locations", "/v1/services"])
    def test_every_public_path_is_granted(self, client, partner, path):
        assert preflight(client, path=path, method="GET").headers["access-control-allow-origin"] == GYM

    def test_an_unknown_origin_is_refused_without_a_grant(self, client, partner):
        response = preflight(client, origin=ELSEWHERE)

        assert_problem(response, 403)
        assert "access-control-allow-origin" not in response.headers
        assert "origin" in vary(response)

    def test_an_inactive_partners_origin_is_refused(self, client, session):
        make_partner(session, allowed_origins=[CLINIC], active=False)

        assert "access-control-allow-origin" not in preflight(client, origin=CLINIC).headers

    @pytest.mark.parametrize("path", ["/v1/staff/patients", "/v1/admin/partners", "/v1/auth/token"])
    def test_staff_and_admin_routes_are_never_granted(self, client, partner, path):
        assert "access-control-allow-origin" not in preflight(client, path=path).headers

    def test_a_new_partner_is_granted_at_once(self, client, admin_headers):
        assert preflight(client, origin=CLINIC).status_code == 403  # now cached: no partner on CLINIC

        client.post(
            "/v1/admin/partners", json={"name": "Clinic", "allowed_origins": [CLINIC]}, headers=admin_headers
        )

        assert preflight(client, origin=CLINIC).status_code == 204


class TestActualResponses:
    def test_the_partners_origin_with_its_key_may_read_the_response(self, client, network, partner):
        response = client.get("/v1/locations", headers=partner_headers(partner))

        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == GYM
        assert "origin" in vary(response)
        assert "idempotent-replayed" in response.headers["access-control-expose-headers"].lower()

    def test_another_origin_with_the_key_gets_no_grant(self, client, network, partner):
        response = client.get("/v1/locations", headers=partner_headers(partner, origin=ELSEWHERE))

        assert response.status_code == 403
        assert "access-control-allow-origin" not in response.headers
        assert "origin" in vary(response)

    def test_without_a_key_no_origin_is_granted(self, client, network, partner):
        response = client.get("/v1/locations", headers={"Origin": GYM})

        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers
        assert "origin" in vary(response)

    def test_the_key_of_another_partner_grants_nothing(self, client, session, network, partner):
        clinic = make_partner(session, allowed_origins=[CLINIC])

        response = client.get("/v1/locations", headers=partner_headers(clinic, origin=GYM))

        assert_problem(response, 403)
        assert "access-control-allow-origin" not in response.headers

    def test_errors_reach_the_partners_page_too(self, client, network, partner):
        response = client.get(
            "/v1/availability", params={"service": "nope"}, headers=partner_headers(partner)
        )

        assert_problem(response, 422, field="service")
        assert response.headers["access-control-allow-origin"] == GYM

    def test_staff_routes_never_grant_an_origin(self, client, partner, agent_headers):
        response = client.get("/v1/auth/me", headers=partner_headers(partner) | agent_headers)

        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers


class TestFraming:
    def test_embed_with_a_key_may_be_framed_by_the_partners_origins_only(self, client, session):
        partner = make_partner(session, allowed_origins=[GYM, CLINIC])

        response = client.get("/embed", params={"key": partner.publishable_key})

        assert response.headers["content-security-policy"] == f"frame-ancestors {GYM} {CLINIC}"
        assert "x-frame-options" not in response.headers

    @pytest.mark.parametrize("query", [{}, {"key": ""}, {"key": "pk_unknown"}, {"other": "1"}])
    def test_embed_without_a_valid_key_may_not_be_framed(self, client, partner, query):
        response = client.get("/embed", params=query)

        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"

    def test_embed_with_an_inactive_partners_key_may_not_be_framed(self, client, session):
        partner = make_partner(session, active=False)

        response = client.get("/embed", params={"key": partner.publishable_key})

        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"

    def test_a_rotated_key_no_longer_frames(self, client, partner, admin_headers):
        old_key = partner.publishable_key
        client.post(f"/v1/admin/partners/{partner.id}/rotate-key", headers=admin_headers)

        response = client.get("/embed", params={"key": old_key})

        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"

    @pytest.mark.parametrize("path", ["/healthz", "/docs", "/v1/service-lines", "/v1/nothing-here", "/"])
    def test_every_other_response_forbids_framing(self, client, partner, path):
        response = client.get(path, params={"key": partner.publishable_key})

        assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert response.headers["x-frame-options"] == "DENY"

    @pytest.mark.parametrize("path", ["/healthz", "/embed", "/v1/locations", "/v1/nothing-here"])
    def test_every_response_has_nosniff_and_a_referrer_policy(self, client, path):
        response = client.get(path)

        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


class TestAPagesOwnPolicy:
    """On a page that sends its own CSP, only the frame-ancestors directive is ours."""

    @pytest.fixture
    def page_client(self, session):
        app = FastAPI()
        app.add_middleware(BrowserPolicyMiddleware)
        policy = "default-src 'self'; frame-ancestors *; img-src data:"

        @app.get("/embed")
        def embed() -> HTMLResponse:
            return HTMLResponse(
                "<p>widget</p>", headers={"Content-Security-Policy": policy, "X-Frame-Options": "DENY"}
            )

        @app.get("/page")
        def page() -> HTMLResponse:
            return HTMLResponse("<p>page</p>", headers={"Content-Security-Policy": policy})

        from core.database import get_session

        app.dependency_overrides[get_session] = lambda: session
        with TestClient(app) as test_client:
            yield test_client

    def test_the_embed_page_keeps_its_policy_with_our_frame_ancestors(self, page_client, partner):
        response = page_client.get("/embed", params={"key": partner.publishable_key})

        assert response.text == "<p>widget</p>"
        assert response.headers["content-security-policy"] == (
            f"default-src 'self'; img-src data:; frame-ancestors {GYM}"
        )
        assert "x-frame-options" not in response.headers

    def test_another_page_keeps_its_policy_and_may_not_be_framed(self, page_client):
        response = page_client.get("/page")

        assert response.headers["content-security-policy"] == (
            "default-src 'self'; img-src data:; frame-ancestors 'none'"
        )
        assert response.headers["x-frame-options"] == "DENY"


class TestOriginDirectoryCache:
    def test_preflights_reuse_the_loaded_origins(self, client, partner, monkeypatch):
        loads = []
        real_load = partners_service.load_origin_directory
        monkeypatch.setattr(
            partners_service, "load_origin_directory", lambda session: loads.append(1) or real_load(session)
        )

        for _ in range(5):
            assert preflight(client).status_code == 204

        assert len(loads) == 1

    def test_it_is_reloaded_after_the_cache_time(self, client, partner, monkeypatch):
        from core.settings import get_settings

        monkeypatch.setattr(get_settings(), "partner_cache_seconds", 0.0)
        loads = []
        real_load = partners_service.load_origin_directory
        monkeypatch.setattr(
            partners_service, "load_origin_directory", lambda session: loads.append(1) or real_load(session)
        )

        preflight(client)
        preflight(client)

        assert len(loads) == 2
