"""Settings of public alerts, from TANSIQ_CAP_* environment variables, validated at start."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tansiq.alerts.xmlsafe import Limits

# CAP forbids spaces, commas and the restricted characters < and & in sender and identifier.
_CAP_NAME = r"^[^\s,<&]+$"


class AlertSettings(BaseSettings):
    """`TANSIQ_CAP_<NAME>` sets `<name>`."""

    model_config = SettingsConfigDict(env_prefix="TANSIQ_CAP_", extra="ignore")

    # Who the published alerts say they are from; set it to the ministry's own address.
    sender: str = Field("alerts@tansiq.local", pattern=_CAP_NAME, max_length=200)
    sender_name_en: str = Field("Ministry of Interior", max_length=200)
    sender_name_ar: str = Field("وزارة الداخلية", max_length=200)
    identifier_prefix: str = Field("TANSIQ", pattern=r"^[A-Za-z0-9._-]{1,40}$")
    # Base of the public URLs in the Atom feed (e.g. https://alerts.example.kw); the request's
    # own address when unset.
    public_base_url: str | None = Field(None, pattern=r"^https?://[^\s<>\"]+$")
    feed_size: int = Field(100, ge=1, le=1000)
    # Feeds or documents to import from, comma- or space-separated; polled while the server runs.
    import_urls: str = ""
    # The agency that owns what the poller imports (a signed-in importer's own agency otherwise).
    import_agency: str = Field("joint_ops_room", min_length=1, max_length=64)
    import_interval_seconds: float = Field(300.0, ge=1, le=86400)
    fetch_timeout_seconds: float = Field(20.0, gt=0, le=300)
    max_document_bytes: int = Field(512 * 1024, ge=4096, le=16 * 1024 * 1024)
    max_depth: int = Field(32, ge=8, le=256)

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, v: str | None) -> str | None:
        return v.rstrip("/") if v else v

    @field_validator("import_urls")
    @classmethod
    def _http_only(cls, v: str) -> str:
        for url in v.replace(",", " ").split():
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"not an http(s) URL: {url}")
        return v

    @property
    def urls(self) -> list[str]:
        return [u for u in self.import_urls.replace(",", " ").split() if u]

    @property
    def limits(self) -> Limits:
        return Limits(self.max_document_bytes, self.max_depth)
