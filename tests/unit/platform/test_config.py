import pytest

from leadermail.platform.config import DEVELOPMENT_SECRET, Settings, SettingsError


def test_defaults_are_safe_for_local_use():
    settings = Settings.from_env({})
    assert settings.environment == "development"
    assert settings.secret_key == DEVELOPMENT_SECRET
    assert settings.embedded
    assert settings.cookie_secure is False


def test_production_refuses_the_development_secret():
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_env(
            {
                "LEADERMAIL_ENV": "production",
                "DATABASE_URL": "postgresql://db/leadermail",
                "REDIS_URL": "redis://redis:6379/0",
            }
        )


def test_production_refuses_a_short_secret():
    with pytest.raises(SettingsError, match="32"):
        Settings.from_env(
            {
                "LEADERMAIL_ENV": "production",
                "SECRET_KEY": "short",
                "DATABASE_URL": "postgresql://db/leadermail",
                "REDIS_URL": "redis://redis:6379/0",
            }
        )


def test_production_refuses_the_embedded_services():
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        Settings.from_env({"LEADERMAIL_ENV": "production", "SECRET_KEY": "s" * 40})


PRODUCTION = {
    "LEADERMAIL_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "DATABASE_URL": "postgresql://db/leadermail",
    "REDIS_URL": "redis://redis:6379/0",
    "SMTP_HOST": "mail.example.gov.cn",
}


def test_production_with_real_servers_starts_and_secures_cookies():
    settings = Settings.from_env(PRODUCTION)
    assert not settings.embedded
    assert settings.cookie_secure is True
    assert settings.smtp_host == "mail.example.gov.cn"


def test_production_refuses_to_keep_mail_on_disk():
    without_mail = {key: value for key, value in PRODUCTION.items() if key != "SMTP_HOST"}
    with pytest.raises(SettingsError, match="SMTP_HOST"):
        Settings.from_env(without_mail)


def test_without_smtp_host_mail_is_kept_under_var():
    settings = Settings.from_env({"LEADERMAIL_VAR_DIR": "/tmp/somewhere"})
    assert settings.smtp_host is None
    assert str(settings.mail_dir) == "/tmp/somewhere/mail"


def test_a_bad_integer_names_the_variable():
    with pytest.raises(SettingsError, match="DB_POOL_SIZE"):
        Settings.from_env({"DB_POOL_SIZE": "many"})
