"""Settings, read once from the environment at start-up and passed down.

Nothing else in leadermail reads ``os.environ``::

    settings = Settings.from_env()
    app = create_app(settings)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

#: The secret used when SECRET_KEY is not set. Good enough on a laptop,
#: refused in production (see ``Settings.check_production``).
DEVELOPMENT_SECRET = "leadermail-development-secret-do-not-use-in-production"  # noqa: S105

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class SettingsError(RuntimeError):
    """The configuration cannot be used; the message says which variable to fix."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc


def _optional_int(env: Mapping[str, str], name: str, default: int) -> int | None:
    """An integer, or None for "off"/"none"."""
    if (env.get(name) or "").strip().lower() in {"off", "none"}:
        return None
    return _int(env, name, default)


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = DEVELOPMENT_SECRET
    base_url: str = "http://127.0.0.1:8000"
    #: Host of the shared platform site; tenants without a custom domain live
    #: under ``/t/<slug>/`` on it.
    platform_host: str = "127.0.0.1"
    var_dir: Path = PROJECT_ROOT / "var"
    themes_dir: Path = PROJECT_ROOT / "themes"
    node_modules_dir: Path = PROJECT_ROOT / "node_modules"
    upload_dir: Path = PROJECT_ROOT / "var" / "uploads"
    #: None keeps outgoing mail in ``mail_dir`` instead (development only; see
    #: platform/notifications/email.py).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "noreply@leadermail.local"
    #: Recycle pooled connections so each backend's catalog cache (about
    #: 120 KB per tenant schema touched) is bounded; see research notes.
    db_pool_size: int = 10
    db_pool_recycle_seconds: int = 900
    #: psycopg prepares a statement after this many uses on one connection
    #: (None: never). See Database for why it is on by default.
    db_prepare_threshold: int | None = 5
    migration_workers: int = 4
    lock_timeout_ms: int = 5000
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    cookie_secure: bool = False
    trusted_proxy_ips: tuple[str, ...] = ("127.0.0.1",)
    #: Proof-of-work difficulty of the citizen forms' challenge (ALTCHA
    #: ``maxnumber``). Benchmarks lower it to keep measuring the server.
    challenge_max_number: int = 100_000
    #: Multiplies every citizen-site rate limit; a load test raises it so the
    #: limiter is still consulted but does not refuse the load generator.
    rate_limit_multiplier: int = 1
    #: How long a worker reuses a page every visitor sees alike (home,
    #: published letters, statistics); 0 renders every request. See
    #: public_site/page_cache.py.
    page_cache_seconds: int = 5
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        environment = env.get("LEADERMAIL_ENV", "development").strip().lower()
        var_dir = Path(env.get("LEADERMAIL_VAR_DIR") or PROJECT_ROOT / "var").resolve()
        settings = cls(
            environment=environment,
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            secret_key=env.get("SECRET_KEY") or DEVELOPMENT_SECRET,
            base_url=(env.get("BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            platform_host=env.get("PLATFORM_HOST") or "127.0.0.1",
            var_dir=var_dir,
            upload_dir=Path(env.get("UPLOAD_DIR") or var_dir / "uploads"),
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=_int(env, "SMTP_PORT", 25),
            smtp_sender=env.get("SMTP_SENDER") or "noreply@leadermail.local",
            db_pool_size=_int(env, "DB_POOL_SIZE", 10),
            db_pool_recycle_seconds=_int(env, "DB_POOL_RECYCLE_SECONDS", 900),
            db_prepare_threshold=_optional_int(env, "DB_PREPARE_THRESHOLD", 5),
            migration_workers=_int(env, "MIGRATION_WORKERS", 4),
            lock_timeout_ms=_int(env, "MIGRATION_LOCK_TIMEOUT_MS", 5000),
            oidc_issuer=env.get("OIDC_ISSUER") or None,
            oidc_client_id=env.get("OIDC_CLIENT_ID") or None,
            oidc_client_secret=env.get("OIDC_CLIENT_SECRET") or None,
            cookie_secure=_bool(env.get("COOKIE_SECURE"), environment == "production"),
            trusted_proxy_ips=tuple(
                ip.strip()
                for ip in (env.get("TRUSTED_PROXY_IPS") or "127.0.0.1").split(",")
                if ip.strip()
            ),
            challenge_max_number=_int(env, "CHALLENGE_MAX_NUMBER", 100_000),
            rate_limit_multiplier=_int(env, "RATE_LIMIT_MULTIPLIER", 1),
            page_cache_seconds=_int(env, "PAGE_CACHE_SECONDS", 5),
        )
        settings.check_production()
        return settings

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def embedded(self) -> bool:
        """True when we start our own PostgreSQL/Redis under ``var/``."""
        return self.database_url is None or self.redis_url is None

    def check_production(self) -> None:
        """Refuse settings that are fine on a laptop and dangerous on a server."""
        if not self.is_production:
            return
        if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32:
            raise SettingsError(
                "LEADERMAIL_ENV=production needs SECRET_KEY set to a random value of "
                "at least 32 characters (the development secret is refused)"
            )
        if self.database_url is None or self.redis_url is None:
            raise SettingsError(
                "LEADERMAIL_ENV=production needs DATABASE_URL and REDIS_URL; the "
                "embedded PostgreSQL/Redis are for local use only"
            )
        if self.smtp_host is None:
            raise SettingsError(
                "LEADERMAIL_ENV=production needs SMTP_HOST: without it mail is only "
                "kept on disk under var/mail/, which is for local use"
            )

    @property
    def mail_dir(self) -> Path:
        """Where mail is kept when no SMTP server is configured (a Maildir)."""
        return self.var_dir / "mail"

    def with_urls(self, database_url: str, redis_url: str) -> Settings:
        return replace(self, database_url=database_url, redis_url=redis_url)
