"""Every error is RFC 9457 problem+json naming what was wrong; no input ever produces a 500."""

from urllib.parse import quote

import pytest

from tests.problems import PROBLEM_JSON, assert_problem


class TestUnknownRoute:
    def test_is_a_404_problem_naming_the_path(self, client):
        response = client.get("/v1/no-such-thing")

        problem = assert_problem(response, 404)
        assert problem["instance"] == "/v1/no-such-thing"
        assert "/v1/no-such-thing" in problem["detail"]

    def test_wrong_method_is_a_405_problem_saying_what_is_allowed(self, client):
        response = client.delete("/v1/service-lines")

        assert_problem(response, 405)
        assert "GET" in response.headers["allow"]


class TestMalformedBody:
    def test_broken_json_is_a_422_naming_the_body(self, client, admin_headers):
        response = client.post(
            "/v1/admin/service-lines",
            content=b'{"code": "sports", "name": ',
            headers=admin_headers | {"Content-Type": "application/json"},
        )

        problem = assert_problem(response, 422, field="body", location="body")
        assert "JSON" in problem["errors"][0]["message"]

    def test_json_that_is_not_an_object_is_a_422_naming_the_body(self, client, admin_headers):
        response = client.post("/v1/admin/service-lines", json=["sports"], headers=admin_headers)

        assert_problem(response, 422, field="body", location="body")

    def test_missing_body_is_a_422_naming_the_body(self, client, admin_headers):
        response = client.post("/v1/admin/service-lines", headers=admin_headers)

        assert_problem(response, 422, field="body", location="body")

    def test_each_bad_field_is_named(self, client, admin_headers):
        response = client.post(
            "/v1/admin/service-lines", json={"code": "Not A Code!", "name": ""}, headers=admin_headers
        )

        problem = assert_problem(response, 422, field="code", location="body")
        assert_problem(response, 422, field="name", location="body")
        assert "code" in problem["detail"] and "name" in problem["detail"]


class TestWrongQueryType:
    def test_text_for_a_number_is_a_422_naming_the_parameter(self, client):
        response = client.get("/v1/locations", params={"limit": "ten"})

        problem = assert_problem(response, 422, field="limit", location="query")
        assert "integer" in problem["errors"][0]["message"]

    def test_text_for_a_decimal_is_a_422_naming_the_parameter(self, client):
        response = client.get("/v1/locations", params={"near": "91204", "radius_miles": "far"})

        assert_problem(response, 422, field="radius_miles", location="query")


class TestContentType:
    def test_errors_are_problem_json_and_successes_plain_json(self, client):
        assert client.get("/v1/nowhere").headers["content-type"] == PROBLEM_JSON
        assert client.get("/healthz").headers["content-type"] == "application/json"


INT32_OVERFLOW = str(2**31)
INT64_OVERFLOW = str(2**63)
ODD_TEXT = [
    pytest.param("x" * 20_000, id="very-long"),
    pytest.param("Glendale ☀ café, ÇA", id="unicode"),
    pytest.param("😀" * 40, id="emoji"),
    pytest.param("a\x00b", id="nul-character"),
    pytest.param("-1", id="negative"),
    pytest.param("0", id="zero"),
    pytest.param(INT32_OVERFLOW, id="overflows-int32"),
    pytest.param(INT64_OVERFLOW, id="overflows-int64"),
    pytest.param("9" * 40, id="forty-digits"),
    pytest.param("²", id="superscript-digit"),
    pytest.param("١٢", id="arabic-indic-digits"),
    pytest.param("   ", id="blank"),
    pytest.param("'; DROP TABLE location; --", id="sql"),
    pytest.param("1e400,5", id="float-overflow"),
    pytest.param("nan,nan", id="nan"),
]


