"""The settings' whole model: every concern's variables, read from the environment and `.env`."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from entrypoints.settings.cache import CacheSettings
from entrypoints.settings.features import FeatureSettings
from entrypoints.settings.imaging import ImagingSettings
from entrypoints.settings.jobs import JobSettings
from entrypoints.settings.operations import OperationsSettings
from entrypoints.settings.origin import OriginSettings
from entrypoints.settings.protection import ProtectionSettings
from entrypoints.settings.service import ServiceSettings
from entrypoints.settings.storage import StorageSettings


class Settings(
    ServiceSettings,
    CacheSettings,
    OriginSettings,
    ImagingSettings,
    ProtectionSettings,
    OperationsSettings,
    StorageSettings,
    FeatureSettings,
    JobSettings,
):
    """Every setting of the service; field names are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    @property
    def tenant_domains_url(self) -> str:
        """TENANT_DOMAINS_REFRESH_URL; with only INTERNAL_DOMAINS_SECRET set, the Node
        service's default: the backend's `/api/v1/tenant/internal/domains`."""
        if self.TENANT_DOMAINS_REFRESH_URL or not self.INTERNAL_DOMAINS_SECRET:
            return self.TENANT_DOMAINS_REFRESH_URL
        if self.backend_directory is not None:
            return ""
        return f"{self.BACKEND_URL}/api/v1/tenant/internal/domains"
