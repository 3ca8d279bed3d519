"""One settings object, read from the environment and an optional `.env` file."""

import pytest
from pydantic import ValidationError

from core.settings import DEVELOPMENT_SECRET_KEY, Environment, Settings


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """No settings from the test harness's environment and no `.env` in the working directory."""
    for name in ("ENVIRONMENT", "SECRET_KEY", "DATABASE_URL", "GEOCODER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.usefixtures("clean_environment")
class TestSecretKey:
    @pytest.mark.parametrize("environment", ["production", "test"])
    def test_default_secret_outside_development_is_refused_with_a_clear_message(
        self, monkeypatch, environment
    ):
        monkeypatch.setenv("ENVIRONMENT", environment)

        with pytest.raises(ValidationError) as refused:
            Settings()

        message = str(refused.value)
        assert "SECRET_KEY" in message
        assert f"ENVIRONMENT={environment}" in message

    @pytest.mark.parametrize("secret", ["", "short", "x" * 31])
    def test_empty_or_short_secret_in_production_is_refused(self, monkeypatch, secret):
        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.setenv("SECRET_KEY", secret)

        with pytest.raises(ValidationError, match="at least 32 characters"):
            Settings()

    def test_default_secret_is_allowed_in_development(self):
        settings = Settings()

        assert settings.environment == Environment.development
        assert settings.secret_key.get_secret_value() == DEVELOPMENT_SECRET_KEY

    def test_production_starts_with_its_own_secret(self, monkeypatch):
        monkeypatch.setenv("ENVIRONMENT", "production")
        monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret-of-48-characters")

        settings = Settings()

        assert settings.environment == Environment.production
        assert settings.secret_key.get_secret_value() == "a-long-random-production-secret-of-48-characters"

    def test_secret_is_not_shown_when_settings_are_printed(self, monkeypatch):
        monkeypatch.setenv("SECRET_KEY", "do-not-leak-me")

        assert "do-not-leak-me" not in repr(Settings())


@pytest.mark.usefixtures("clean_environment")
class TestDatabaseUrl:
    def test_defaults_to_a_sqlite_file_in_the_working_directory(self):
        settings = Settings()

        assert settings.database_url == "sqlite:///./booking.db"
        assert settings.is_sqlite

    def test_is_read_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://booking@db.internal/booking")

        settings = Settings()

        assert settings.database_url == "postgresql+psycopg://booking@db.internal/booking"
        assert not settings.is_sqlite

    def test_is_read_from_a_dot_env_file(self, tmp_path):
        (tmp_path / ".env").write_text("DATABASE_URL=sqlite:///./from-dot-env.db\n", encoding="utf-8")

        assert Settings().database_url == "sqlite:///./from-dot-env.db"

    def test_environment_wins_over_the_dot_env_file(self, monkeypatch, tmp_path):
        (tmp_path / ".env").write_text("DATABASE_URL=sqlite:///./from-dot-env.db\n", encoding="utf-8")
        monkeypatch.setenv("DATABASE_URL", "sqlite:///./from-environment.db")

        assert Settings().database_url == "sqlite:///./from-environment.db"


@pytest.mark.usefixtures("clean_environment")
class TestOtherSettings:
    def test_unknown_environment_name_is_refused_naming_the_setting(self, monkeypatch):
        monkeypatch.setenv("ENVIRONMENT", "staging")

        with pytest.raises(ValidationError, match="environment"):
            Settings()

    def test_geocoder_is_offline_unless_configured(self, monkeypatch):
        assert Settings().geocoder == "offline"

        monkeypatch.setenv("GEOCODER", "nominatim")

        assert Settings().geocoder == "nominatim"
