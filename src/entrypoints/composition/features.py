"""Ring 8, features (ADR 24): the info route's use case, and the rules image URLs follow
(signatures, presets). Everything here is opt-in; without its settings nothing changes."""

from __future__ import annotations

from dependency_injector import containers, providers

from adapters.pillow.describe import PillowImageDescriber
from application.describe_image import (
    DescribeImage,
    GatedImageDescriber,
    InfoCaching,
    InfoOutcome,
)
from application.ports.work_leases import WorkLeases
from application.shared_flight import SharedFlight
from entrypoints.composition.imaging import source_limits
from entrypoints.settings import Settings
from entrypoints.settings.features import image_urls


def make_info_flight(leases: WorkLeases, settings: Settings) -> SharedFlight[InfoOutcome]:
    return SharedFlight(
        leases,
        lease_seconds=settings.CACHE_LEASE_TTL / 1000,
        max_wait=settings.CACHE_LEASE_MAX_WAIT / 1000,
    )


class Features(containers.DeclarativeContainer):
    """The info route and the image URL rules, wired to the node's adapters."""

    core = providers.DependenciesContainer()
    shared = providers.DependenciesContainer()
    origin = providers.DependenciesContainer()
    imaging = providers.DependenciesContainer()

    image_urls = providers.Singleton(image_urls, core.settings)
    describer = providers.Singleton(
        GatedImageDescriber,
        providers.Singleton(
            PillowImageDescriber,
            imaging.pool,
            providers.Callable(source_limits, core.settings),
        ),
        imaging.render_gate,
    )
    describe_image = providers.Singleton(
        DescribeImage,
        cache=imaging.result_cache,
        # the image route's own per-origin-path flights: an image and its info, asked for
        # together, share one fetch
        fetch=imaging.fetch_original,
        describer=describer,
        clock=core.clock,
        admission=origin.admission,
        shared=providers.Singleton(
            InfoCaching,
            flight=providers.Singleton(make_info_flight, shared.work_leases, core.settings),
            missing=imaging.negative_cache,
            missing_seconds=core.settings.provided.CACHE_IMAGE_NEGATIVE_TTL,
            access=shared.access_counter,
        ),
        metrics=core.metrics,
    )
