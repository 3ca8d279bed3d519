"""Turning what a patient types into a point: offline first, an online geocoder only if configured."""

import pytest
from geopy.distance import geodesic

from core.errors import InvalidInputError, ServiceUnavailable
from locations.geocoding import OfflineZipGeocoder, geocode_postal_code, resolve_near

GLENDALE_91204 = (34.1379, -118.2599)


def miles_between(point, expected: tuple[float, float]) -> float:
    return float(geodesic((point.latitude, point.longitude), expected).miles)


def refused(near: str) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        resolve_near(near)
    return caught.value


class TestOfflineZipCodes:
    def test_zip_is_its_centroid(self):
        point = resolve_near("91204")

        assert (point.latitude, point.longitude) == GLENDALE_91204
        assert "Glendale" in point.label

    def test_zip_plus_four_is_the_zips_centroid(self):
        point = resolve_near("91204-2108")

        assert (point.latitude, point.longitude) == GLENDALE_91204

    def test_surrounding_spaces_are_ignored(self):
        assert resolve_near("  93551 ").label.startswith("Palmdale")

    def test_unknown_zip_is_a_422_naming_near_with_what_works(self):
        error = refused("00000")

        assert error.status == 422
        assert error.errors is not None and error.errors[0].field == "near"
        assert error.errors[0].location == "query"
        assert "00000" in error.detail and "ZIP" in error.detail and "latitude" in error.detail

    def test_postal_code_geocoding_for_new_sites_knows_real_zips_only(self):
        point = geocode_postal_code("91006")

        assert point is not None and miles_between(point, (34.1405, -118.0240)) < 2
        assert geocode_postal_code("00000") is None


class TestOfflineCities:
    @pytest.mark.parametrize(
        "near", ["Glendale, CA", "Glendale CA", "glendale, ca", "GLENDALE,CA", " Glendale ,  CA "]
    )
    def test_city_and_state_in_any_usual_spelling_is_the_city(self, near):
        point = resolve_near(near)

        assert miles_between(point, GLENDALE_91204) < 5

    def test_city_names_with_several_words(self):
        point = resolve_near("Los Angeles, CA")

        assert miles_between(point, (34.05, -118.25)) < 15

    def test_same_city_name_in_another_state_is_another_place(self):
        assert miles_between(resolve_near("Glendale, AZ"), GLENDALE_91204) > 300

    @pytest.mark.parametrize("near", ["Atlantis, ZZ", "Glendale", "not a place at all", "!!!"])
    def test_unknown_place_is_a_422_naming_near(self, near):
        error = refused(near)

        assert error.errors is not None and error.errors[0].field == "near"

    def test_offline_geocoder_is_a_geopy_geocoder(self):
        found = OfflineZipGeocoder().geocode("91204", exactly_one=False)

        assert isinstance(found, list) and found[0].latitude == GLENDALE_91204[0]


class TestCoordinates:
    @pytest.mark.parametrize("near", ["34.1421,-118.2551", "34.1421, -118.2551", " 34.1421 , -118.2551 "])
    def test_lat_lon_pair_is_taken_as_given(self, near):
        point = resolve_near(near)

        assert (point.latitude, point.longitude) == (34.1421, -118.2551)

    @pytest.mark.parametrize("near", ["90,180", "-90,-180", "0,0"])
    def test_extremes_are_valid(self, near):
        resolve_near(near)

    @pytest.mark.parametrize("near", ["91,0", "-90.5,0", "0,180.1", "0,-181"])
    def test_out_of_range_is_a_422_saying_the_ranges(self, near):
        error = refused(near)

        assert error.errors is not None and error.errors[0].field == "near"
        assert "-90..90" in error.detail and "-180..180" in error.detail

    @pytest.mark.parametrize("near", ["", "   "])
    def test_empty_is_a_422_saying_what_works(self, near):
        error = refused(near)

        assert "empty" in error.detail and "ZIP" in error.detail


class TestOnlineGeocoder:
    def test_is_asked_for_text_the_offline_geocoder_cannot_resolve(self, online_geocoder):
        point = resolve_near("317 S Brand Blvd, Glendale")

        assert (point.latitude, point.longitude) == (34.1421, -118.2551)
        assert online_geocoder.calls == ["317 S Brand Blvd, Glendale"]

    @pytest.mark.parametrize("near", ["91204", "91204-2108", "Glendale, CA", "34.1,-118.2"])
    def test_is_not_asked_for_what_the_offline_one_resolves(self, online_geocoder, near):
        resolve_near(near)

        assert online_geocoder.calls == []

    def test_same_text_is_looked_up_once(self, online_geocoder):
        for _ in range(3):
            resolve_near("317 S Brand Blvd, Glendale")

        assert online_geocoder.calls == ["317 S Brand Blvd, Glendale"]

    def test_address_it_cannot_find_is_a_422_naming_near(self, online_geocoder):
        error = refused("1 Nowhere Lane, Atlantis")

        assert error.errors is not None and error.errors[0].field == "near"
        assert online_geocoder.calls == ["1 Nowhere Lane, Atlantis"]

    def test_failure_of_the_service_is_a_503(self, online_geocoder):
        online_geocoder.failing = True

        with pytest.raises(ServiceUnavailable) as caught:
            resolve_near("317 S Brand Blvd, Glendale")

        assert caught.value.status == 503
        assert "ZIP" in caught.value.detail  # says what still works without the service

    def test_failure_is_not_remembered(self, online_geocoder):
        online_geocoder.failing = True
        with pytest.raises(ServiceUnavailable):
            resolve_near("317 S Brand Blvd, Glendale")

        online_geocoder.failing = False

        assert resolve_near("317 S Brand Blvd, Glendale").latitude == 34.1421

    def test_misconfigured_service_name_is_a_503_not_a_500(self, monkeypatch, online_geocoder):
        from geopy.exc import GeocoderNotFound

        from locations import geocoding

        def unknown_service(name: str) -> None:
            raise GeocoderNotFound(f"Unknown geocoder '{name}'")

        monkeypatch.setattr(geocoding, "get_geocoder_for_service", unknown_service)
        geocoding._online_geocoder.cache_clear()

        with pytest.raises(ServiceUnavailable):
            resolve_near("317 S Brand Blvd, Glendale")

    def test_offline_default_never_goes_online(self, monkeypatch):
        from locations import geocoding

        def no_network(name: str) -> None:
            raise AssertionError(f"asked for online geocoder {name!r} while GEOCODER=offline")

        monkeypatch.setattr(geocoding, "get_geocoder_for_service", no_network)
        geocoding._online_geocoder.cache_clear()

        with pytest.raises(InvalidInputError):
            resolve_near("317 S Brand Blvd, Glendale")
