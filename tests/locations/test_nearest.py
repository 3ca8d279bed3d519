"""The bounding-box search must find exactly what ranking every site by geodesic distance finds."""

import itertools
import math
import random

import pytest
from geopy.distance import geodesic
from sqlmodel import Session

from locations.geocoding import GeoPoint
from locations.models import Location
from locations.nearest import (
    EARTH_RADIUS_MILES,
    SiteFilter,
    bounding_box,
    find_nearest_locations,
    haversine_miles,
    nearest_site_ids,
)
from tests.factories import make_service, make_service_line

CONTINENTAL_US = ((24.5, 49.0), (-124.7, -67.0))
_numbers = itertools.count(1)


def add_sites(
    session: Session, points: list[tuple[float, float]], services_for=lambda i: []
) -> list[Location]:
    """Sites at `points` in one commit (a few hundred one by one would dominate the test's time)."""
    sites = []
    for i, (lat, lon) in enumerate(points):
        n = next(_numbers)
        site = Location(
            slug=f"grid-{n}",
            name=f"Grid site {n}",
            address_line1=f"{n} Grid Rd",
            city="Anytown",
            state="CA",
            postal_code="91006",
            phone="(626) 555-0100",
            timezone="America/Los_Angeles",
            latitude=lat,
            longitude=lon,
        )
        site.services = list(services_for(i))
        sites.append(site)
    session.add_all(sites)
    session.commit()
    return sites


def geodesic_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The reference: geopy's own geodesic, not the search's (which may take shortcuts to it)."""
    return float(geodesic((lat1, lon1), (lat2, lon2)).miles)


def brute_force(
    sites: list[Location], origin: GeoPoint, *, limit: int, radius_miles: float | None = None
) -> list[tuple[int, float]]:
    ranked = sorted(
        (geodesic_miles(origin.latitude, origin.longitude, s.latitude, s.longitude), s.id) for s in sites
    )
    return [(site_id, miles) for miles, site_id in ranked if radius_miles is None or miles <= radius_miles][
        :limit
    ]


def random_point(rng: random.Random, box=CONTINENTAL_US) -> tuple[float, float]:
    (lat_min, lat_max), (lon_min, lon_max) = box
    return rng.uniform(lat_min, lat_max), rng.uniform(lon_min, lon_max)


class TestHaversine:
    @pytest.mark.parametrize(
        ("a", "b"),
        [
            ((34.14, -118.02), (34.63, -118.15)),  # Arcadia to Palmdale
            ((40.71, -74.0), (34.05, -118.24)),  # coast to coast
            ((0.0, 0.0), (0.0, 179.0)),  # along the equator, nearly antipodal
            ((89.9, 0.0), (89.9, 180.0)),  # over the pole
            ((-33.9, 151.2), (51.5, -0.1)),  # Sydney to London
        ],
    )
    def test_stays_within_the_slack_the_search_allows(self, a, b):
        sphere, ellipsoid = haversine_miles(*a, *b), geodesic_miles(*a, *b)

        assert abs(sphere - ellipsoid) <= 0.006 * ellipsoid


def destination(lat: float, lon: float, bearing: float, miles: float) -> tuple[float, float]:
    """The point `miles` from (lat, lon) along `bearing`, on the haversine's sphere."""
    phi1, lambda1, theta = math.radians(lat), math.radians(lon), math.radians(bearing)
    delta = miles / EARTH_RADIUS_MILES
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
    lambda2 = lambda1 + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lambda2) + 540) % 360 - 180


def in_box(box, lat: float, lon: float) -> bool:
    south, north = box.latitude
    return south <= lat <= north and (
        not box.longitudes or any(west <= lon <= east for west, east in box.longitudes)
    )


