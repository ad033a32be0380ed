"""The `media-stream` command.

media-stream serve [--host H] [--port P]
media-stream config check | show [--json] | reload
media-stream cache flush-tenant T | stats
media-stream breaker reset [--host H] [--port P]   (closes the breakers of a running node)
media-stream storage stats | cleanup [--dry-run] | evict [--target-bytes N] | reconcile
media-stream db upgrade | current                  (the access index's schema)
media-stream sign PATH   (the URL with its signature, from URL_SIGNING_KEYS)
media-stream worker [--processes N] [--threads M] [--queues Q ...]   (background jobs)
media-stream warm --file urls.txt [--wait]   (pre-generate; exit 1 if any failed)
media-stream jobs stats | retry-dead
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence

import httpx
import uvicorn

from entrypoints.cli.breaker import add_breaker_commands
from entrypoints.cli.cache import add_cache_commands
from entrypoints.cli.jobs import add_job_commands
from entrypoints.cli.sign import add_sign_command
from entrypoints.cli.storage import add_storage_commands
from entrypoints.composition import build_container
from entrypoints.http.app import make_app
from entrypoints.http.server import serve
from entrypoints.logs import configure_logging
from entrypoints.settings import (
    Settings,
    SettingsError,
    env_file,
    inspect_environment,
    load_settings,
    redacted,
)

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
    serve.add_argument(
        "--workers",
        type=int,
        help="render processes (default: IMAGE_RENDER_PROCESSES, else the number of CPUs; "
        "0: renders in threads of the server process)",
    )
    serve.set_defaults(handler=_serve)
    _add_config_commands(commands)
    add_cache_commands(commands)
    add_breaker_commands(commands)
    add_storage_commands(commands)
    add_sign_command(commands)
    add_job_commands(commands)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    host = args.host or settings.HOST
    port = args.port or settings.PORT
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    for warning in inspect_environment().warnings():
        logging.getLogger("media_stream.settings").warning(warning)
    settings = settings.model_copy(update={"IMAGE_RENDER_PROCESSES": _workers(settings, args)})
    container = build_container(settings)
    app = make_app(container)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=settings.LOG_LEVEL,
        lifespan="on",
        server_header=False,
        access_log=False,  # the HTTP edge writes the access log
        log_config=None,  # configure_logging did it, JSON or console
        # X-Forwarded-For is read by the rate limits, from TRUSTED_PROXIES only
        proxy_headers=False,
    )
    live = container.core.live_settings()
    live.subscribe(lambda fresh: configure_logging(fresh.LOG_LEVEL, fresh.LOG_FORMAT))
    return serve(config, lifecycle=container.core.lifecycle(), live=live)


def _workers(settings: Settings, args: argparse.Namespace) -> int:
    if args.workers is not None:
        return max(0, int(args.workers))
    return settings.IMAGE_RENDER_PROCESSES or os.cpu_count() or 1


# -- media-stream config check | show | reload ------------------------------------------------

EXIT_RELOAD_FAILED = 1
RELOAD_PATH = "/admin/config/reload"


def _add_config_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = commands.add_parser("config", help="check, show or reload the settings")
    actions = config.add_subparsers(required=True, metavar="action")
    check = actions.add_parser(
        "check", help="validate every setting; list Node names honoured, reported and unknown"
    )
    check.set_defaults(handler=_config_check)
    show = actions.add_parser(
        "show", help="print the settings in force and where each comes from, secrets redacted"
    )
    show.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    show.set_defaults(handler=_config_show)
    reload = actions.add_parser(
        "reload", help="make the running server re-read its settings (POST " + RELOAD_PATH + ")"
    )
    reload.add_argument("--url", help="the server's base URL (default: from HOST and PORT)")
    reload.set_defaults(handler=_config_reload)


def _config_check(settings: Settings, args: argparse.Namespace) -> int:
    """Invalid settings never get here: `main` lists them all and exits 2."""
    source = env_file()
    found = "read" if source.is_file() else "not found"
    print(f"settings OK ({len(type(settings).model_fields)} variables; env file {source}: {found})")
    environment = inspect_environment()
    shown = redacted(settings)
    if environment.honoured:
        print("\nNode service variables honoured:")
        for honoured in environment.honoured:
            into = "" if honoured.node == honoured.ours else f" as {honoured.ours}"
            print(f"  {honoured.node}{into} = {shown[honoured.ours]}  ({honoured.source})")
    if environment.reported:
        print("\nNode service variables not used here:")
        for name, why in environment.reported:
            print(f"  {name}: {why}")
    if environment.unknown:
        print("\nUnknown variables:")
        for name, closest in environment.unknown:
            print(f"  {name}" + (f": did you mean {closest}?" if closest else ""))
    return 0


def _config_show(settings: Settings, args: argparse.Namespace) -> int:
    shown = redacted(settings)
    environment = inspect_environment()
    if args.json:
        document = {
            name: {"value": value, "source": environment.source_of(name)}
            for name, value in shown.items()
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        for name, value in shown.items():
            print(f"{name}={value}  # {environment.source_of(name)}")
    return 0


def _config_reload(settings: Settings, args: argparse.Namespace) -> int:
    base = args.url or _local_url(settings.HOST, settings.PORT)
    try:
        response = httpx.post(
            base.rstrip("/") + RELOAD_PATH,
            headers={"X-Internal-Secret": settings.INTERNAL_ADMIN_SECRET},
            timeout=10,
        )
    except httpx.HTTPError as exc:
        print(f"media-stream: no server answered at {base}: {exc}", file=sys.stderr)
        return EXIT_RELOAD_FAILED
    if response.status_code != 200:
        print(
            f"media-stream: reload refused ({response.status_code}); "
            "is INTERNAL_ADMIN_SECRET the server's?",
            file=sys.stderr,
        )
        return EXIT_RELOAD_FAILED
    outcome = response.json()
    print(json.dumps(outcome, indent=2))
    return EXIT_BAD_SETTINGS if outcome.get("problems") else 0


def _local_url(host: str, port: int) -> str:
    """Where this machine reaches a server bound to `host`: a wildcard means loopback."""
    wildcards = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104
    reachable = wildcards.get(host, host)
    return f"http://[{reachable}]:{port}" if ":" in reachable else f"http://{reachable}:{port}"


if __name__ == "__main__":
    sys.exit(main())
