"""`media-stream breaker reset`: close the circuit breakers of a running node, over HTTP.

Breaker state lives in the serving process, not in a shared store, so the command cannot
change it directly: it POSTs `/health/circuit-breaker/reset` to the node at HOST:PORT (or
`--host`/`--port`) with `X-Internal-Secret: INTERNAL_ADMIN_SECRET`, and prints the answer.
"""

from __future__ import annotations

import argparse
import json
import sys

import httpx

from entrypoints.settings import Settings

RESET_PATH = "/health/circuit-breaker/reset"
EXIT_FAILED = 1
# A node bound to every interface is reached on loopback.
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


def add_breaker_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `breaker reset` to the `media-stream` sub-command parser `commands`."""
    breaker = commands.add_parser("breaker", help="the origin circuit breakers of a running node")
    actions = breaker.add_subparsers(required=True, metavar="action")
    reset = actions.add_parser("reset", help="close every breaker of the node at HOST:PORT")
    reset.add_argument("--host", help="the node's address (default: HOST, 127.0.0.1)")
    reset.add_argument("--port", type=int, help="the node's port (default: PORT, 3003)")
    reset.add_argument("--timeout", type=float, default=5.0, help="seconds to wait (default 5)")
    reset.set_defaults(handler=reset_breakers)


def node_url(host: str, port: int, path: str) -> str:
    """The URL of `path` on the node bound to `host` (a wildcard bind means this machine)."""
    host = _WILDCARDS.get(host, host)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"


def reset_breakers(settings: Settings, args: argparse.Namespace) -> int:
    """POST the reset to the node; 0 when it answered 200, else 1 with the reason on stderr."""
    if not settings.INTERNAL_ADMIN_SECRET:
        print("media-stream: INTERNAL_ADMIN_SECRET is not set", file=sys.stderr)
        return EXIT_FAILED
    url = node_url(args.host or settings.HOST, args.port or settings.PORT, RESET_PATH)
    try:
        response = httpx.post(
            url,
            headers={"X-Internal-Secret": settings.INTERNAL_ADMIN_SECRET},
            timeout=args.timeout,
            trust_env=False,
        )
    except httpx.HTTPError as exc:
        print(f"media-stream: no answer from {url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if response.status_code != 200:
        print(
            f"media-stream: {url} answered {response.status_code}: {response.text}", file=sys.stderr
        )
        return EXIT_FAILED
    print(json.dumps(response.json()))
    return 0