class TestBoundingBox:
    def test_holds_every_point_within_the_radius_anywhere_on_earth(self):
        rng = random.Random(6)
        for _ in range(20_000):
            lat = rng.choice([rng.uniform(-90, 90), rng.uniform(85, 90), rng.uniform(-90, -85)])
            lon = rng.choice([rng.uniform(-180, 180), rng.uniform(175, 180), rng.uniform(-180, -175)])
            radius = 10 ** rng.uniform(-1, 4)
            point = destination(lat, lon, rng.uniform(0, 360), radius * rng.uniform(0, 1))

            assert in_box(bounding_box(lat, lon, radius), *point), (lat, lon, radius, point)

    def test_is_narrow_where_it_can_be(self):
        box = bounding_box(34.14, -118.02, 25.0)

        assert box.longitudes and box.longitudes[0][1] - box.longitudes[0][0] < 1.0
        assert box.latitude[1] - box.latitude[0] < 1.0

    def test_across_the_antimeridian_is_two_ranges_not_every_longitude(self):
        box = bounding_box(-17.8, 179.9, 50.0)

        assert len(box.longitudes) == 2
        assert in_box(box, -17.8, -179.9) and not in_box(box, -17.8, 0.0)

    def test_reaching_over_a_pole_covers_every_longitude(self):
        # 10 miles from a point 3.5 miles from the pole reaches the far side of it.
        assert bounding_box(89.95, 0.0, 10.0).longitudes == ()


class TestNearestSiteIdsAcrossTheUS:
    @pytest.fixture
    def us_sites(self, session):
        rng = random.Random(20261123)
        points = [random_point(rng) for _ in range(300)]
        points += [(34.1405, -118.0240)] * 3  # sites sharing a building: ties broken by id
        points += [random_point(rng, ((34.0, 34.3), (-118.4, -118.0))) for _ in range(40)]  # a dense metro
        return add_sites(session, points)

    def test_matches_brute_force_for_random_origins_and_limits(self, session, us_sites):
        rng = random.Random(1)
        for _ in range(40):
            origin = GeoPoint(*random_point(rng, ((20.0, 52.0), (-130.0, -60.0))), "random")
            limit = rng.choice([1, 3, 10, 25, 400])

            found = nearest_site_ids(
                session, origin, site_filter=SiteFilter(), radius_miles=None, limit=limit
            )

            assert found == brute_force(us_sites, origin, limit=limit), (origin, limit)

    def test_matches_brute_force_within_a_radius(self, session, us_sites):
        rng = random.Random(2)
        for _ in range(40):
            origin = GeoPoint(*random_point(rng), "random")
            limit, radius = rng.choice([1, 5, 50]), rng.choice([1.0, 10.0, 60.0, 250.0, 1500.0])

            found = nearest_site_ids(
                session, origin, site_filter=SiteFilter(), radius_miles=radius, limit=limit
            )

            assert found == brute_force(us_sites, origin, limit=limit, radius_miles=radius), (origin, radius)

    def test_site_on_the_origin_is_first_at_zero_and_ties_keep_id_order(self, session, us_sites):
        shared = [s.id for s in us_sites if (s.latitude, s.longitude) == (34.1405, -118.0240)]

        found = nearest_site_ids(
            session, GeoPoint(34.1405, -118.0240, "x"), site_filter=SiteFilter(), radius_miles=None, limit=3
        )

        assert found == [(site_id, 0.0) for site_id in sorted(shared)]

    def test_origin_far_from_every_site_still_gets_the_nearest(self, session, us_sites):
        origin = GeoPoint(-33.87, 151.21, "Sydney")

        found = nearest_site_ids(session, origin, site_filter=SiteFilter(), radius_miles=None, limit=5)

        assert found == brute_force(us_sites, origin, limit=5)

    def test_inactive_sites_are_never_returned(self, session, us_sites):
        origin = GeoPoint(us_sites[0].latitude, us_sites[0].longitude, "first")
        us_sites[0].active = False
        session.add(us_sites[0])
        session.commit()

        found = nearest_site_ids(session, origin, site_filter=SiteFilter(), radius_miles=None, limit=10)

        assert found == brute_force(us_sites[1:], origin, limit=10)


