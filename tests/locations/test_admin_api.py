"""Admin management of the practice network: service lines, services, sites and providers."""

import pytest

from locations import service as catalog
from tests.problems import assert_problem

NEW_SITE = {
    "slug": "pasadena",
    "name": "California Sports & Spine Institute, Pasadena",
    "address": {
        "line1": "100 E Colorado Blvd",
        "line2": "Suite 200",
        "city": "Pasadena",
        "state": "CA",
        "postal_code": "91105",
    },
    "phone": "(626) 555-0199",
    "timezone": "America/Los_Angeles",
    "latitude": 34.1456,
    "longitude": -118.1489,
    "opening_hours": [{"weekday": "mon", "opens": "08:00", "closes": "12:00"}],
    "services": ["pt_evaluation", "pain_consultation"],
}


def public_slugs(client, **params) -> list[str]:
    response = client.get("/v1/locations", params=params)
    assert response.status_code == 200, response.text
    return [match["location"]["slug"] for match in response.json()["results"]]


ADMIN_ENDPOINTS = [
    ("GET", "/v1/admin/service-lines", None),
    ("POST", "/v1/admin/service-lines", {"code": "sports", "name": "Sports medicine"}),
    ("PATCH", "/v1/admin/service-lines/physiatry", {"active": False}),
    ("GET", "/v1/admin/services", None),
    (
        "POST",
        "/v1/admin/services",
        {"code": "x", "name": "X", "service_line": "physiatry", "duration_minutes": 30},
    ),
    ("PATCH", "/v1/admin/services/pt_evaluation", {"active": False}),
    ("GET", "/v1/admin/locations", None),
    ("POST", "/v1/admin/locations", NEW_SITE),
    ("PATCH", "/v1/admin/locations/1", {"active": False}),
    ("GET", "/v1/admin/providers", None),
    ("POST", "/v1/admin/providers", {"display_name": "Dr. X", "service_lines": ["physiatry"]}),
    ("PATCH", "/v1/admin/providers/1", {"active": False}),
    ("GET", "/v1/admin/staff", None),
    (
        "POST",
        "/v1/admin/staff",
        {"email": "a@example.org", "full_name": "A", "role": "agent", "password": "x" * 12},
    ),
    ("PATCH", "/v1/admin/staff/1", {"active": False}),
]


@pytest.mark.usefixtures("demo")
class TestAdminAccess:
    @pytest.mark.parametrize(("method", "url", "body"), ADMIN_ENDPOINTS)
    def test_without_a_token_is_a_401_asking_for_a_bearer_token(self, client, method, url, body):
        response = client.request(method, url, json=body)

        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"

    @pytest.mark.parametrize(("method", "url", "body"), ADMIN_ENDPOINTS)
    def test_agent_token_is_a_403(self, client, agent_headers, method, url, body):
        response = client.request(method, url, json=body, headers=agent_headers)

        assert_problem(response, 403)

    def test_refused_write_changes_nothing(self, client, agent_headers):
        client.patch("/v1/admin/locations/1", json={"active": False}, headers=agent_headers)

        assert len(public_slugs(client)) == 3

    def test_garbage_token_is_a_401(self, client):
        response = client.get("/v1/admin/locations", headers={"Authorization": "Bearer not-a-token"})

        assert_problem(response, 401)


