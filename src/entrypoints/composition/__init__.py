"""The composition root: the one place that picks concrete adapters and wires the use cases.

One module per ring, each a dependency-injector container that only sees the rings inside it:

    core          settings, clock, lifecycle, metrics
    shared_state  Redis or memory (`RedisState` / `MemoryState`, chosen once here)
    origin        the origin fetcher and its guards
    imaging       renderer, cache tiers, the image, flush and warming use cases
    http          the edge's load gauge, rate-limit use case and route settings
    operations    health, performance watch, monitoring
    storage       the access index, recording, eviction, cleanup (with ACCESS_INDEX_ENABLED)
    features      the info route, signed URLs, presets (opt-in, ADR 24)
    jobs          the broker, the job queue, the worker of this process (ADR 27)

HTTP, CLI, worker and tests all build a `Container` with `build_container`; tests swap adapters
with `provider.override(...)` before `open_container`. Nothing connects or reads the
environment until the container is opened.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from dependency_injector import containers, providers

from entrypoints.composition.core import Core
from entrypoints.composition.features import Features
from entrypoints.composition.http import Http, ImageRoute, InfoRoute
from entrypoints.composition.imaging import FALLBACK_IMAGE, STATIC_DIRECTORY, Imaging
from entrypoints.composition.jobs import Jobs, wire_jobs
from entrypoints.composition.operations import Operations
from entrypoints.composition.origin import Origin
from entrypoints.composition.resources import close_resources, open_resources
from entrypoints.composition.shared_state import MemoryState, shared_state_for
from entrypoints.composition.storage import Storage, wire_storage
from entrypoints.settings import Settings

__all__ = [
    "FALLBACK_IMAGE",
    "STATIC_DIRECTORY",
    "Container",
    "ImageRoute",
    "InfoRoute",
    "build_container",
    "close_container",
    "open_container",
    "opened",
]


class Container(containers.DeclarativeContainer):
    """Everything a node is made of, for one settings object, ring by ring."""

    settings = providers.Dependency(instance_of=Settings)
    core = providers.Container(Core, settings=settings)
    shared = providers.Container(MemoryState, core=core)
    origin = providers.Container(Origin, core=core)
    imaging = providers.Container(Imaging, core=core, shared=shared, origin=origin)
    operations = providers.Container(
        Operations, core=core, shared=shared, origin=origin, imaging=imaging
    )
    storage = providers.Container(Storage, core=core)
    features = providers.Container(
        Features, core=core, shared=shared, origin=origin, imaging=imaging
    )
    http = providers.Container(
        Http, core=core, shared=shared, origin=origin, imaging=imaging, features=features
    )
    jobs = providers.Container(
        Jobs, core=core, shared=shared, imaging=imaging, storage=storage, features=features
    )


def build_container(settings: Settings) -> Container:
    """A container for `settings`, not opened yet: override providers, then `open_container`."""
    container = Container(settings=providers.Object(settings))
    ring = shared_state_for(settings)
    if ring is not MemoryState:
        container.shared.override(ring(core=container.core))
    wire_storage(container)
    wire_jobs(container)
    return container


async def open_container(
    container: Container, wanted: Iterable[providers.Provider[object]] = ()
) -> None:
    """Open the resources `wanted` needs (every one when none is named), in dependency order."""
    await open_resources(container, wanted)


async def close_container(container: Container) -> None:
    """Close what `open_container` opened, in reverse order."""
    await close_resources(container)


@asynccontextmanager
async def opened(
    container: Container, *wanted: providers.Provider[object]
) -> AsyncIterator[Container]:
    """`container` opened for the duration of a `with` block (the CLI's commands)."""
    await open_container(container, wanted)
    try:
        yield container
    finally:
        await close_container(container)