def _requests(value: str) -> list[tuple[str, str, dict]]:
    """Every public and admin entry point, with `value` wherever the client chooses text or an id."""
    in_path = quote(value, safe="")
    as_id: object = int(value) if value.lstrip("-").isascii() and value.lstrip("-").isdigit() else value
    return [
        ("GET", f"/v1/locations/{in_path}", {}),
        ("GET", "/v1/locations", {"params": {"near": value}}),
        ("GET", "/v1/locations", {"params": {"service_line": value}}),
        ("GET", "/v1/locations", {"params": {"service": value}}),
        ("GET", "/v1/locations", {"params": {"near": "91204", "radius_miles": value}}),
        ("GET", "/v1/locations", {"params": {"limit": value}}),
        ("GET", "/v1/services", {"params": {"service_line": value}}),
        ("POST", "/v1/auth/token", {"data": {"username": value, "password": value}}),
        ("PATCH", f"/v1/admin/locations/{in_path}", {"json": {"name": "Renamed"}}),
        ("PATCH", f"/v1/admin/providers/{in_path}", {"json": {"credentials": "MD"}}),
        ("PATCH", f"/v1/admin/staff/{in_path}", {"json": {"full_name": "Renamed"}}),
        ("PATCH", f"/v1/admin/services/{in_path}", {"json": {"name": "Renamed"}}),
        ("PATCH", f"/v1/admin/service-lines/{in_path}", {"json": {"name": "Renamed"}}),
        ("POST", "/v1/admin/service-lines", {"json": {"code": "odd_line", "name": value}}),
        ("POST", "/v1/admin/services", {"json": {"code": "odd", "name": "Odd", "service_line": value}}),
        (
            "POST",
            "/v1/admin/providers",
            {"json": {"display_name": value, "service_lines": ["physiatry"], "location_ids": [as_id]}},
        ),
        (
            "POST",
            "/v1/admin/locations",
            {
                "json": {
                    "slug": "odd-site",
                    "name": value,
                    "phone": "(626) 555-0100",
                    "address": {"line1": value, "city": "Arcadia", "state": "CA", "postal_code": "91006"},
                    "services": [value],
                }
            },
        ),
        ("POST", "/v1/admin/staff", {"json": {"email": value, "full_name": value, "role": "agent"}}),
    ]


@pytest.mark.usefixtures("demo")
class TestOddInput:
    @pytest.mark.parametrize("value", ODD_TEXT)
    def test_never_fails_on_our_side(self, client, admin_headers, value):
        failures = []
        for method, url, kwargs in _requests(value):
            if url.startswith("/v1/admin"):
                kwargs = kwargs | {"headers": admin_headers}
            response = client.request(method, url, **kwargs)
            if response.status_code >= 500:
                failures.append(f"{method} {url[:60]} -> {response.status_code}")
            elif response.status_code >= 400:
                assert response.headers["content-type"] == PROBLEM_JSON, (method, url[:60])
        assert failures == []

    @pytest.mark.parametrize("location_id", ["-1", "0", INT32_OVERFLOW, INT64_OVERFLOW, "9" * 40, "²"])
    def test_impossible_location_id_is_not_found(self, client, location_id):
        assert_problem(client.get(f"/v1/locations/{quote(location_id)}"), 404)

    @pytest.mark.parametrize("staff_id", ["-1", "0", INT32_OVERFLOW, INT64_OVERFLOW])
    def test_impossible_id_in_an_admin_path_is_a_422_naming_it(self, client, admin_headers, staff_id):
        response = client.patch(f"/v1/admin/staff/{staff_id}", json={"active": False}, headers=admin_headers)

        assert_problem(response, 422, field="staff_id", location="path")

    def test_impossible_id_in_a_body_is_a_422_naming_it(self, client, admin_headers):
        body = {"display_name": "Dr. Big", "service_lines": ["physiatry"], "location_ids": [2**63]}

        response = client.post("/v1/admin/providers", json=body, headers=admin_headers)

        assert_problem(response, 422, field="location_ids.0", location="body")

    @pytest.mark.parametrize("path", ["/v1/locations/glen%00dale", "/v1/no%00where"])
    def test_nul_character_in_the_path_is_a_404(self, client, path):
        assert_problem(client.get(path), 404)

    def test_nul_character_in_the_query_is_a_422_naming_the_parameter(self, client):
        response = client.get("/v1/locations", params={"service_line": "physiatry\x00"})

        assert_problem(response, 422, field="service_line", location="query")

    def test_nul_character_in_a_body_is_a_422_naming_the_field(self, client, admin_headers):
        body = {"code": "sports", "name": "Sports\x00medicine"}

        response = client.post("/v1/admin/service-lines", json=body, headers=admin_headers)

        assert_problem(response, 422, field="name", location="body")
