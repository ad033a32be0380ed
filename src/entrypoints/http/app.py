"""The Litestar application, built from a container (never at import time).

The app opens the container when it starts (every resource, in dependency order) and closes it
when it stops. Handlers get what they use as typed `Provide` dependencies, read from the opened
container; nothing is kept in `app.state`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.types import ASGIApp

from entrypoints.composition import Container, close_container, open_container
from entrypoints.http.admin import flush_tenant
from entrypoints.http.edge import http_edge
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.images import ImagesAtTheEdge, image
from entrypoints.http.meta import image_info
from entrypoints.http.operations import OPERATIONS_ROUTES, OperationsState
from entrypoints.http.origin_guards import ORIGIN_GUARD_ROUTES, install_origin_guards
from entrypoints.http.pages import default_image, live, ready, robots
from entrypoints.http.playground import PLAYGROUND_ROUTES, Playground, sample_paths
from entrypoints.storage_upkeep import install_storage_upkeep
from entrypoints.upkeep import CacheUpkeep

log = logging.getLogger(__name__)


def make_litestar(container: Container) -> Litestar:
    """The Litestar app alone (tests that need Litestar's own client use this)."""
    settings = container.settings()
    lifecycle = container.core.lifecycle()

    async def start() -> None:
        await open_container(container)
        log.info("media-stream ready, origin %s", settings.backend_host or settings.BACKEND_URL)

    async def stop() -> None:
        lifecycle.draining = True
        await close_container(container)

    # The shared cache's upkeep runs inside the app's own start and stop.
    upkeep = CacheUpkeep(container)
    app = Litestar(
        route_handlers=[
            *(image, live, ready, robots, default_image),
            *PLAYGROUND_ROUTES,
            *OPERATIONS_ROUTES,
            *ORIGIN_GUARD_ROUTES,
            flush_tenant,
            image_info,
        ],
        dependencies=dependencies(container),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        on_startup=[start, upkeep.start],
        on_shutdown=[upkeep.stop, stop],
        openapi_config=OpenAPIConfig(title="media-stream", version="0.1.0"),
        logging_config=None,  # the CLI configures logging once, for uvicorn and us alike
        debug=False,
    )
    install_origin_guards(app, container)
    install_storage_upkeep(app, container)  # storage management (ADR 22, 23)
    return app


def dependencies(container: Container) -> dict[str, Provide]:
    """What handlers may ask for by parameter name, each built once by the opened container."""

    def provide(source: Callable[[], object]) -> Provide:
        return Provide(lambda: source(), use_cache=True, sync_to_thread=False)

    return {
        "image_route": provide(container.http.image_route),
        "info_route": provide(container.http.info_route),
        "flush": provide(container.imaging.flush_tenant),
        "lifecycle": provide(container.core.lifecycle),
        "live_settings": provide(container.core.live_settings),
        "circuits": provide(container.origin.circuits),
        "tenant_domains": provide(container.origin.tenant_domains),
        "operations": provide(lambda: operations_state(container)),
        "playground": provide(lambda: playground(container)),
    }


def make_app(container: Container) -> ASGIApp:
    """The ASGI application the server runs: Litestar behind the HTTP edge (correlation IDs,
    rate limits, security headers, metrics and logs; `edge.py`), which answers the image
    route itself (`ImagesAtTheEdge`)."""
    litestar = make_litestar(container)
    return http_edge(litestar, container, ImagesAtTheEdge(litestar, container.http.image_route))


def operations_state(container: Container) -> OperationsState:
    """What the health, metrics, monitoring and reload routes read."""
    return OperationsState(
        check_health=container.operations.check_health(),
        live_settings=container.core.live_settings(),
        watch=container.operations.performance_watch(),
        sampler=container.operations.resource_sampler(),
        metrics=container.core.metrics(),
    )


def playground(container: Container) -> Playground:
    """What the playground's JSON routes read (ADR 29)."""
    return Playground(
        figures=container.operations.cache_figures(),
        samples=sample_paths(container.settings()),
    )