@pytest.mark.usefixtures("demo")
class TestAdminServiceLines:
    def test_create_then_it_is_public(self, client, admin_headers):
        body = {"code": "sports_medicine", "name": "Sports medicine", "description": "Injuries from sport."}

        response = client.post("/v1/admin/service-lines", json=body, headers=admin_headers)

        assert response.status_code == 201, response.text
        assert response.json() == body | {"active": True}
        assert "sports_medicine" in [line["code"] for line in client.get("/v1/service-lines").json()]

    def test_duplicate_code_is_a_409(self, client, admin_headers):
        response = client.post(
            "/v1/admin/service-lines", json={"code": "physiatry", "name": "Again"}, headers=admin_headers
        )

        problem = assert_problem(response, 409)
        assert "physiatry" in problem["detail"]

    @pytest.mark.parametrize("code", ["Physiatry", "2nd_line", "has space", "", "x" * 41])
    def test_bad_code_is_a_422_naming_code(self, client, admin_headers, code):
        response = client.post(
            "/v1/admin/service-lines", json={"code": code, "name": "X"}, headers=admin_headers
        )

        assert_problem(response, 422, field="code", location="body")

    def test_deactivating_hides_it_and_its_services_publicly_but_not_from_admins(self, client, admin_headers):
        response = client.patch(
            "/v1/admin/service-lines/physiatry", json={"active": False}, headers=admin_headers
        )

        assert response.status_code == 200
        assert response.json()["active"] is False
        assert "physiatry" not in [line["code"] for line in client.get("/v1/service-lines").json()]
        assert "physiatry_consultation" not in [s["code"] for s in client.get("/v1/services").json()]
        assert "physiatry" not in client.get("/v1/locations/glendale").json()["service_lines"]
        admin_view = client.get("/v1/admin/service-lines", headers=admin_headers).json()
        assert {"code": "physiatry", "active": False}.items() <= next(
            line for line in admin_view if line["code"] == "physiatry"
        ).items()

    def test_rename(self, client, admin_headers):
        response = client.patch(
            "/v1/admin/service-lines/physiatry",
            json={"name": "Rehabilitation medicine"},
            headers=admin_headers,
        )

        assert response.json()["name"] == "Rehabilitation medicine"
        lines = {line["code"]: line for line in client.get("/v1/service-lines").json()}
        assert lines["physiatry"]["name"] == "Rehabilitation medicine"

    def test_unknown_code_is_a_404(self, client, admin_headers):
        response = client.patch(
            "/v1/admin/service-lines/dentistry", json={"name": "X"}, headers=admin_headers
        )

        assert_problem(response, 404)

    def test_unknown_field_is_a_422_naming_it(self, client, admin_headers):
        response = client.patch(
            "/v1/admin/service-lines/physiatry", json={"colour": "red"}, headers=admin_headers
        )

        assert_problem(response, 422, field="colour", location="body")


@pytest.mark.usefixtures("demo")
class TestAdminServices:
    NEW_SERVICE = {
        "code": "dry_needling",
        "name": "Dry needling",
        "service_line": "physical_therapy",
        "duration_minutes": 30,
        "bookable_online": False,
    }

    def test_create_then_it_is_public(self, client, admin_headers):
        response = client.post("/v1/admin/services", json=self.NEW_SERVICE, headers=admin_headers)

        assert response.status_code == 201, response.text
        assert response.json()["service_line"] == "physical_therapy"
        public = {
            s["code"]: s
            for s in client.get("/v1/services", params={"service_line": "physical_therapy"}).json()
        }
        assert public["dry_needling"]["duration_minutes"] == 30

    def test_duplicate_code_is_a_409(self, client, admin_headers):
        response = client.post(
            "/v1/admin/services", json=self.NEW_SERVICE | {"code": "pt_evaluation"}, headers=admin_headers
        )

        assert_problem(response, 409)

    def test_unknown_service_line_is_a_422_naming_it(self, client, admin_headers):
        response = client.post(
            "/v1/admin/services",
            json=self.NEW_SERVICE | {"service_line": "chiropractic"},
            headers=admin_headers,
        )

        assert_problem(response, 422, field="service_line", location="body")

    @pytest.mark.parametrize(
        ("field", "value"), [("duration_minutes", 0), ("duration_minutes", 1000), ("code", "A")]
    )
    def test_out_of_range_value_is_a_422_naming_it(self, client, admin_headers, field, value):
        response = client.post(
            "/v1/admin/services", json=self.NEW_SERVICE | {field: value}, headers=admin_headers
        )

        assert_problem(response, 422, field=field)

    def test_client_cannot_set_an_id(self, client, admin_headers):
        response = client.post(
            "/v1/admin/services", json=self.NEW_SERVICE | {"id": 99}, headers=admin_headers
        )

        assert_problem(response, 422, field="id")

    def test_moving_to_another_line(self, client, admin_headers):
        response = client.patch(
            "/v1/admin/services/pt_session", json={"service_line": "physiatry"}, headers=admin_headers
        )

        assert response.json()["service_line"] == "physiatry"
        codes = [s["code"] for s in client.get("/v1/services", params={"service_line": "physiatry"}).json()]
        assert "pt_session" in codes

    def test_moving_to_an_unknown_line_is_a_422_and_changes_nothing(self, client, admin_headers):
        response = client.patch(
            "/v1/admin/services/pt_session", json={"service_line": "dentistry"}, headers=admin_headers
        )

        assert_problem(response, 422, field="service_line")
        services = {s["code"]: s for s in client.get("/v1/services").json()}
        assert services["pt_session"]["service_line"] == "physical_therapy"

    def test_deactivating_hides_it_publicly_and_from_site_search(self, client, admin_headers):
        client.patch("/v1/admin/services/emg_nerve_conduction", json={"active": False}, headers=admin_headers)

        assert "emg_nerve_conduction" not in [s["code"] for s in client.get("/v1/services").json()]
        assert "emg_nerve_conduction" not in client.get("/v1/locations/glendale").json()["services"]
        assert_problem(client.get("/v1/locations", params={"service": "emg_nerve_conduction"}), 422)
        admin_codes = [s["code"] for s in client.get("/v1/admin/services", headers=admin_headers).json()]
        assert "emg_nerve_conduction" in admin_codes

    def test_unknown_code_is_a_404(self, client, admin_headers):
        assert_problem(
            client.patch("/v1/admin/services/nope", json={"name": "X"}, headers=admin_headers), 404
        )


