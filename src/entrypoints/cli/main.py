"""The `media-stream` command: `media-stream serve [--host H] [--port P]`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import uvicorn

from entrypoints.container import build_container
from entrypoints.http.app import make_app
from entrypoints.settings import Settings, SettingsError, load_settings

EXIT_BAD_SETTINGS = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; answers the process exit status."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"media-stream: {exc}", file=sys.stderr)
        return EXIT_BAD_SETTINGS
    handler: int = args.handler(settings, args)
    return handler


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="media-stream", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="command")
    serve = commands.add_parser("serve", help="serve HTTP until stopped")
    serve.add_argument("--host", help="address to bind (default: HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default: PORT, 3003)")
    serve.set_defaults(handler=_serve)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    host = args.host or settings.HOST
    port = args.port or settings.PORT
    logging.basicConfig(
        level=settings.LOG_LEVEL.upper() if settings.LOG_LEVEL != "trace" else "DEBUG",
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    app = make_app(build_container(settings))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.LOG_LEVEL,
        lifespan="on",
        server_header=False,
        access_log=settings.LOG_LEVEL in {"debug", "trace"},
        # X-Forwarded-For is read by the rate limits, from TRUSTED_PROXIES only
        proxy_headers=False,
    )
    uvicorn.Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
