"""The public read API of the practice network, as a patient's booking page uses it (contract v1)."""

import pytest
from geopy.distance import geodesic
from sqlmodel import select

from locations.demo import LOCATIONS
from locations.models import Location
from tests.factories import make_location, make_service, make_service_line
from tests.problems import assert_problem

DEMO_SITE = {spec["slug"]: spec for spec in LOCATIONS}


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [match["location"]["slug"] for match in response.json()["results"]]


def distances(response) -> list[float | None]:
    return [match["distance_miles"] for match in response.json()["results"]]


@pytest.mark.usefixtures("demo")
class TestListServiceLines:
    def test_lists_the_three_lines_with_descriptions(self, client):
        response = client.get("/v1/service-lines")
        assert response.status_code == 200
        body = response.json()
        assert [line["code"] for line in body] == ["interventional_pain", "physical_therapy", "physiatry"]
        assert all(line["name"] and line["description"] for line in body)

    def test_inactive_line_is_not_listed(self, client, session):
        make_service_line(session, code="chiropractic", name="Chiropractic", active=False)

        codes = [line["code"] for line in client.get("/v1/service-lines").json()]

        assert "chiropractic" not in codes


@pytest.mark.usefixtures("demo")
class TestListServices:
    def test_lists_every_visit_type_with_its_line_and_duration(self, client):
        response = client.get("/v1/services")

        assert response.status_code == 200
        services = {s["code"]: s for s in response.json()}
        assert services["pt_evaluation"] == services["pt_evaluation"] | {
            "service_line": "physical_therapy",
            "duration_minutes": 60,
            "bookable_online": True,
        }
        assert {s["service_line"] for s in services.values()} == {
            "interventional_pain",
            "physical_therapy",
            "physiatry",
        }

    def test_consultations_are_bookable_online_and_procedures_are_not(self, client):
        services = {s["code"]: s for s in client.get("/v1/services").json()}

        for code in ("pain_consultation", "pt_evaluation", "physiatry_consultation"):
            assert services[code]["bookable_online"] is True, code
        for code in (
            "epidural_steroid_injection",
            "nerve_block",
            "radiofrequency_ablation",
            "emg_nerve_conduction",
        ):
            assert services[code]["bookable_online"] is False, code

    def test_service_line_filter_keeps_only_that_lines_services(self, client):
        response = client.get("/v1/services", params={"service_line": "physiatry"})

        assert response.status_code == 200
        assert sorted(s["code"] for s in response.json()) == [
            "emg_nerve_conduction",
            "physiatry_consultation",
        ]

    def test_unknown_service_line_is_a_422_naming_it_and_listing_the_known_ones(self, client):
        response = client.get("/v1/services", params={"service_line": "chiropractic"})

        problem = assert_problem(response, 422, field="service_line", location="query")
        assert "physiatry" in problem["errors"][0]["message"]

    def test_inactive_service_is_not_listed(self, client, session):
        line = make_service_line(session, code="physiatry")
        make_service(session, line, code="retired_visit", active=False)

        codes = [s["code"] for s in client.get("/v1/services").json()]

        assert "retired_visit" not in codes

    def test_services_of_an_inactive_line_are_not_listed(self, client, session):
        line = make_service_line(session, code="chiropractic", name="Chiropractic", active=False)
        make_service(session, line, code="adjustment")

        codes = [s["code"] for s in client.get("/v1/services").json()]

        assert "adjustment" not in codes
        assert_problem(client.get("/v1/services", params={"service_line": "chiropractic"}), 422)


@pytest.mark.usefixtures("demo")
class TestSearchLocationsWithoutNear:
    def test_lists_every_active_site_by_name_with_no_distance(self, client):
        response = client.get("/v1/locations")

        assert slugs(response) == ["arcadia", "glendale", "palmdale"]
        assert distances(response) == [None, None, None]

    def test_inactive_site_is_hidden(self, client, session):
        make_location(session, slug="closed-site", name="A Closed Site", active=False)

        assert "closed-site" not in slugs(client.get("/v1/locations"))

    def test_limit_takes_the_first_sites_in_name_order(self, client, session):
        make_location(session, slug="aaa-site", name="AAA Site")

        assert slugs(client.get("/v1/locations", params={"limit": 2})) == ["aaa-site", "arcadia"]

    def test_filters_apply_without_near_too(self, client):
        assert slugs(client.get("/v1/locations", params={"service_line": "physiatry"})) == [
            "glendale",
            "palmdale",
        ]

    def test_radius_without_near_is_a_422_naming_the_radius(self, client):
        response = client.get("/v1/locations", params={"radius_miles": 10})

        problem = assert_problem(response, 422, field="radius_miles", location="query")
        assert "near" in problem["errors"][0]["message"]

    def test_each_result_carries_the_contract_fields(self, client):
        match = client.get("/v1/locations").json()["results"][1]

        assert set(match) >= {"location", "distance_miles"}
        location = match["location"]
        assert set(location) >= {
            "id",
            "slug",
            "name",
            "address",
            "phone",
            "timezone",
            "latitude",
            "longitude",
            "services",
        }
        assert location["address"] == {
            "line1": "317 S Brand Blvd",
            "line2": "Suite A-104",
            "city": "Glendale",
            "state": "CA",
            "postal_code": "91204",
        }
        assert location["phone"] == "(626) 460-1096"
        assert location["timezone"] == "America/Los_Angeles"
        assert "emg_nerve_conduction" in location["services"]


