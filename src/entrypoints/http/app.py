"""The Litestar application, built from a container (never at import time)."""

from __future__ import annotations

import logging

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.types import ASGIApp

from entrypoints.container import Container, close_container
from entrypoints.http.admin import flush_tenant
from entrypoints.http.edge import http_edge
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.images import image
from entrypoints.http.operations import OPERATIONS_ROUTES, OperationsState
from entrypoints.http.origin_guards import install_origin_guards
from entrypoints.http.pages import default_image, index, live, ready, robots
from entrypoints.settings import Settings
from entrypoints.upkeep import CacheUpkeep

log = logging.getLogger(__name__)


def make_litestar(container: Container) -> Litestar:
    """The Litestar app alone (tests that need Litestar's own client use this)."""
    settings = container.settings()
    lifecycle = container.operations.lifecycle()

    async def start() -> None:
        container.use_cases.serve_image()
        if settings.MONITORING_ENABLED:
            await container.operations.monitoring().start()
        log.info("media-stream ready, origin %s", settings.backend_host or settings.BACKEND_URL)

    async def stop() -> None:
        lifecycle.draining = True
        await close_container(container)

    # The shared cache: its routes, its state, and its upkeep around the app's own start/stop.
    upkeep = CacheUpkeep(container)
    cache_routes = [flush_tenant]
    cache_state = {
        "container": container,
        "flush_tenant": container.use_cases.flush_tenant(),
    }

    app = Litestar(
        route_handlers=[
            *(image, live, ready, index, robots, default_image),
            *OPERATIONS_ROUTES,
            *cache_routes,
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        on_startup=[start, upkeep.start],
        on_shutdown=[upkeep.stop, stop],
        state=State(
            {
                "serve_image": container.use_cases.serve_image(),
                "public_ttl": settings.CACHE_IMAGE_PUBLIC_TTL,
                "max_path_length": settings.VALIDATION_MAX_STRING_LENGTH,
                "lifecycle": lifecycle,
                "operations": operations_state(container),
                **cache_state,
            }
        ),
        openapi_config=OpenAPIConfig(title="media-stream", version="0.1.0"),
        logging_config=None,  # the CLI configures logging once, for uvicorn and us alike
        debug=False,
    )
    follow_reloads(app, container)
    install_origin_guards(app, container)
    return app


def make_app(container: Container) -> ASGIApp:
    """The ASGI application the server runs: Litestar behind the HTTP edge (correlation IDs,
    rate limits, security headers, metrics and logs; `edge.py`)."""
    return http_edge(make_litestar(container), container)


# -- operations: the operator routes' state, and settings reloaded while serving ---------------


def operations_state(container: Container) -> OperationsState:
    """What the health, metrics, monitoring and reload routes read."""
    return OperationsState(
        check_health=container.operations.check_health(),
        live_settings=container.core.live_settings(),
        watch=container.operations.performance_watch(),
        sampler=container.operations.resource_sampler(),
        metrics=container.core.metrics(),
    )


def follow_reloads(app: Litestar, container: Container) -> None:
    """Keep the values the routes read from the app state in step with reloaded settings."""

    def refresh(settings: Settings) -> None:
        app.state.public_ttl = settings.CACHE_IMAGE_PUBLIC_TTL
        app.state.max_path_length = settings.VALIDATION_MAX_STRING_LENGTH

    container.core.live_settings().subscribe(refresh)