class TestNearestSiteIdsAtTheEdgesOfTheMap:
    @pytest.fixture
    def world_sites(self, session):
        rng = random.Random(3)
        points = [(rng.uniform(85.0, 90.0), rng.uniform(-180.0, 180.0)) for _ in range(40)]  # Arctic
        points += [(rng.uniform(-90.0, -85.0), rng.uniform(-180.0, 180.0)) for _ in range(40)]  # Antarctic
        points += [
            (rng.uniform(-20.0, -15.0), rng.choice([-1, 1]) * rng.uniform(177.0, 180.0)) for _ in range(60)
        ]
        points += [(90.0, 0.0), (-90.0, 0.0), (0.0, 180.0), (0.0, -180.0)]
        return add_sites(session, points)

    @pytest.mark.parametrize(
        "origin",
        [
            pytest.param((89.99, 45.0), id="next-to-the-north-pole"),
            pytest.param((90.0, 0.0), id="on-the-north-pole"),
            pytest.param((-88.0, -170.0), id="near-the-south-pole"),
            pytest.param((-17.8, 179.99), id="fiji-east-of-the-antimeridian"),
            pytest.param((-17.8, -179.99), id="fiji-west-of-the-antimeridian"),
            pytest.param((0.0, 180.0), id="equator-on-the-antimeridian"),
            pytest.param((86.0, -179.5), id="arctic-and-antimeridian"),
        ],
    )
    @pytest.mark.parametrize(("limit", "radius"), [(5, None), (20, None), (50, 300.0), (3, 40.0)])
    def test_matches_brute_force(self, session, world_sites, origin, limit, radius):
        point = GeoPoint(*origin, "edge")

        found = nearest_site_ids(session, point, site_filter=SiteFilter(), radius_miles=radius, limit=limit)

        assert found == brute_force(world_sites, point, limit=limit, radius_miles=radius)

    def test_site_just_over_the_pole_is_found_within_a_small_radius(self, session):
        over_the_pole, _ = add_sites(session, [(89.98, 180.0), (80.0, 0.0)])

        found = nearest_site_ids(
            session,
            GeoPoint(89.95, 0.0, "near the pole"),
            site_filter=SiteFilter(),
            radius_miles=5.0,
            limit=1,
        )

        assert found and found[0][0] == over_the_pole.id

    def test_sites_across_the_antimeridian_are_neighbours(self, session, world_sites):
        east = add_sites(session, [(-17.8, 179.999)])[0]

        found = nearest_site_ids(
            session, GeoPoint(-17.8, -179.999, "west"), site_filter=SiteFilter(), radius_miles=1.0, limit=1
        )

        assert found and found[0][0] == east.id and found[0][1] < 0.2


class TestFilteredSearch:
    @pytest.fixture
    def network(self, session):
        pain, therapy = (
            make_service_line(session, code="pain_line"),
            make_service_line(session, code="pt_line"),
        )
        services = [
            make_service(session, pain, code="consult"),
            make_service(session, pain, code="injection"),
            make_service(session, therapy, code="evaluation"),
        ]
        rng = random.Random(4)
        offered = {i: rng.sample(services, rng.randint(0, 3)) for i in range(200)}
        sites = add_sites(session, [random_point(rng) for _ in range(200)], lambda i: offered[i])
        return {"sites": sites, "offered": offered, "services": services}

    @pytest.mark.parametrize(
        ("service_line", "service", "wanted"),
        [
            ("pain_line", None, lambda codes: bool(codes & {"consult", "injection"})),
            ("pt_line", None, lambda codes: "evaluation" in codes),
            (None, "injection", lambda codes: "injection" in codes),
            ("pt_line", "evaluation", lambda codes: "evaluation" in codes),
            ("pt_line", "consult", lambda codes: False),
        ],
    )
    def test_finds_the_nearest_offering_what_was_asked(self, session, network, service_line, service, wanted):
        eligible = [
            site for i, site in enumerate(network["sites"]) if wanted({s.code for s in network["offered"][i]})
        ]
        rng = random.Random(5)
        for _ in range(15):
            lat, lon = random_point(rng)

            matches = find_nearest_locations(
                session=session, near=f"{lat},{lon}", service_line=service_line, service=service, limit=7
            )

            expected = brute_force(eligible, GeoPoint(lat, lon, "x"), limit=7)
            assert [(m["location"]["id"], m["distance_miles"]) for m in matches] == [
                (site_id, round(miles, 1)) for site_id, miles in expected
            ]

    def test_a_deactivated_service_no_longer_counts(self, session, network):
        injection = next(s for s in network["services"] if s.code == "injection")
        injection.active = False
        session.add(injection)
        session.commit()
        lat, lon = 39.0, -98.0
        eligible = [
            site
            for i, site in enumerate(network["sites"])
            if {s.code for s in network["offered"][i]} & {"consult"}
        ]

        matches = find_nearest_locations(
            session=session, near=f"{lat},{lon}", service_line="pain_line", limit=10
        )

        assert [m["location"]["id"] for m in matches] == [
            site_id for site_id, _ in brute_force(eligible, GeoPoint(lat, lon, "x"), limit=10)
        ]
