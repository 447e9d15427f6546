"""The one settings object, read from ``TRYGG_*`` environment variables (documented in README)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_SECRET = "demo-secret-change-me"
DB_URL = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")


class Settings(BaseSettings):
    """Trygg's settings. Pass it in (CLI option, FastAPI dependency); never import a global."""

    model_config = SettingsConfigDict(env_prefix="TRYGG_", extra="ignore")

    db: Path | str = Field(PROJECT_ROOT / "var" / "trygg.sqlite",
                           description="The store: a SQLite file's path, or a PostGIS database's "
                                       "URL (postgresql://user:password@host/database).")
    demo: bool = Field(False, description="Demo mode: one account per role, anonymous reading of "
                                          "non-sensitive layers.")
    secret: str = Field(DEMO_SECRET, description="Secret for signing session cookies; must be set "
                                                  "outside demo mode.")
    host: str = Field("127.0.0.1", description="Address `trygg serve` listens on.")
    port: int = Field(8000, description="Port `trygg serve` listens on.")
    kommunkod: str | None = Field(None, pattern=r"^\d{4}$", description="The municipality the "
                                  "store serves (its four-digit kommunkod); default: the one "
                                  "`trygg kommun init` set up, else the demo's (2262, Timrå).")
    data_dir: Path = Field(PROJECT_ROOT / "data", description="Folder of the shipped datasets.")
    session_hours: float = Field(12.0, description="Lifetime of a login session, in hours.")
    max_upload_mb: float = Field(50.0, description="Largest file accepted by an API upload, MB.")
    max_import_mb: float = Field(100.0, description="Largest file `trygg import` reads, MB.")
    audit_retention_days: float = Field(730.0, gt=0, description="How long audit rows (writes, "
                                         "imports, sign-ins) are kept, days.")
    ping_retention_days: float | None = Field(None, gt=0, description="Patrols whose last GPS "
                                              "ping is older than this many days may be reduced "
                                              "to the pings the zone coverage figures need "
                                              "(`trygg patrols reduce`); empty: kept whole.")
    login_attempts_per_minute: int = Field(10, description="Failed sign-ins (login form or "
                                           "Bearer token) allowed per client address per minute.")
    tips_per_client_per_hour: int = Field(5, ge=1, description="Reports the public "
                                          "Tyck till form accepts per client address per hour.")
    tips_per_hour: int = Field(200, ge=1, description="Reports the public Tyck till form "
                               "accepts per hour from everyone together.")
    max_body_mb: float = Field(5.0, description="Largest request body other than a file upload, "
                                                "MB (uploads: TRYGG_MAX_UPLOAD_MB).")
    trusted_proxies: str = Field("", description="Comma-separated addresses of reverse proxies "
                                 "whose X-Forwarded-For `trygg serve` believes; empty: none.")
    max_ping_gap_min: float = Field(10.0, gt=0, le=1440, description="Longest silence between "
                                    "two pings of a patrol track still counted as walked "
                                    "(presence and street coverage), minutes.")
    public_url: str | None = Field(None, description="The address users open, e.g. "
                                   "https://trygg.example.se: the origin allowed to send "
                                   "browser writes (CSRF check); https marks the session "
                                   "cookie Secure.")

    def checked_secret(self) -> str:
        """The secret for tokens and sessions; refuses the demo secret outside demo mode."""
        if not self.demo and self.secret == DEMO_SECRET:
            raise ValueError("TRYGG_SECRET must be set to a real secret outside demo mode "
                             "(TRYGG_DEMO=1 allows the demo secret)")
        if len(self.secret) < 16:
            raise ValueError("TRYGG_SECRET must be at least 16 characters")
        return self.secret

    @field_validator("db", mode="before")
    @classmethod
    def _db_path_or_url(cls, value: object) -> Path | str:
        """A database URL stays text (a Path would fold its "//"); anything else is a path."""
        text = str(value)
        return text if DB_URL.match(text) else Path(text)
