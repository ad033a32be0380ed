"""`media-stream sign PATH`: print the URL with its signature (URL_SIGNING_KEYS, ADR 24)."""

from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from domain.signing import UrlSigner
from entrypoints.settings import Settings

EXIT_NO_KEYS = 2


def add_sign_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `sign PATH` under `commands`."""
    sign = commands.add_parser(
        "sign", help="print an image or info URL signed with the first of URL_SIGNING_KEYS"
    )
    sign.add_argument(
        "path",
        help="the URL's path exactly as clients send it (percent-encoded), or a whole URL, "
        "e.g. /media_stream-image/preset/thumb/media/acme/uploads/a.jpg",
    )
    sign.set_defaults(handler=sign_path)


def sign_path(settings: Settings, args: argparse.Namespace) -> int:
    """Print `path` (or the whole URL) with `?s=<signature>` of its path appended."""
    if not settings.URL_SIGNING_KEYS:
        print("media-stream: URL_SIGNING_KEYS is not set: nothing to sign with", file=sys.stderr)
        return EXIT_NO_KEYS
    given = str(args.path)
    parts = urlsplit(given)
    if not parts.path.startswith("/") or parts.query or parts.fragment:
        print(
            "media-stream: give a path starting with '/' (or a URL) without a query string",
            file=sys.stderr,
        )
        return EXIT_NO_KEYS
    signer = UrlSigner(settings.URL_SIGNING_KEYS)
    print(given + "?s=" + signer.sign(parts.path))
    return 0
