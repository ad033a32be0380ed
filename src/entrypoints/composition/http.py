"""Ring 5, HTTP: what the edge needs besides the use cases: the node's load and the
rate-limit use case, and the values the image route reads from the settings in force."""

from __future__ import annotations

from dataclasses import dataclass

from dependency_injector import containers, providers

from adapters.system.load_gauge import SystemLoadGauge
from application.admit_request import AdmitRequest
from application.describe_image import DescribeImage
from application.ports.load_gauge import LoadGauge
from application.ports.metrics import Metrics
from application.ports.rate_limiter import RateLimiter
from application.serve_image import ServeImage
from application.tenant_domains import TenantDomains
from domain.clients import TrustedProxies
from domain.image_urls import ImageUrls
from entrypoints.composition.resources import closing
from entrypoints.settings import LiveSettings, Settings
from entrypoints.settings.protection import rate_limit_policy


@dataclass(slots=True)
class ImageRoute:
    """What the image route uses: the use case, the URL rules (signatures, presets: ADR 24)
    and the settings it reads per request, kept in step with reloaded settings. One
    dependency, resolved once per request."""

    serve: ServeImage
    urls: ImageUrls
    public_ttl: int
    max_path_length: int

    @classmethod
    def following(cls, serve: ServeImage, urls: ImageUrls, live: LiveSettings) -> ImageRoute:
        settings = live.current
        route = cls(
            serve, urls, settings.CACHE_IMAGE_PUBLIC_TTL, settings.VALIDATION_MAX_STRING_LENGTH
        )
        live.subscribe(route.update)
        return route

    def update(self, settings: Settings) -> None:
        self.public_ttl = settings.CACHE_IMAGE_PUBLIC_TTL
        self.max_path_length = settings.VALIDATION_MAX_STRING_LENGTH


def admit_request(
    live: LiveSettings,
    limiter: RateLimiter,
    gauge: LoadGauge,
    metrics: Metrics,
    tenant_domains: TenantDomains,
) -> AdmitRequest:
    """The rate-limit use case on the settings in force; reloaded limits apply at once."""
    settings = live.current
    admit = AdmitRequest(
        policy=rate_limit_policy(settings),
        limiter=limiter,
        gauge=gauge,
        proxies=TrustedProxies.parse(settings.TRUSTED_PROXIES),
        metrics=metrics,
        tenant_hosts=tenant_domains,
    )
    live.subscribe(lambda reloaded: admit.use_policy(rate_limit_policy(reloaded)))
    return admit


@dataclass(slots=True)
class InfoRoute:
    """What the info route uses (ADR 24): whether it is on, the URL rules, the use case and
    the settings it reads per request."""

    enabled: bool
    urls: ImageUrls
    describe: DescribeImage
    public_ttl: int
    max_path_length: int

    @classmethod
    def following(cls, describe: DescribeImage, urls: ImageUrls, live: LiveSettings) -> InfoRoute:
        settings = live.current
        route = cls(
            settings.IMAGE_INFO_ENABLED,
            urls,
            describe,
            settings.CACHE_IMAGE_PUBLIC_TTL,
            settings.VALIDATION_MAX_STRING_LENGTH,
        )
        live.subscribe(route.update)
        return route

    def update(self, settings: Settings) -> None:
        self.public_ttl = settings.CACHE_IMAGE_PUBLIC_TTL
        self.max_path_length = settings.VALIDATION_MAX_STRING_LENGTH


class Http(containers.DeclarativeContainer):
    """The edge's own parts; handlers get them (and the use cases) through `Provide`."""

    core = providers.DependenciesContainer()
    shared = providers.DependenciesContainer()
    origin = providers.DependenciesContainer()
    imaging = providers.DependenciesContainer()
    features = providers.DependenciesContainer()

    built_load_gauge = providers.Singleton(SystemLoadGauge, imaging.render_gate.provided.queue_fill)
    load_gauge = providers.Resource(closing, built_load_gauge)
    admit_request = providers.Singleton(
        admit_request,
        core.live_settings,
        shared.rate_limiter,
        load_gauge,
        core.metrics,
        origin.tenant_domains,
    )
    image_route = providers.Singleton(
        ImageRoute.following, imaging.serve_image, features.image_urls, core.live_settings
    )
    info_route = providers.Singleton(
        InfoRoute.following, features.describe_image, features.image_urls, core.live_settings
    )