@pytest.mark.usefixtures("demo")
class TestSearchLocationsNear:
    def test_zip_in_glendale_puts_glendale_first(self, client):
        response = client.get("/v1/locations", params={"near": "91204"})

        assert slugs(response) == ["glendale", "arcadia", "palmdale"]

    @pytest.mark.parametrize("zip_code", ["93534", "93551"])
    def test_zip_in_antelope_valley_puts_palmdale_first(self, client, zip_code):
        assert slugs(client.get("/v1/locations", params={"near": zip_code}))[0] == "palmdale"

    @pytest.mark.parametrize("zip_code", ["91006", "91007"])
    def test_zip_in_arcadia_puts_arcadia_first(self, client, zip_code):
        assert slugs(client.get("/v1/locations", params={"near": zip_code}))[0] == "arcadia"

    def test_zip_plus_four_works_like_the_zip(self, client):
        plain = client.get("/v1/locations", params={"near": "91204"}).json()

        assert client.get("/v1/locations", params={"near": "91204-2108"}).json() == plain

    def test_coordinates_of_a_site_put_it_first_at_zero_miles(self, client):
        palmdale = DEMO_SITE["palmdale"]

        response = client.get(
            "/v1/locations", params={"near": f"{palmdale['latitude']},{palmdale['longitude']}"}
        )

        assert slugs(response)[0] == "palmdale"
        assert distances(response)[0] == 0.0

    @pytest.mark.parametrize(
        ("near", "first"),
        [("Glendale, CA", "glendale"), ("Palmdale, CA", "palmdale"), ("arcadia ca", "arcadia")],
    )
    def test_city_and_state_puts_that_citys_site_first(self, client, near, first):
        assert slugs(client.get("/v1/locations", params={"near": near}))[0] == first

    def test_distances_are_geodesic_miles_rounded_to_a_tenth_nearest_first(self, client):
        glendale, arcadia = DEMO_SITE["glendale"], DEMO_SITE["arcadia"]
        origin = (glendale["latitude"], glendale["longitude"])

        response = client.get("/v1/locations", params={"near": f"{origin[0]},{origin[1]}"})

        found = distances(response)
        assert found == sorted(found)
        assert all(d == round(d, 1) for d in found)
        expected = round(geodesic(origin, (arcadia["latitude"], arcadia["longitude"])).miles, 1)
        assert found[1] == expected
        assert 13 < expected < 14  # Glendale to Arcadia across the San Gabriel Valley

    def test_physiatry_filter_leaves_out_arcadia(self, client):
        response = client.get("/v1/locations", params={"near": "91006", "service_line": "physiatry"})

        assert slugs(response) == ["glendale", "palmdale"]

    def test_service_filter_keeps_only_sites_offering_it(self, client):
        assert slugs(
            client.get("/v1/locations", params={"near": "93534", "service": "emg_nerve_conduction"})
        ) == ["glendale"]
        assert slugs(
            client.get("/v1/locations", params={"near": "91204", "service": "spinal_cord_stimulator_trial"})
        ) == ["arcadia"]

    def test_service_and_line_filters_combine(self, client):
        response = client.get(
            "/v1/locations", params={"near": "91204", "service_line": "physiatry", "service": "pt_evaluation"}
        )

        assert slugs(response) == []

    def test_unknown_service_is_a_422_naming_it(self, client):
        response = client.get("/v1/locations", params={"near": "91204", "service": "acupuncture"})

        assert_problem(response, 422, field="service", location="query")

    def test_unknown_service_line_is_a_422_naming_it(self, client):
        response = client.get("/v1/locations", params={"near": "91204", "service_line": "dentistry"})

        assert_problem(response, 422, field="service_line", location="query")

    def test_radius_keeps_only_sites_that_close(self, client):
        assert slugs(client.get("/v1/locations", params={"near": "91204", "radius_miles": 5})) == ["glendale"]
        assert slugs(client.get("/v1/locations", params={"near": "91204", "radius_miles": 20})) == [
            "glendale",
            "arcadia",
        ]

    def test_radius_with_nothing_inside_is_an_empty_list(self, client):
        assert slugs(client.get("/v1/locations", params={"near": "10001", "radius_miles": 100})) == []

    def test_limit_keeps_the_nearest(self, client):
        assert slugs(client.get("/v1/locations", params={"near": "93551", "limit": 1})) == ["palmdale"]

    def test_far_away_origin_still_finds_the_nearest(self, client):
        response = client.get("/v1/locations", params={"near": "10001"})  # New York

        assert len(slugs(response)) == 3
        assert all(2400 < d < 2500 for d in distances(response))

    def test_inactive_site_is_never_found(self, client, session):
        make_location(session, slug="closed-glendale", latitude=34.1379, longitude=-118.2599, active=False)

        assert "closed-glendale" not in slugs(client.get("/v1/locations", params={"near": "91204"}))

    def test_site_offering_only_an_inactive_service_is_not_found_for_it(self, client, session):
        line = make_service_line(session, code="physiatry")
        retired = make_service(session, line, code="retired_visit", active=False)
        make_location(session, slug="retired-site", services=[retired])

        assert_problem(client.get("/v1/locations", params={"near": "91006", "service": "retired_visit"}), 422)
        found = client.get("/v1/locations", params={"near": "91006", "service_line": "physiatry"})
        assert "retired-site" not in slugs(found)

    @pytest.mark.parametrize(
        "near",
        [
            pytest.param("not a place at all", id="gibberish"),
            pytest.param("91,200", id="latitude-out-of-range"),
            pytest.param("34.1,-200", id="longitude-out-of-range"),
            pytest.param("", id="empty"),
            pytest.param("00000", id="unknown-zip"),
            pytest.param("Atlantis, ZZ", id="unknown-city"),
        ],
    )
    def test_unusable_near_is_a_422_naming_near_and_saying_what_works(self, client, near):
        response = client.get("/v1/locations", params={"near": near})

        problem = assert_problem(response, 422, field="near", location="query")
        message = problem["errors"][0]["message"]
        assert "ZIP" in message or "latitude" in message

    @pytest.mark.parametrize("limit", [0, -1, 501])
    def test_limit_out_of_range_is_a_422_naming_limit(self, client, limit):
        assert_problem(client.get("/v1/locations", params={"limit": limit}), 422, field="limit")

    @pytest.mark.parametrize("radius", [0, -5, 5001])
    def test_radius_out_of_range_is_a_422_naming_it(self, client, radius):
        response = client.get("/v1/locations", params={"near": "91204", "radius_miles": radius})

        assert_problem(response, 422, field="radius_miles")


