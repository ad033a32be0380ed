"""Correlation IDs on every response, errors and unknown routes included."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from domain.correlation import correlation_id

SCOPE_KEY = "media_stream.correlation_id"
HEADER = b"x-correlation-id"


def correlation_id_of(scope: Scope) -> str:
    """The request's correlation ID, decided once and kept in the ASGI scope."""
    known = scope.get(SCOPE_KEY)
    if isinstance(known, str):
        return known
    offered = next((value for name, value in scope.get("headers", ()) if name == HEADER), None)
    decided = correlation_id(offered.decode("latin-1") if offered is not None else None)
    scope[SCOPE_KEY] = decided  # type: ignore[literal-required]
    return decided


class CorrelationIds:
    """ASGI wrapper: decides the ID before the app runs and adds it to the response headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        token = correlation_id_of(scope).encode("latin-1")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (HEADER, token)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)
