"""Abuse protection at the edge: rate limits and their bypasses, trusted proxies, CORS."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from domain.clients import TrustedProxies
from domain.rate_limit import Bypasses, RateLimitPolicy, WindowStrategy
from entrypoints.settings.values import HTTP_METHODS, comma_list


class ProtectionSettings(BaseSettings):
    """RATE_LIMIT_* (ADR 19, ADR 20), TRUSTED_PROXIES and CORS_*."""

    RATE_LIMIT_ENABLED: bool = True
    RATE_LIMIT_WINDOW_MS: int = Field(default=60_000, ge=100, le=86_400_000)
    RATE_LIMIT_MAX_REQUESTS: int = Field(default=600, ge=1)
    RATE_LIMIT_IMAGE_WINDOW_MS: int = Field(
        default=0, ge=0, le=86_400_000, description="0 = RATE_LIMIT_WINDOW_MS"
    )
    RATE_LIMIT_IMAGE_MAX_REQUESTS: int = Field(default=3_000, ge=1)
    RATE_LIMIT_HEALTH_WINDOW_MS: int = Field(default=10_000, ge=100, le=86_400_000)
    RATE_LIMIT_HEALTH_MAX_REQUESTS: int = Field(default=1_000, ge=1)
    RATE_LIMIT_STRATEGY: WindowStrategy = WindowStrategy.SLIDING
    RATE_LIMIT_KEY_PREFIX: str = Field(default="media-stream:ratelimit:", max_length=200)
    RATE_LIMIT_BYPASS_HEALTH_CHECKS: bool = True
    RATE_LIMIT_BYPASS_STATIC_ASSETS: bool = True
    RATE_LIMIT_BYPASS_BOTS: bool = True
    RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS: Annotated[tuple[str, ...], NoDecode] = ()
    TRUSTED_PROXIES: Annotated[tuple[str, ...], NoDecode] = ()
    CORS_ORIGIN: Annotated[tuple[str, ...], NoDecode] = ("*",)
    CORS_METHODS: Annotated[tuple[str, ...], NoDecode] = ("GET", "HEAD", "OPTIONS")
    CORS_MAX_AGE: int = Field(default=86_400, ge=0, le=604_800)

    @field_validator("RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS", mode="before")
    @classmethod
    def _lower_domains(cls, value: object) -> object:
        entries = comma_list(value)
        return tuple(entry.lower() for entry in entries) if isinstance(entries, tuple) else value

    @field_validator("TRUSTED_PROXIES", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        entries = comma_list(value)
        if isinstance(entries, tuple):
            TrustedProxies.parse(entries)  # raises ValueError naming the bad entry
        return entries

    @field_validator("CORS_ORIGIN", mode="before")
    @classmethod
    def _cors_origins(cls, value: object) -> object:
        entries = comma_list(value)
        if isinstance(entries, tuple):
            for entry in entries:
                parts = urlsplit(entry)
                is_origin = parts.scheme in {"http", "https"} and parts.netloc
                if entry != "*" and not (is_origin and parts.path in {"", "/"}):
                    raise ValueError(f"{entry!r} is neither '*' nor an origin (scheme://host)")
            return tuple(entry.rstrip("/") for entry in entries)
        return entries

    @field_validator("CORS_METHODS", mode="before")
    @classmethod
    def _cors_methods(cls, value: object) -> object:
        entries = comma_list(value)
        if isinstance(entries, tuple):
            entries = tuple(entry.upper() for entry in entries)
            unknown = set(entries) - HTTP_METHODS
            if unknown:
                raise ValueError(f"unknown HTTP methods: {', '.join(sorted(unknown))}")
        return entries


def rate_limit_policy(settings: ProtectionSettings) -> RateLimitPolicy:
    """The `RATE_LIMIT_*` settings as the domain's policy."""
    return RateLimitPolicy(
        window_ms=settings.RATE_LIMIT_WINDOW_MS,
        max_requests=settings.RATE_LIMIT_MAX_REQUESTS,
        image_max_requests=settings.RATE_LIMIT_IMAGE_MAX_REQUESTS,
        strategy=settings.RATE_LIMIT_STRATEGY,
        image_window_ms=settings.RATE_LIMIT_IMAGE_WINDOW_MS or None,
        health_window_ms=settings.RATE_LIMIT_HEALTH_WINDOW_MS,
        health_max_requests=settings.RATE_LIMIT_HEALTH_MAX_REQUESTS,
        bypasses=Bypasses(
            health_checks=settings.RATE_LIMIT_BYPASS_HEALTH_CHECKS,
            static_assets=settings.RATE_LIMIT_BYPASS_STATIC_ASSETS,
            bots=settings.RATE_LIMIT_BYPASS_BOTS,
            whitelisted_domains=settings.RATE_LIMIT_BYPASS_WHITELISTED_DOMAINS,
        ),
    )