@pytest.mark.usefixtures("demo")
class TestAdminLocations:
    def create(self, client, admin_headers, **changes):
        return client.post("/v1/admin/locations", json=NEW_SITE | changes, headers=admin_headers)

    def test_create_then_it_is_found_nearest_to_its_zip(self, client, admin_headers):
        response = self.create(client, admin_headers)

        assert response.status_code == 201, response.text
        site = response.json()
        assert site["slug"] == "pasadena" and site["active"] is True
        assert site["services"] == ["pain_consultation", "pt_evaluation"]
        assert site["service_lines"] == ["interventional_pain", "physical_therapy"]
        assert site["opening_hours"] == [{"weekday": "mon", "opens": "08:00", "closes": "12:00"}]
        assert public_slugs(client, near="91105")[0] == "pasadena"
        assert client.get("/v1/locations/pasadena").json()["address"] == NEW_SITE["address"]

    def test_without_coordinates_it_is_placed_at_its_zip_centroid(self, client, admin_headers):
        body = {k: v for k, v in NEW_SITE.items() if k not in ("latitude", "longitude")}
        body["address"] = NEW_SITE["address"] | {"postal_code": "91204"}

        response = client.post("/v1/admin/locations", json=body, headers=admin_headers)

        assert response.status_code == 201, response.text
        assert (response.json()["latitude"], response.json()["longitude"]) == (34.1379, -118.2599)

    def test_without_coordinates_an_unknown_zip_is_a_422_naming_it(self, client, admin_headers):
        body = {k: v for k, v in NEW_SITE.items() if k not in ("latitude", "longitude")}
        body["address"] = NEW_SITE["address"] | {"postal_code": "00000"}

        response = client.post("/v1/admin/locations", json=body, headers=admin_headers)

        assert_problem(response, 422, field="address.postal_code", location="body")

    @pytest.mark.parametrize("missing", ["latitude", "longitude"])
    def test_only_one_coordinate_is_a_422_naming_the_missing_one(self, client, admin_headers, missing):
        body = {k: v for k, v in NEW_SITE.items() if k != missing}

        response = client.post("/v1/admin/locations", json=body, headers=admin_headers)

        assert_problem(response, 422, field=missing, location="body")

    def test_list_includes_inactive_sites(self, client, admin_headers):
        self.create(client, admin_headers, active=False)

        listed = {s["slug"]: s for s in client.get("/v1/admin/locations", headers=admin_headers).json()}

        assert listed["pasadena"]["active"] is False
        assert {"arcadia", "glendale", "palmdale"} <= set(listed)

    def test_duplicate_slug_is_a_409(self, client, admin_headers):
        problem = assert_problem(self.create(client, admin_headers, slug="glendale"), 409)

        assert "glendale" in problem["detail"]

    def test_renaming_to_a_taken_slug_is_a_409_and_changes_nothing(self, client, admin_headers):
        arcadia = client.get("/v1/locations/arcadia").json()

        response = client.patch(
            f"/v1/admin/locations/{arcadia['id']}", json={"slug": "glendale"}, headers=admin_headers
        )

        assert_problem(response, 409)
        assert client.get("/v1/locations/arcadia").json() == arcadia

    def test_unknown_service_code_is_a_422_naming_services(self, client, admin_headers):
        response = self.create(client, admin_headers, services=["pt_evaluation", "acupuncture"])

        problem = assert_problem(response, 422, field="services", location="body")
        assert "acupuncture" in problem["errors"][0]["message"]

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"timezone": "Pacific/Nowhere"}, "timezone"),
            ({"timezone": "PST"}, "timezone"),
            ({"slug": "12345"}, "slug"),
            ({"slug": "Bad Slug"}, "slug"),
            ({"phone": "call us"}, "phone"),
            ({"latitude": 91.0}, "latitude"),
            ({"longitude": -181.0}, "longitude"),
            ({"name": ""}, "name"),
        ],
    )
    def test_invalid_field_is_a_422_naming_it(self, client, admin_headers, changes, field):
        assert_problem(self.create(client, admin_headers, **changes), 422, field=field, location="body")

    @pytest.mark.parametrize(
        ("address_change", "field"),
        [({"state": "California"}, "address.state"), ({"postal_code": "9110"}, "address.postal_code")],
    )
    def test_invalid_address_part_is_a_422_naming_it(self, client, admin_headers, address_change, field):
        response = self.create(client, admin_headers, address=NEW_SITE["address"] | address_change)

        assert_problem(response, 422, field=field)

    @pytest.mark.parametrize("closes", ["08:00", "07:30"])
    def test_opening_hours_closing_before_opening_is_a_422_naming_the_field(
        self, client, admin_headers, closes
    ):
        hours = [
            {"weekday": "tue", "opens": "09:00", "closes": "17:00"},
            {"weekday": "mon", "opens": "08:00", "closes": closes},
        ]

        response = self.create(client, admin_headers, opening_hours=hours)

        problem = assert_problem(response, 422, field="opening_hours.1.closes", location="body")
        assert "opens" in problem["errors"][0]["message"]

    def test_unknown_weekday_is_a_422_naming_it(self, client, admin_headers):
        hours = [{"weekday": "funday", "opens": "09:00", "closes": "17:00"}]

        assert_problem(
            self.create(client, admin_headers, opening_hours=hours), 422, field="opening_hours.0.weekday"
        )

    @pytest.mark.parametrize(
        ("body_change", "field"),
        [
            ({"parking": "free"}, "parking"),
            ({"address": NEW_SITE["address"] | {"county": "Los Angeles"}}, "address.county"),
            ({"id": 42}, "id"),
        ],
    )
    def test_unknown_field_is_a_422_naming_it(self, client, admin_headers, body_change, field):
        assert_problem(self.create(client, admin_headers, **body_change), 422, field=field)

    def test_patch_replaces_services_and_hours(self, client, admin_headers):
        site_id = self.create(client, admin_headers).json()["id"]
        changes = {
            "name": "CSSI Pasadena",
            "services": ["physiatry_consultation"],
            "opening_hours": [{"weekday": "sat", "opens": "09:00", "closes": "13:00"}],
        }

        response = client.patch(f"/v1/admin/locations/{site_id}", json=changes, headers=admin_headers)

        assert response.status_code == 200, response.text
        site = client.get("/v1/locations/pasadena").json()
        assert site["name"] == "CSSI Pasadena"
        assert site["services"] == ["physiatry_consultation"]
        assert site["opening_hours"] == [{"weekday": "sat", "opens": "09:00", "closes": "13:00"}]
        assert public_slugs(client, near="91105", service_line="physiatry")[0] == "pasadena"

    def test_patch_moves_the_site(self, client, admin_headers):
        palmdale = client.get("/v1/locations/palmdale").json()

        client.patch(
            f"/v1/admin/locations/{palmdale['id']}",
            json={"latitude": 34.1379, "longitude": -118.2599},
            headers=admin_headers,
        )

        assert public_slugs(client, near="91204", limit=1) in (["palmdale"], ["glendale"])
        found = client.get("/v1/locations", params={"near": "91204"}).json()["results"]
        assert {m["location"]["slug"]: m["distance_miles"] for m in found}["palmdale"] == 0.0

    def test_patch_only_one_coordinate_is_a_422(self, client, admin_headers):
        response = client.patch("/v1/admin/locations/1", json={"latitude": 34.0}, headers=admin_headers)

        assert_problem(response, 422, field="longitude")

    def test_deactivating_hides_it_publicly(self, client, admin_headers):
        glendale = client.get("/v1/locations/glendale").json()

        response = client.patch(
            f"/v1/admin/locations/{glendale['id']}", json={"active": False}, headers=admin_headers
        )

        assert response.status_code == 200 and response.json()["active"] is False
        assert_problem(client.get("/v1/locations/glendale"), 404)
        assert_problem(client.get(f"/v1/locations/{glendale['id']}"), 404)
        assert "glendale" not in public_slugs(client)
        assert "glendale" not in public_slugs(client, near="91204")

    def test_reactivating_brings_it_back(self, client, admin_headers):
        glendale_id = client.get("/v1/locations/glendale").json()["id"]
        client.patch(f"/v1/admin/locations/{glendale_id}", json={"active": False}, headers=admin_headers)

        client.patch(f"/v1/admin/locations/{glendale_id}", json={"active": True}, headers=admin_headers)

        assert public_slugs(client, near="91204")[0] == "glendale"

    def test_unknown_id_is_a_404(self, client, admin_headers):
        assert_problem(
            client.patch("/v1/admin/locations/999999", json={"name": "X"}, headers=admin_headers), 404
        )


