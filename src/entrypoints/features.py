"""The composition of the opt-in features (ADR 24): the info route's use case, and the rules
image URLs follow (signatures, presets). Part of the composition root: `Container.features`.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.pillow import SourceLimits
from adapters.pillow.describe import PillowImageDescriber
from application.describe_image import (
    DescribeImage,
    GatedImageDescriber,
    InfoCaching,
    InfoOutcome,
)
from application.fetch_original import FetchOriginal
from application.ports.work_leases import WorkLeases
from application.shared_flight import SharedFlight
from entrypoints.settings import Settings
from entrypoints.settings.features import image_urls


def source_limits(settings: Settings) -> SourceLimits:
    """The limits an original must stay within, as the renders apply them."""
    return SourceLimits(
        settings.MAX_SOURCE_PIXELS,
        settings.MAX_ANIMATION_FRAMES,
        settings.MAX_ANIMATION_PIXELS,
        settings.IMAGE_PROCESSING_TIMEOUT / 1000,
    )


def make_info_flight(leases: WorkLeases, settings: Settings) -> SharedFlight[InfoOutcome]:
    return SharedFlight(
        leases,
        lease_seconds=settings.CACHE_LEASE_TTL / 1000,
        max_wait=settings.CACHE_LEASE_MAX_WAIT / 1000,
    )


class Features(containers.DeclarativeContainer):
    """The info route and the image URL rules, wired to the node's adapters."""

    core = providers.DependenciesContainer()
    adapters = providers.DependenciesContainer()

    image_urls = providers.Singleton(image_urls, core.settings)
    describer = providers.Singleton(
        GatedImageDescriber,
        providers.Singleton(
            PillowImageDescriber,
            core.image_pool,
            providers.Callable(source_limits, core.settings),
        ),
        adapters.render_gate,
    )
    describe_image = providers.Singleton(
        DescribeImage,
        cache=adapters.result_cache,
        # the image route's own per-origin-path flights: an image and its info, asked for
        # together, share one fetch
        fetch=providers.Singleton(
            FetchOriginal, adapters.origin, core.original_fetches, core.metrics
        ),
        describer=describer,
        clock=core.clock,
        allowed_hosts=core.origin_hosts,
        shared=providers.Singleton(
            InfoCaching,
            flight=providers.Singleton(make_info_flight, adapters.work_leases, core.settings),
            missing=adapters.negative_cache,
            missing_seconds=core.settings.provided.CACHE_IMAGE_NEGATIVE_TTL,
            access=adapters.access_counter,
        ),
        metrics=core.metrics,
    )
