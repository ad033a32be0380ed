"""uvicorn with our own signal handling: drain on SIGTERM/SIGINT, reload settings on SIGHUP.

uvicorn's own handlers stop accepting connections at once and re-raise the signal after
shutdown (so the process dies "of" SIGTERM). Ours, installed on the event loop instead:

1. first SIGTERM or SIGINT: the node drains. Readiness answers 503, new requests are refused
   with 503 JSON and Retry-After (probes and metrics still answer), and requests in flight
   get up to SHUTDOWN_TIMEOUT to finish. Then uvicorn shuts down as usual: it closes the
   listeners and idle connections, cuts what is left, and the lifespan shutdown closes
   resources in order. The process exits 0.
2. a second SIGTERM or SIGINT, or SHUTDOWN_FORCE_TIMEOUT after the first, ends the process at
   once with exit status 1 (a watchdog thread, so a blocked event loop cannot stop it).

SIGHUP reloads the settings (`LiveSettings.reload`), as `POST /admin/config/reload` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Generator

import uvicorn

from entrypoints.lifecycle import Lifecycle
from entrypoints.settings import LiveSettings

log = logging.getLogger("media_stream.server")

EXIT_FORCED = 1
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# Once draining is over, what is left is idle connections: close them quickly.
CLOSE_GRACE_SECONDS = 2


class GracefulServer(uvicorn.Server):
    """A uvicorn `Server` that drains before it stops and reloads settings on SIGHUP."""

    def __init__(self, config: uvicorn.Config, *, lifecycle: Lifecycle, live: LiveSettings):
        super().__init__(config)
        self._lifecycle = lifecycle
        self._live = live
        self._stop_signals = 0
        self._watchdog: threading.Timer | None = None
        self._drain: asyncio.Task[None] | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        loop = asyncio.get_running_loop()
        for stop in STOP_SIGNALS:
            loop.add_signal_handler(stop, self._on_stop_signal, stop)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload_signal)
        try:
            yield
        finally:
            for handled in (*STOP_SIGNALS, signal.SIGHUP):
                loop.remove_signal_handler(handled)
            if self._watchdog is not None:
                self._watchdog.cancel()

    def _on_stop_signal(self, received: signal.Signals) -> None:
        self._stop_signals += 1
        if self._stop_signals > 1:
            _force_exit(f"second stop signal ({received.name})")
        settings = self._live.current
        self._lifecycle.begin_drain()
        log.info(
            "%s received: draining %d request(s) in flight, for at most %d ms",
            received.name,
            self._lifecycle.in_flight,
            settings.SHUTDOWN_TIMEOUT,
            extra={"signal": received.name, "inFlight": self._lifecycle.in_flight},
        )
        self._watchdog = threading.Timer(
            settings.SHUTDOWN_FORCE_TIMEOUT / 1000,
            _force_exit,
            args=(f"SHUTDOWN_FORCE_TIMEOUT ({settings.SHUTDOWN_FORCE_TIMEOUT} ms) reached",),
        )
        self._watchdog.daemon = True
        self._watchdog.start()
        self._drain = asyncio.get_running_loop().create_task(
            self._drain_then_exit(settings.SHUTDOWN_TIMEOUT / 1000)
        )

    async def _drain_then_exit(self, seconds: float) -> None:
        if await self._lifecycle.wait_idle(seconds):
            log.info("drained: no request in flight, shutting down")
        else:
            log.warning(
                "SHUTDOWN_TIMEOUT reached with %d request(s) in flight: cutting them off",
                self._lifecycle.in_flight,
                extra={"inFlight": self._lifecycle.in_flight},
            )
        self.should_exit = True

    def _on_reload_signal(self) -> None:
        log.info("SIGHUP received: reloading settings")
        self._live.reload()


def _force_exit(reason: str) -> None:
    log.error("forced exit: %s", reason, extra={"exitCode": EXIT_FORCED})
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_FORCED)


def serve(config: uvicorn.Config, *, lifecycle: Lifecycle, live: LiveSettings) -> int:
    """Serve until stopped by a signal; answers the exit status (0 after a drained stop)."""
    config.timeout_graceful_shutdown = CLOSE_GRACE_SECONDS
    GracefulServer(config, lifecycle=lifecycle, live=live).run()
    return 0