@pytest.mark.usefixtures("demo")
class TestAdminProviders:
    def test_create_with_lines_and_sites(self, client, admin_headers):
        glendale_id = client.get("/v1/locations/glendale").json()["id"]
        body = {
            "display_name": "Dr. Imaginary Fernsby",
            "credentials": "MD",
            "service_lines": ["physiatry"],
            "location_ids": [glendale_id],
        }

        response = client.post("/v1/admin/providers", json=body, headers=admin_headers)

        assert response.status_code == 201, response.text
        assert response.json() == response.json() | body | {"active": True}
        listed = client.get("/v1/admin/providers", headers=admin_headers).json()
        assert "Dr. Imaginary Fernsby" in [p["display_name"] for p in listed]

    def test_unknown_service_line_is_a_422_naming_service_lines(self, client, admin_headers):
        body = {"display_name": "Dr. X", "service_lines": ["dentistry"]}

        response = client.post("/v1/admin/providers", json=body, headers=admin_headers)

        assert_problem(response, 422, field="service_lines", location="body")

    def test_unknown_location_id_is_a_422_naming_location_ids(self, client, admin_headers):
        body = {"display_name": "Dr. X", "service_lines": ["physiatry"], "location_ids": [999999]}

        response = client.post("/v1/admin/providers", json=body, headers=admin_headers)

        problem = assert_problem(response, 422, field="location_ids", location="body")
        assert "999999" in problem["errors"][0]["message"]

    def test_no_service_line_is_a_422(self, client, admin_headers):
        body = {"display_name": "Dr. X", "service_lines": []}

        assert_problem(
            client.post("/v1/admin/providers", json=body, headers=admin_headers), 422, field="service_lines"
        )

    def test_patch_moves_them_to_other_sites(self, client, admin_headers):
        providers = client.get("/v1/admin/providers", headers=admin_headers).json()
        provider = next(p for p in providers if p["display_name"] == "Jordan Meadowlark")
        palmdale_id = client.get("/v1/locations/palmdale").json()["id"]

        response = client.patch(
            f"/v1/admin/providers/{provider['id']}",
            json={"location_ids": [palmdale_id]},
            headers=admin_headers,
        )

        assert response.json()["location_ids"] == [palmdale_id]

    def test_deactivate_keeps_them_listed_for_admins_only(self, client, admin_headers, session):
        provider = client.get("/v1/admin/providers", headers=admin_headers).json()[0]

        response = client.patch(
            f"/v1/admin/providers/{provider['id']}", json={"active": False}, headers=admin_headers
        )

        assert response.json()["active"] is False
        admin_view = {p["id"]: p for p in client.get("/v1/admin/providers", headers=admin_headers).json()}
        assert admin_view[provider["id"]]["active"] is False
        assert provider["id"] not in [p.id for p in catalog.list_providers(session=session)]

    def test_unknown_id_is_a_404(self, client, admin_headers):
        assert_problem(
            client.patch("/v1/admin/providers/999999", json={"credentials": "MD"}, headers=admin_headers), 404
        )
