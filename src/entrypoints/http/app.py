"""The Litestar application, built from a container (never at import time)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from litestar import Litestar
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.types import ASGIApp

from entrypoints.container import Container, close_container
from entrypoints.http.correlation import CorrelationIds
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.images import image
from entrypoints.http.pages import default_image, index, live, ready, robots
from entrypoints.http.protection import protected

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Lifecycle:
    """Whether the node is shutting down (readiness answers 503 then)."""

    draining: bool = False


def make_litestar(container: Container) -> Litestar:
    """The Litestar app alone (tests that need Litestar's own client use this)."""
    settings = container.settings()
    lifecycle = Lifecycle()

    async def start() -> None:
        container.use_cases.serve_image()
        log.info("media-stream ready, origin %s", settings.backend_host or settings.BACKEND_URL)

    async def stop() -> None:
        lifecycle.draining = True
        await close_container(container)

    return Litestar(
        route_handlers=[image, live, ready, index, robots, default_image],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        on_startup=[start],
        on_shutdown=[stop],
        state=State(
            {
                "serve_image": container.use_cases.serve_image(),
                "public_ttl": settings.CACHE_IMAGE_PUBLIC_TTL,
                "max_path_length": settings.VALIDATION_MAX_STRING_LENGTH,
                "lifecycle": lifecycle,
            }
        ),
        openapi_config=OpenAPIConfig(title="media-stream", version="0.1.0"),
        logging_config=None,  # the CLI configures logging once, for uvicorn and us alike
        debug=False,
    )


def make_app(container: Container) -> ASGIApp:
    """The ASGI application the server runs: Litestar wrapped with correlation IDs."""
    return CorrelationIds(protected(make_litestar(container), container))