@pytest.mark.usefixtures("demo")
class TestGetLocation:
    def test_by_slug(self, client):
        response = client.get("/v1/locations/palmdale")

        assert response.status_code == 200
        body = response.json()
        assert body["name"] == "California Sports & Spine Institute, Palmdale"
        assert body["address"]["postal_code"] == "93551"
        assert (body["latitude"], body["longitude"]) == (34.6336, -118.1467)

    def test_by_id_is_the_same_site(self, client):
        by_slug = client.get("/v1/locations/glendale").json()

        assert client.get(f"/v1/locations/{by_slug['id']}").json() == by_slug

    def test_lists_services_and_weekly_hours(self, client):
        body = client.get("/v1/locations/arcadia").json()

        assert "spinal_cord_stimulator_trial" in body["services"]
        assert "physiatry_consultation" not in body["services"]
        assert body["opening_hours"][0] == {"weekday": "mon", "opens": "08:00", "closes": "17:00"}

    @pytest.mark.parametrize("key", ["pasadena", "999999", "0"])
    def test_unknown_is_a_404_problem(self, client, key):
        problem = assert_problem(client.get(f"/v1/locations/{key}"), 404)

        assert key in problem["detail"]

    def test_inactive_site_is_a_404_publicly(self, client, session):
        closed = make_location(session, slug="closed-site", active=False)

        assert_problem(client.get("/v1/locations/closed-site"), 404)
        assert_problem(client.get(f"/v1/locations/{closed.id}"), 404)


@pytest.mark.usefixtures("demo")
class TestSearchLocationsWithOnlineGeocoder:
    def test_street_address_is_resolved_online(self, client, online_geocoder):
        response = client.get("/v1/locations", params={"near": "317 S Brand Blvd, Glendale"})

        assert slugs(response)[0] == "glendale"
        assert distances(response)[0] == 0.0

    def test_geocoder_down_is_a_503_problem_saying_what_still_works(self, client, online_geocoder):
        online_geocoder.failing = True

        response = client.get("/v1/locations", params={"near": "317 S Brand Blvd, Glendale"})

        problem = assert_problem(response, 503)
        assert "ZIP" in problem["detail"]

    def test_zip_still_works_while_the_geocoder_is_down(self, client, online_geocoder):
        online_geocoder.failing = True

        assert slugs(client.get("/v1/locations", params={"near": "91204"}))[0] == "glendale"


@pytest.mark.usefixtures("demo")
class TestOneViewOfASite:
    @pytest.mark.parametrize("params", [{"near": "91204"}, {}], ids=["near", "all"])
    def test_search_results_show_each_site_exactly_as_get_location_does(self, client, session, params):
        glendale = session.exec(select(Location).where(Location.slug == "glendale")).one()
        retired = make_service(session, make_service_line(session, code="physiatry"), active=False)
        glendale.services.append(retired)  # offered, but deactivated: shown in neither view
        session.add(glendale)
        session.commit()

        for match in client.get("/v1/locations", params=params).json()["results"]:
            location = match["location"]
            assert client.get(f"/v1/locations/{location['id']}").json() == location
