"""Typed settings: every field has help text; built by `load_settings()`, never at import time."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration, read from `SUARA_*` environment variables or passed explicitly."""

    model_config = SettingsConfigDict(env_prefix="SUARA_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Folder holding the embedded stores (app.db, warehouse.duckdb).")
    app_database_url: str | None = Field(
        None, description="SQLAlchemy URL of the app store; default: SQLite file `app.db` in the data folder."
    )
    warehouse_path: Path | None = Field(
        None, description="DuckDB file of the warehouse; default: `warehouse.duckdb` in the data folder."
    )
    secret_key: str | None = Field(
        None,
        description="Secret that signs session cookies; default: a random one kept in `secret.key` in the data folder.",
    )
    warehouse_memory_limit: str | None = Field(
        None,
        description="Memory DuckDB may use before spilling to disk, e.g. `3GB`; unset: DuckDB's default (80% of RAM).",
    )
    host: str = Field("127.0.0.1", description="Address `suara serve` listens on.")
    port: int = Field(8000, description="Port `suara serve` listens on.")
    max_batch_items: int = Field(1000, description="Largest batch the ingestion API accepts in one request.")
    writer_max_rows: int = Field(20_000, description="Most rows the warehouse writer commits in one group commit.")
    smtp_host: str | None = Field(None, description="SMTP server that sends email; unset: email waits in the outbox.")
    smtp_port: int = Field(25, description="Port of the SMTP server (587 with STARTTLS, usually).")
    smtp_user: str | None = Field(None, description="User name for SMTP login; unset: no login.")
    smtp_password: str | None = Field(None, description="Password for SMTP login.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS before login.")
    mail_from: str = Field("suara@localhost", description="From address of the email suara sends.")
    background_interval_s: float = Field(
        2.0,
        description="Seconds between passes of the served app's background work (outbox, enrichment, rules); 0: off.",
    )
    theme_refit_growth: float = Field(
        0.25,
        ge=0,
        description="Re-fit a workspace's themes once its enriched items grew by this share since the last fit.",
    )
    theme_refit_min_items: int = Field(
        50, ge=1, description="New enriched items since the last theme fit needed before growth triggers a re-fit."
    )
    theme_refit_max_age_days: float = Field(
        7.0, ge=0, description="Re-fit themes older than this many days when new items came since; 0: never by age."
    )

    def resolved_app_url(self) -> str:
        return self.app_database_url or f"sqlite:///{(self.data_dir / 'app.db').resolve()}"

    def resolved_warehouse_path(self) -> Path:
        return self.warehouse_path or self.data_dir / "warehouse.duckdb"

    def resolved_secret(self) -> str:
        """The configured secret, or one generated once and kept beside the stores."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (for example from CLI options) on top."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]
