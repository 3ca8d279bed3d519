"""The page routes themselves, without a browser: language, the widget's key, strings, the script."""

import re

import pytest
from fastapi.testclient import TestClient

from web.translations import STRINGS


@pytest.fixture
def pages(client: TestClient) -> TestClient:
    """The app on a scratch database (tests/conftest.py): pages read nothing, but middleware may."""
    return client


class TestPageRoutes:
    @pytest.mark.parametrize("path", ["/", "/manage", "/staff", "/embed?key=pk_test"])
    def test_each_page_renders_in_both_languages(self, pages: TestClient, path: str) -> None:
        for lang in ("en", "es"):
            response = pages.get(path, params={"lang": lang})
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/html")
            assert f'<html lang="{lang}">' in response.text

    def test_the_language_follows_accept_language_without_lang(self, pages: TestClient) -> None:
        response = pages.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
        assert '<html lang="es">' in response.text

    def test_an_unknown_lang_falls_back_to_english(self, pages: TestClient) -> None:
        assert '<html lang="en">' in pages.get("/?lang=xx").text

    def test_the_language_switch_keeps_the_rest_of_the_address(self, pages: TestClient) -> None:
        response = pages.get("/manage", params={"code": "ABCD2345", "token": "t0k"})
        assert 'href="/manage?code=ABCD2345&amp;token=t0k&amp;lang=es"' in response.text

    def test_the_embed_page_carries_the_partner_key_escaped(self, pages: TestClient) -> None:
        response = pages.get("/embed", params={"key": 'pk_"><script>'})
        assert 'data-partner-key="pk_&#34;&gt;&lt;script&gt;"' in response.text
        assert 'data-embed="true"' in response.text

    def test_pages_hold_no_inline_script(self, pages: TestClient) -> None:
        # Only a module script by URL and a JSON data block: a strict CSP needs no 'unsafe-inline'.
        for path in ("/", "/manage", "/staff", "/embed?key=pk_x"):
            scripts = re.findall(r"<script([^>]*)>", pages.get(path).text)
            assert all("src=" in attrs or 'type="application/json"' in attrs for attrs in scripts), scripts

    def test_widget_js_is_served_as_javascript_from_the_root(self, pages: TestClient) -> None:
        response = pages.get("/widget.js")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
        assert "booking-widget:height" in response.text


class TestStrings:
    def test_english_and_spanish_have_the_same_keys(self) -> None:
        assert set(STRINGS["en"]) == set(STRINGS["es"])

    def test_placeholders_match_between_languages(self) -> None:
        for key, english in STRINGS["en"].items():
            placeholders = set(re.findall(r"\{(\w+)\}", english))
            assert placeholders == set(re.findall(r"\{(\w+)\}", STRINGS["es"][key])), key
